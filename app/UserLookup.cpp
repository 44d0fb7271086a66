#include "UserLookup.h"

#include "CallRecord.h"
#include "CallTracker.h"
#include "Connection.h"
#include "Services.h"
#include "streaming_examples.grpc.pb.h"

#include <QElapsedTimer>
#include <QtConcurrent>

#include <algorithm>
#include <cmath>
#include <mutex>

namespace streamlab {

// What a running lookup or repeat shares with the GUI: its context (to
// cancel) and a stop flag. Lives as long as either side holds it.
// Made on the GUI thread, handed to a pool thread by QtConcurrent::run.
// The pool hands it over under Qt's own lock, which ThreadSanitizer cannot
// see (Debian's Qt is not instrumented), so publish() (GUI thread, before the
// hand-off) and received() (the worker, before anything else of the job)
// state the same ordering where TSan sees it.
struct UserLookup::Job {
    std::mutex mutex;
    grpc::ClientContext* context = nullptr;   // the call in flight, if any
    std::atomic<bool> stop{false};

    void publish() { stop.store(false, std::memory_order_release); }
    void received() const { (void)stop.load(std::memory_order_acquire); }

    void cancel()
    {
        stop = true;
        std::lock_guard<std::mutex> lock(mutex);
        if (context)
            context->TryCancel();
    }
};

namespace {

UserInfo toUserInfo(const UserResponse& response)
{
    UserInfo user;
    user.id = QString::fromStdString(response.id());
    user.name = QString::fromStdString(response.name());
    user.email = QString::fromStdString(response.email());
    user.username = QString::fromStdString(response.username());
    user.company = QString::fromStdString(response.company());
    user.jobTitle = QString::fromStdString(response.job_title());
    user.city = QString::fromStdString(response.city());
    user.country = QString::fromStdString(response.country());
    user.phone = QString::fromStdString(response.phone());
    if (response.created_at_ms())
        user.createdAt = QDateTime::fromMSecsSinceEpoch(response.created_at_ms(), Qt::UTC);
    return user;
}

} // namespace

double percentile(const std::vector<double>& sorted, double p)
{
    if (sorted.empty())
        return 0;
    const size_t rank = size_t(std::ceil(p / 100.0 * double(sorted.size())));
    return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

UserLookup::UserLookup(Connection* connection, QObject* parent) : QObject(parent), m_connection(connection)
{
    qRegisterMetaType<streamlab::LookupResult>();
    qRegisterMetaType<streamlab::LatencyStats>();
    connect(&m_lookupWatcher, &QFutureWatcher<LookupResult>::finished, this, [this] {
        Q_EMIT finished(m_lookupWatcher.result());
    });
    connect(&m_repeatWatcher, &QFutureWatcher<LatencyStats>::finished, this, [this] {
        Q_EMIT repeatFinished(m_repeatWatcher.result());
    });
}

UserLookup::~UserLookup()
{
    // The worker uses m_connection and posts to this object: stop it first.
    if (m_job)
        m_job->cancel();
    m_lookupWatcher.waitForFinished();
    m_repeatWatcher.waitForFinished();
}

bool UserLookup::busy() const { return m_lookupWatcher.isRunning() || m_repeatWatcher.isRunning(); }

void UserLookup::cancel()
{
    if (m_job)
        m_job->cancel();
}

LookupResult UserLookup::callGetUser(Connection* connection, const QString& id, qint64 deadlineMs, qint64 serverDelayMs,
                                     grpc::ClientContext* context)
{
    LookupResult result;
    UserRequest request;
    request.set_id(id.toStdString());
    UserResponse response;
    connection->prepare(*context, deadlineMs);
    if (serverDelayMs > 0)
        context->AddMetadata(server::kDelayMetadataKey, std::to_string(serverDelayMs));
    auto tracked = CallTracker::track(context);
    const QString target = connection->target();
    auto stub = StreamingExamples::NewStub(connection->channel());

    QElapsedTimer clock;
    clock.start();
    result.trace.append({CallTraceEntry::Kind::Started, 0, 0, 1,
                         QStringLiteral("GetUser(id=\"%1\") → %2, deadline %3 ms").arg(id, target).arg(deadlineMs)});
    result.trace.append({CallTraceEntry::Kind::Sent, 0, qint64(request.ByteSizeLong()), 1, QStringLiteral("UserRequest")});
    const grpc::Status status = stub->GetUser(context, request, &response);
    const double elapsed = double(clock.nsecsElapsed()) / 1e6;

    const QString headers = metadataText(context->GetServerInitialMetadata());
    if (!headers.isEmpty())
        result.trace.append({CallTraceEntry::Kind::Headers, elapsed, 0, 1, headers});
    if (status.ok()) {
        result.trace.append({CallTraceEntry::Kind::Received, elapsed, qint64(response.ByteSizeLong()), 1, QStringLiteral("UserResponse")});
        result.hasUser = true;
        result.user = toUserInfo(response);
    }
    const QString trailers = metadataText(context->GetServerTrailingMetadata());
    if (!trailers.isEmpty())
        result.trace.append({CallTraceEntry::Kind::Trailers, elapsed, 0, 1, trailers});
    result.status = makeCallStatus(status, elapsed, target, deadlineMs);
    result.trace.append({CallTraceEntry::Kind::Finished, elapsed, 0, 1, result.status.summary()});
    return result;
}

void UserLookup::lookup(const QString& id, qint64 deadlineMs, qint64 serverDelayMs)
{
    if (busy())
        return;
    auto job = std::make_shared<Job>();
    job->publish();
    m_job = job;
    Connection* connection = m_connection;
    Q_EMIT started(QStringLiteral("GetUser"));
    m_lookupWatcher.setFuture(QtConcurrent::run([job, connection, id, deadlineMs, serverDelayMs] {
        job->received();
        grpc::ClientContext context;
        {
            std::lock_guard<std::mutex> lock(job->mutex);
            job->context = &context;
        }
        if (job->stop)
            context.TryCancel();
        LookupResult result = callGetUser(connection, id, deadlineMs, serverDelayMs, &context);
        std::lock_guard<std::mutex> lock(job->mutex);
        job->context = nullptr;
        return result;
    }));
}

void UserLookup::repeat(const QString& id, int count, qint64 deadlineMs)
{
    if (busy() || count < 1)
        return;
    auto job = std::make_shared<Job>();
    job->publish();
    m_job = job;
    Connection* connection = m_connection;
    Q_EMIT started(QStringLiteral("GetUser ×%1").arg(count));
    m_repeatWatcher.setFuture(QtConcurrent::run([this, job, connection, id, count, deadlineMs] {
        job->received();
        std::vector<double> latencies;
        latencies.reserve(size_t(count));
        LatencyStats stats;
        stats.total = count;
        QElapsedTimer sinceReport;
        sinceReport.start();
        QElapsedTimer total;
        total.start();
        auto summarize = [&] {
            std::vector<double> sorted = latencies;
            std::sort(sorted.begin(), sorted.end());
            stats.p50Ms = percentile(sorted, 50);
            stats.p99Ms = percentile(sorted, 99);
            stats.minMs = sorted.empty() ? 0 : sorted.front();
            stats.maxMs = sorted.empty() ? 0 : sorted.back();
            stats.elapsedMs = double(total.nsecsElapsed()) / 1e6;
        };
        for (int i = 0; i < count && !job->stop; ++i) {
            grpc::ClientContext context;
            {
                std::lock_guard<std::mutex> lock(job->mutex);
                job->context = &context;
            }
            LookupResult one = callGetUser(connection, id, deadlineMs, 0, &context);
            {
                std::lock_guard<std::mutex> lock(job->mutex);
                job->context = nullptr;
            }
            ++stats.done;
            if (one.status.ok()) {
                latencies.push_back(one.status.elapsedMs);
            } else {
                ++stats.errors;
                stats.lastError = one.status.text;
            }
            // Progress at most ~20 times a second, queued to the GUI thread
            // (this object waits for the worker in its destructor).
            if (sinceReport.elapsed() >= 50 && i + 1 < count) {
                sinceReport.restart();
                summarize();
                QMetaObject::invokeMethod(this, [this, stats] { Q_EMIT repeatProgress(stats); }, Qt::QueuedConnection);
            }
        }
        summarize();
        return stats;
    }));
}

} // namespace streamlab
