#include "UploadAdmin.h"

#include "CallTracker.h"
#include "Connection.h"
#include "streamlab_lab.grpc.pb.h"

#include <QElapsedTimer>
#include <QtConcurrent>

#include <mutex>

namespace streamlab {

// The contexts of the calls in flight, so cancel() and the destructor can stop them.
struct UploadAdmin::Jobs {
    std::mutex mutex;
    grpc::ClientContext* list = nullptr;
    grpc::ClientContext* status = nullptr;

    void cancel()
    {
        std::lock_guard<std::mutex> lock(mutex);
        if (list)
            list->TryCancel();
        if (status)
            status->TryCancel();
    }
};

namespace {

CallStatus notConnected(Connection* connection)
{
    return makeCallStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "not connected to a server"), 0, connection->target());
}

// Runs `call` with `context` registered in `slot` while it is in flight.
template <typename Call>
auto withContext(std::mutex& mutex, grpc::ClientContext** slot, Call call)
{
    grpc::ClientContext context;
    {
        std::lock_guard<std::mutex> lock(mutex);
        *slot = &context;
    }
    auto result = call(&context);
    std::lock_guard<std::mutex> lock(mutex);
    *slot = nullptr;
    return result;
}

// One blocking ServerAdmin call (on a worker thread): the connection's
// deadline and token, tracked so that closing the app cancels it, timed, and
// its status in words. False when it did not succeed (`status` says why).
template <typename Request, typename Response>
bool callAdmin(Connection* connection, qint64 deadlineMs, grpc::ClientContext* context,
               grpc::Status (ServerAdmin::Stub::*method)(grpc::ClientContext*, const Request&, Response*),
               const Request& request, Response* response, CallStatus* status)
{
    const auto channel = connection->channel();
    if (!channel) {
        *status = notConnected(connection);
        return false;
    }
    connection->prepare(*context, deadlineMs);
    auto tracked = CallTracker::track(context);
    const auto stub = ServerAdmin::NewStub(channel);
    QElapsedTimer clock;
    clock.start();
    const grpc::Status result = (stub.get()->*method)(context, request, response);
    *status = makeCallStatus(result, double(clock.nsecsElapsed()) / 1e6, connection->target(), deadlineMs);
    return result.ok();
}

} // namespace

UploadAdmin::UploadAdmin(Connection* connection, QObject* parent)
    : QObject(parent), m_connection(connection), m_jobs(std::make_shared<Jobs>())
{
    // The workers' first touch of the jobs is locking this mutex: unlocking it
    // here orders the jobs' construction before them where ThreadSanitizer
    // sees it (QtConcurrent's own hand-off is inside uninstrumented Qt).
    { const std::lock_guard<std::mutex> publish(m_jobs->mutex); }
    qRegisterMetaType<streamlab::UploadListReply>();
    qRegisterMetaType<streamlab::UploadStatusReply>();
    connect(&m_listWatcher, &QFutureWatcher<UploadListReply>::finished, this,
            [this] { Q_EMIT listReady(m_listWatcher.result()); });
    connect(&m_statusWatcher, &QFutureWatcher<UploadStatusReply>::finished, this,
            [this] { Q_EMIT statusReady(m_statusWatcher.result()); });
}

UploadAdmin::~UploadAdmin()
{
    m_jobs->cancel();
    m_listWatcher.waitForFinished();
    m_statusWatcher.waitForFinished();
}

void UploadAdmin::cancel() { m_jobs->cancel(); }

void UploadAdmin::refreshList(int limit)
{
    if (listBusy())
        return;
    auto jobs = m_jobs;
    Connection* connection = m_connection;
    m_listWatcher.setFuture(QtConcurrent::run([jobs, connection, limit] {
        return withContext(jobs->mutex, &jobs->list, [&](grpc::ClientContext* context) {
            return fetchList(connection, limit, kDeadlineMs, context);
        });
    }));
}

void UploadAdmin::queryStatus(const QString& uploadId)
{
    if (statusBusy())
        return;
    auto jobs = m_jobs;
    Connection* connection = m_connection;
    m_statusWatcher.setFuture(QtConcurrent::run([jobs, connection, uploadId] {
        return withContext(jobs->mutex, &jobs->status, [&](grpc::ClientContext* context) {
            return fetchStatus(connection, uploadId, kDeadlineMs, context);
        });
    }));
}

UploadListReply UploadAdmin::fetchList(Connection* connection, int limit, qint64 deadlineMs, grpc::ClientContext* context)
{
    UploadListReply reply;
    ListUploadsRequest request;
    request.set_limit(uint32_t(std::max(0, limit)));
    UploadList list;
    if (!callAdmin(connection, deadlineMs, context, &ServerAdmin::Stub::ListUploads, request, &list, &reply.status))
        return reply;
    reply.uploads.reserve(list.uploads_size());
    for (const StoredUpload& stored : list.uploads()) {
        StoredUploadInfo info;
        info.uploadId = QString::fromStdString(stored.upload_id());
        info.name = QString::fromStdString(stored.name());
        info.size = stored.size();
        info.sha256 = QString::fromStdString(stored.sha256());
        info.storedAt = QDateTime::fromMSecsSinceEpoch(stored.stored_at_ms(), Qt::UTC);
        reply.uploads.append(info);
    }
    return reply;
}

UploadStatusReply UploadAdmin::fetchStatus(Connection* connection, const QString& uploadId, qint64 deadlineMs,
                                           grpc::ClientContext* context)
{
    UploadStatusReply reply;
    reply.state.uploadId = uploadId;
    UploadStatusRequest request;
    request.set_upload_id(uploadId.toStdString());
    UploadStatus answer;
    if (!callAdmin(connection, deadlineMs, context, &ServerAdmin::Stub::GetUploadStatus, request, &answer, &reply.status))
        return reply;
    reply.state.exists = answer.exists();
    reply.state.offset = answer.offset();
    reply.state.completed = answer.completed();
    reply.state.storedName = QString::fromStdString(answer.stored_name());
    reply.state.sha256 = QString::fromStdString(answer.sha256());
    reply.state.capBytes = answer.cap_bytes();
    return reply;
}

} // namespace streamlab
