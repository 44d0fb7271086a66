#pragma once
// One streaming call's shared state: its ClientContext (cancel from any
// thread), its registration with CallTracker, and what happened on it, for
// the timeline. The reactor (gRPC threads) and the call object (GUI thread)
// both hold it, so neither ever touches the other's memory.
//
// Sent/received messages are counted, not listed: takeTrace() turns what
// happened since the last frame into one "Sent ×N" / "Received ×N" line.

#include "CallStatus.h"
#include "CallTrace.h"
#include "CallTracker.h"

#include <QElapsedTimer>

#include <grpcpp/client_context.h>

#include <functional>
#include <mutex>
#include <optional>

namespace streamlab {

class Connection;

// Headers or trailers as one line: "key: value; key: value".
QString metadataText(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata);

class CallRecord {
public:
    // Prepares the context: deadline (ms from now; every call has one) and the app's metadata.
    CallRecord(const Connection& connection, const QString& method, qint64 deadlineMs);

    grpc::ClientContext* context() { return &m_context; }
    const QString& method() const { return m_method; }
    const QString& target() const { return m_target; }
    double elapsedMs() const { return double(m_clock.nsecsElapsed()) / 1e6; }
    void cancel() { m_context.TryCancel(); }

    void noteSent(qint64 bytes, int messages = 1);
    void noteReceived(qint64 bytes, int messages = 1);
    void note(CallTraceEntry::Kind kind, const QString& detail, qint64 bytes = 0);
    // Headers as the server sent them (call from OnReadInitialMetadataDone).
    void noteHeaders();
    // From OnDone: the final status, trailers included. Only once.
    void finish(const grpc::Status& status);
    // Runs inside finish(), on the finishing thread, under this record's lock:
    // the call object posts itself a wake-up, so the end reaches the UI at
    // once rather than at its next frame. Cleared (empty) before that object
    // goes away, which the lock makes safe.
    void setFinishedNotifier(std::function<void()> notify);

    QList<CallTraceEntry> takeTrace();
    bool isFinished() const;
    std::optional<CallStatus> status() const;
    qint64 messagesReceived() const;
    qint64 messagesSent() const;

private:
    void flushCountsLocked(double now);

    grpc::ClientContext m_context;
    CallTracker::Token m_token;
    const QString m_method;
    const QString m_target;
    const qint64 m_deadlineMs;
    QElapsedTimer m_clock;
    mutable std::mutex m_mutex;
    QList<CallTraceEntry> m_pending;
    qint64 m_sentBytes = 0, m_receivedBytes = 0;
    int m_sentCount = 0, m_receivedCount = 0;
    qint64 m_totalSent = 0, m_totalReceived = 0;
    std::optional<CallStatus> m_status;
    std::function<void()> m_finishedNotifier;
};

} // namespace streamlab
