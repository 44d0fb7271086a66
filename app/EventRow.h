#pragma once
// One event of StreamingExamples.ListEvents as the UI sees it: a small Qt
// value (no protobuf). Made on gRPC's threads by EventStream, shown by
// EventTableModel. Type names are shared (implicitly) between rows of the same
// type, so a long list pays for each type's text once.

#include <QDateTime>
#include <QMetaType>
#include <QString>

namespace streamlab {

struct EventRow {
    qint64 id = 0;
    qint64 timeMs = 0;   // when it happened, Unix time in ms (UTC)
    QString type;        // "order.created", ...
    QString data;        // a JSON object, as the server sent it
    bool live = false;   // produced after the call started (follow mode)

    QDateTime time() const { return QDateTime::fromMSecsSinceEpoch(timeMs, Qt::UTC); }
    // "2024-01-01T00:00:03.125Z": what the table shows and the exports write.
    QString timeText() const { return time().toString(Qt::ISODateWithMs); }
};

} // namespace streamlab

Q_DECLARE_METATYPE(streamlab::EventRow)
