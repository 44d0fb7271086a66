#pragma once
// The lines of ONE call's timeline (what the call objects in app/ report as
// CallTraceEntry batches), as a table: time since start, what, size, detail.
//
// Streams can produce lines faster than anyone reads them, so the model keeps
// only the newest maxLines() (a ring: the oldest rows are removed first) and
// counts what it dropped. Totals (messages and bytes each way, final status)
// cover the whole call, including dropped lines.

#include "CallTrace.h"

#include <QAbstractTableModel>
#include <QList>
#include <QString>

#include <deque>

namespace streamlab {

// Running totals of one call. For a batched Sent/Received line, `bytes` is the
// size of all `count` messages it stands for.
struct CallTotals {
    qint64 messagesSent = 0;
    qint64 messagesReceived = 0;
    qint64 bytesSent = 0;
    qint64 bytesReceived = 0;
    double elapsedMs = 0;  // of the newest line
    bool halfClosed = false;
    bool finished = false;
    QString statusCode;    // "OK", "NOT_FOUND", ... once finished
    QString statusMessage; // the text after "CODE: "
    bool ok() const { return finished && statusCode == QLatin1String("OK"); }
};

class CallTimelineModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { TimeColumn, WhatColumn, SizeColumn, DetailColumn, ColumnCount };
    // Raw values for views and tests that want more than the display text.
    enum Role {
        KindRole = Qt::UserRole + 1, // int(CallTraceEntry::Kind)
        ElapsedMsRole,               // double
        BytesRole,                   // qint64
        CountRole,                   // int
    };
    Q_ENUM(Role)

    static constexpr int DefaultMaxLines = 2000;

    explicit CallTimelineModel(QObject* parent = nullptr);
    ~CallTimelineModel() override;

    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    int columnCount(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // Starts a new call: drops every line, the totals and the dropped count.
    void beginCall(const QString& method);
    // Adds a batch: at most one rowsRemoved (the oldest, when over the cap) and
    // one rowsInserted per call.
    void append(const QList<CallTraceEntry>& entries);
    // What the Clear button does: removes the lines. A call still in flight
    // keeps its method and totals (they describe the call, not the visible
    // lines); a finished one is forgotten entirely.
    void clear();

    // Lowering the cap drops the oldest rows right away. Values below 1 mean 1.
    void setMaxLines(int maxLines);
    int maxLines() const { return m_maxLines; }
    // Lines dropped by the cap since beginCall() (or clear()).
    qint64 droppedLines() const { return m_dropped; }

    QString method() const { return m_method; }
    const CallTotals& totals() const { return m_totals; }
    // row must be in [0, rowCount()).
    const CallTraceEntry& entry(int row) const { return m_lines[size_t(row)]; }

    // Display helpers, shared with the widgets that summarise a call.
    static QString formatElapsed(double ms);   // "+12.3 ms", "+4.567 s"
    static QString formatBytes(qint64 bytes);  // "512 B", "1.5 KiB", "3.2 MiB"
    static QString kindName(CallTraceEntry::Kind kind);
    static QString whatText(const CallTraceEntry& e); // "Received ×250"

Q_SIGNALS:
    // Once per beginCall/append/clear, after the rows changed.
    void totalsChanged();

private:
    void account(const CallTraceEntry& e);

    std::deque<CallTraceEntry> m_lines; // O(1) removal of the oldest
    int m_maxLines = DefaultMaxLines;
    qint64 m_dropped = 0;
    QString m_method;
    CallTotals m_totals;
};

} // namespace streamlab
