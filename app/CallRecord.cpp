#include "CallRecord.h"

#include "Connection.h"

namespace streamlab {

QString metadataText(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata)
{
    QStringList parts;
    for (const auto& entry : metadata)
        parts << QStringLiteral("%1: %2").arg(QString::fromUtf8(entry.first.data(), int(entry.first.size())),
                                             QString::fromUtf8(entry.second.data(), int(entry.second.size())));
    return parts.join(QStringLiteral("; "));
}

CallRecord::CallRecord(const Connection& connection, const QString& method, qint64 deadlineMs)
    : m_method(method), m_target(connection.target()), m_deadlineMs(deadlineMs)
{
    connection.prepare(m_context, deadlineMs);
    m_token = CallTracker::track(&m_context);
    m_clock.start();
    m_pending.append({CallTraceEntry::Kind::Started, 0, 0, 1,
                      QStringLiteral("%1 → %2, deadline %3 s").arg(method, m_target).arg(double(deadlineMs) / 1000.0, 0, 'f', 0)});
}

void CallRecord::noteSent(qint64 bytes, int messages)
{
    std::lock_guard<std::mutex> lock(m_mutex);
    m_sentBytes += bytes;
    m_sentCount += messages;
    m_totalSent += messages;
}

void CallRecord::noteReceived(qint64 bytes, int messages)
{
    std::lock_guard<std::mutex> lock(m_mutex);
    m_receivedBytes += bytes;
    m_receivedCount += messages;
    m_totalReceived += messages;
}

void CallRecord::note(CallTraceEntry::Kind kind, const QString& detail, qint64 bytes)
{
    const double now = elapsedMs();
    std::lock_guard<std::mutex> lock(m_mutex);
    flushCountsLocked(now);   // keep the order of events
    m_pending.append({kind, now, bytes, 1, detail});
}

void CallRecord::noteHeaders()
{
    note(CallTraceEntry::Kind::Headers, metadataText(m_context.GetServerInitialMetadata()));
}

void CallRecord::finish(const grpc::Status& status)
{
    const double now = elapsedMs();
    const QString trailers = metadataText(m_context.GetServerTrailingMetadata());
    CallStatus result = makeCallStatus(status, now, m_target, m_deadlineMs);
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_status)
        return;
    flushCountsLocked(now);
    if (!trailers.isEmpty())
        m_pending.append({CallTraceEntry::Kind::Trailers, now, 0, 1, trailers});
    m_pending.append({CallTraceEntry::Kind::Finished, now, 0, 1, result.summary()});
    m_status = result;
    // Over: nothing left for CallTracker to cancel or wait for at exit.
    m_token = CallTracker::Token();
    if (m_finishedNotifier)
        m_finishedNotifier();
}

void CallRecord::setFinishedNotifier(std::function<void()> notify)
{
    std::lock_guard<std::mutex> lock(m_mutex);
    m_finishedNotifier = std::move(notify);
}

void CallRecord::flushCountsLocked(double now)
{
    if (m_sentCount) {
        m_pending.append({CallTraceEntry::Kind::Sent, now, m_sentBytes, m_sentCount, QString()});
        m_sentCount = 0;
        m_sentBytes = 0;
    }
    if (m_receivedCount) {
        m_pending.append({CallTraceEntry::Kind::Received, now, m_receivedBytes, m_receivedCount, QString()});
        m_receivedCount = 0;
        m_receivedBytes = 0;
    }
}

QList<CallTraceEntry> CallRecord::takeTrace()
{
    const double now = elapsedMs();
    std::lock_guard<std::mutex> lock(m_mutex);
    flushCountsLocked(now);
    QList<CallTraceEntry> taken;
    taken.swap(m_pending);
    return taken;
}

bool CallRecord::isFinished() const
{
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_status.has_value();
}

std::optional<CallStatus> CallRecord::status() const
{
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_status;
}

qint64 CallRecord::messagesReceived() const
{
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_totalReceived;
}

qint64 CallRecord::messagesSent() const
{
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_totalSent;
}

} // namespace streamlab
