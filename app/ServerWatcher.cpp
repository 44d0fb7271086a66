#include "ServerWatcher.h"

#include "CallStatus.h"
#include "CallTracker.h"
#include "Connection.h"
#include "StreamCall.h"
#include "streamlab_lab.grpc.pb.h"

#include <mutex>

namespace streamlab {

// What the reactor writes and the GUI reads.
struct ServerWatcher::Shared {
    grpc::ClientContext context;   // here, so the watcher can cancel whatever the reactor's state
    CallTracker::Token token;
    std::mutex mutex;
    ServerSummary latest;
    bool changed = false;
    bool ended = false;
};

namespace {

class WatchReactor : public grpc::ClientReadReactor<ServerInfo> {
public:
    WatchReactor(const Connection& connection, std::shared_ptr<ServerWatcher::Shared> shared)
        : m_shared(std::move(shared)), m_stub(ServerAdmin::NewStub(connection.channel())), m_target(connection.target())
    {
        connection.prepare(m_shared->context, kOpenStreamDeadlineMs);
        m_shared->token = CallTracker::track(&m_shared->context);
        ServerInfoRequest request;
        request.set_interval_ms(1000);
        m_stub->async()->WatchServer(&m_shared->context, &request, this);
        StartRead(&m_info);
        StartCall();
    }

    void OnReadDone(bool ok) override
    {
        if (!ok)
            return;   // OnDone follows
        {
            std::lock_guard<std::mutex> lock(m_shared->mutex);
            ServerSummary& s = m_shared->latest;
            s.known = true;
            s.product = QString::fromStdString(m_info.product());
            s.version = QString::fromStdString(m_info.version());
            s.instanceId = QString::fromStdString(m_info.instance_id());
            s.listenAddress = QString::fromStdString(m_info.listen_address());
            s.clients = int(m_info.clients());
            s.activeCalls = int(m_info.active_calls());
            s.chatParticipants = int(m_info.chat_participants());
            m_shared->changed = true;
        }
        StartRead(&m_info);
    }

    void OnDone(const grpc::Status& status) override
    {
        ServerSummary gone;
        // Cancelled: the watcher moved on. Unimplemented: a server without
        // ServerAdmin, reachable all the same (its other services may work).
        const auto code = status.error_code();
        if (code == grpc::StatusCode::UNAVAILABLE)
            gone.problem = QObject::tr("Cannot reach %1: %2").arg(m_target, unavailableReason(QString::fromStdString(status.error_message())));
        else if (!status.ok() && code != grpc::StatusCode::CANCELLED && code != grpc::StatusCode::UNIMPLEMENTED)
            gone.problem = makeCallStatus(status, 0, m_target).text;
        {
            std::lock_guard<std::mutex> lock(m_shared->mutex);
            m_shared->ended = true;
            m_shared->latest = gone;
            m_shared->changed = true;
        }
        m_shared->token = CallTracker::Token();   // ended: nothing left to wait for at exit
        delete this;
    }

private:
    std::shared_ptr<ServerWatcher::Shared> m_shared;
    std::unique_ptr<ServerAdmin::Stub> m_stub;
    const QString m_target;
    ServerInfo m_info;
};

} // namespace

ServerWatcher::ServerWatcher(Connection* connection, QObject* parent) : QObject(parent), m_connection(connection)
{
    qRegisterMetaType<streamlab::ServerSummary>();
    // Another server: what was known of the last one no longer applies.
    connect(connection, &Connection::targetChanged, this, [this] {
        if (m_summary.known || !m_summary.problem.isEmpty()) {
            m_summary = ServerSummary();
            Q_EMIT summaryChanged(m_summary);
        }
        restart();
    });
    m_poll.setInterval(250);
    connect(&m_poll, &QTimer::timeout, this, &ServerWatcher::poll);
    m_poll.start();
    if (connection->channel())
        restart();
}

ServerWatcher::~ServerWatcher()
{
    // The reactor keeps `m_shared` alive by itself; cancelling ends it.
    if (m_shared)
        m_shared->context.TryCancel();
}

void ServerWatcher::restart()
{
    if (m_shared)
        m_shared->context.TryCancel();
    auto shared = std::make_shared<Shared>();
    m_shared = shared;
    m_idleTicks = 0;
    new WatchReactor(*m_connection, shared);   // deletes itself in OnDone
}

void ServerWatcher::poll()
{
    if (!m_shared)
        return;
    bool changed = false;
    bool ended = false;
    ServerSummary latest;
    {
        std::lock_guard<std::mutex> lock(m_shared->mutex);
        changed = m_shared->changed;
        ended = m_shared->ended;
        latest = m_shared->latest;
        m_shared->changed = false;
    }
    if (changed) {
        m_summary = latest;
        Q_EMIT summaryChanged(m_summary);
    }
    // Watch again a little after the stream ended (server restarted, network back).
    if (ended && ++m_idleTicks >= 8)
        restart();
}

} // namespace streamlab
