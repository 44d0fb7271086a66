#pragma once
// Base of the streaming call objects (events reader, upload writer, chat,
// flow lab). The reactor runs on gRPC's threads and only touches shared
// state (a CallRecord and the subclass's inboxes); this object, on the GUI
// thread, takes from them once per frame (~60 Hz) and emits batched signals;
// the end of the call is taken at once (the record wakes this object).
// So results reach the UI as queued, batched deliveries, never one signal per
// message, and this object may be destroyed at any time: the reactor keeps
// what it uses alive until its OnDone.

#include "CallRecord.h"

#include <QObject>
#include <QTimer>

#include <memory>

namespace streamlab {

class Connection;

class StreamCall : public QObject {
    Q_OBJECT
public:
    explicit StreamCall(Connection* connection, QObject* parent = nullptr);
    ~StreamCall() override;

    // Cancels the call in flight (TryCancel: any thread, no waiting).
    void cancel();
    bool active() const { return m_record && !m_finishedEmitted; }
    CallRecord* record() const { return m_record.get(); }
    Connection* connection() const { return m_connection; }

Q_SIGNALS:
    void started(const QString& method);
    void trace(const QList<streamlab::CallTraceEntry>& entries);
    void finished(const streamlab::CallStatus& status);

protected:
    // Starts bookkeeping for a new call; the subclass then starts its reactor with it.
    std::shared_ptr<CallRecord> beginCall(const QString& method, qint64 deadlineMs);
    // Once per frame while a call is active: take from the subclass's inboxes.
    virtual void onFrame() {}
    // After the final onFrame(), just before finished().
    virtual void onFinished(const CallStatus& status) { Q_UNUSED(status) }

private:
    void frame();
    // Lets go of the current call: stops its wake-ups, cancels it if still running.
    void releaseRecord();

    Connection* m_connection;
    std::shared_ptr<CallRecord> m_record;
    QTimer m_frameTimer;
    bool m_finishedEmitted = false;
};

// Deadline for streams with no natural end (follow, chat): long, but set —
// every call has a deadline.
inline constexpr qint64 kOpenStreamDeadlineMs = 24LL * 3600 * 1000;

} // namespace streamlab
