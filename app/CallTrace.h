#pragma once
// What happened on one call, as the UI shows it in the call timeline: plain Qt
// value types, no protobuf. Call objects (app/) produce these; the timeline
// widget (widgets/) displays them.

#include <QList>
#include <QMetaType>
#include <QPair>
#include <QString>

namespace streamlab {

struct CallTraceEntry {
    enum class Kind {
        Started,     // the call was started (detail: method, target, deadline)
        Headers,     // initial metadata received (detail: "key: value; ...")
        Sent,        // a message went out (bytes)
        Received,    // a message came in (bytes)
        HalfClosed,  // the client said it has no more to send
        Note,        // something worth a line: cancel requested, reconnect, ...
        Trailers,    // trailing metadata received
        Finished     // final status (detail: "CODE: message")
    };
    Kind kind = Kind::Note;
    double elapsedMs = 0;   // since Started
    qint64 bytes = 0;       // Sent / Received: message size; 0 otherwise
    int count = 1;          // Sent / Received may be batched: how many messages this line stands for
    QString detail;
};

} // namespace streamlab

Q_DECLARE_METATYPE(streamlab::CallTraceEntry)
