#include "StreamCall.h"

#include "Connection.h"

namespace streamlab {

StreamCall::StreamCall(Connection* connection, QObject* parent) : QObject(parent), m_connection(connection)
{
    qRegisterMetaType<streamlab::CallStatus>();
    qRegisterMetaType<QList<streamlab::CallTraceEntry>>();
    m_frameTimer.setInterval(16);   // ~60 deliveries per second at most
    connect(&m_frameTimer, &QTimer::timeout, this, &StreamCall::frame);
}

StreamCall::~StreamCall()
{
    releaseRecord();
}

void StreamCall::releaseRecord()
{
    // The reactor owns what it uses (shared): cancelling is enough. The
    // notifier goes first, so the reactor never wakes an object that is gone.
    if (m_record) {
        m_record->setFinishedNotifier({});
        if (!m_record->isFinished())
            m_record->cancel();
    }
}

void StreamCall::cancel()
{
    if (m_record) {
        m_record->note(CallTraceEntry::Kind::Note, tr("cancel requested"));
        m_record->cancel();
    }
}

std::shared_ptr<CallRecord> StreamCall::beginCall(const QString& method, qint64 deadlineMs)
{
    releaseRecord();
    m_record = std::make_shared<CallRecord>(*m_connection, method, deadlineMs);
    // The end is delivered at once; messages still wait for the frame.
    m_record->setFinishedNotifier([this] { QMetaObject::invokeMethod(this, [this] { frame(); }, Qt::QueuedConnection); });
    m_finishedEmitted = false;
    m_frameTimer.start();
    Q_EMIT started(method);
    return m_record;
}

void StreamCall::frame()
{
    if (!m_record)
        return;
    // Read "finished" before draining: whatever the reactor pushed before it
    // finished is then taken by this same frame.
    const auto status = m_record->status();
    onFrame();
    const QList<CallTraceEntry> entries = m_record->takeTrace();
    if (!entries.isEmpty())
        Q_EMIT trace(entries);
    if (status && !m_finishedEmitted) {
        m_finishedEmitted = true;
        m_frameTimer.stop();
        onFinished(*status);
        Q_EMIT finished(*status);
    }
}

} // namespace streamlab
