#pragma once
// Tab "Server streaming · ListEvents": a filter form, Start / Pause-Resume /
// Stop, the live event table (a capped ring model, fed in batches once per
// frame), live counters, the server's own measure of its blocked write while
// the app is paused, CSV/JSON export, the final status and the call timeline.

#include "EventStream.h"
#include "EventTableModel.h"
#include "LabTab.h"
#include "RateMeter.h"

#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QTimer>

#include <memory>

class QSettings;
class QTableView;

namespace Ui {
class ServerStreamingTab;
}

namespace streamlab {

class Connection;

class ServerStreamingTab : public LabTab {
    Q_OBJECT
public:
    explicit ServerStreamingTab(Connection* connection, QWidget* parent = nullptr);
    ~ServerStreamingTab() override;

    void saveSettings(QSettings& settings) const override;
    void restoreSettings(QSettings& settings) override;

    EventStream* stream() const { return m_stream; }
    EventTableModel* model() const { return m_model; }
    QTableView* view() const;

    // The form, for tests and the bench (what a user types and ticks).
    void setFilter(const QString& after, const QStringList& checkedTypes, bool follow);
    void setCapacity(int rows);
    // 0: automatic; otherwise one of 64, 16, 4 or 1 KiB (others: automatic).
    void setReceiveWindow(int bytes);
    // What the form asks for; false with a message when it cannot be sent.
    bool buildQuery(EventQuery* query, QString* error) const;

    // What the buttons do.
    void startStream();
    void stopStream();
    void setPaused(bool paused);
    // Exports the table's rows to `path` without asking (the buttons ask
    // with a file dialog first); exportFinished() tells how it went.
    void exportTo(const QString& path, EventTableModel::ExportFormat format);

    QString statusCode() const { return m_statusCode; }
    QString statusMessage() const;
    QString stallText() const;   // the banner shown while paused ("" when hidden)
    bool isFollowingNewest() const { return m_follow; }
    bool isExporting() const { return m_exportWatcher.isRunning(); }

Q_SIGNALS:
    void exportFinished(const QString& error);

private:
    void chooseExportFile(EventTableModel::ExportFormat format);
    void queueTrace(const QList<streamlab::CallTraceEntry>& entries);
    void flushTrace();
    void onStarted(const QString& method);
    void onCounters(const EventStreamCounters& counters);
    void onServerState(const ServerWriteState& state);
    void onPausedChanged(bool paused);
    void onFinished(const CallStatus& status);
    void updateServerText();
    void updateRowsText();
    void setRunning(bool running);
    void setUpTable();
    void setStatus(const QString& code, const QString& text, bool busy);

    std::unique_ptr<Ui::ServerStreamingTab> m_ui;
    EventStream* m_stream;
    EventTableModel* m_model;
    RateMeter m_rate{2000, 20};
    QElapsedTimer m_clock;
    qint64 m_lastReceived = 0;
    qint64 m_countersShownAt = 0;
    EventStreamCounters m_counters;
    ServerWriteState m_server;
    int m_window = 0;   // the running call's receive window (0: automatic)
    QString m_statusCode;
    bool m_follow = true;
    int m_rowsBeingRemoved = 0;
    QString m_exportDir;
    QFutureWatcher<QString> m_exportWatcher;
    QList<CallTraceEntry> m_traceQueue;   // for the timeline, merged (see kTraceIntervalMs)
    QTimer m_traceTimer;
    QString m_exportPath;
    qsizetype m_exportRows = 0;
};

} // namespace streamlab
