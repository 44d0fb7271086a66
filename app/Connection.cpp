#include "Connection.h"

#include "EmbeddedServer.h"
#include "WorkerPriority.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <QRegularExpression>

namespace streamlab {

namespace {

ChannelState fromGrpc(grpc_connectivity_state state)
{
    switch (state) {
    case GRPC_CHANNEL_IDLE: return ChannelState::Idle;
    case GRPC_CHANNEL_CONNECTING: return ChannelState::Connecting;
    case GRPC_CHANNEL_READY: return ChannelState::Ready;
    case GRPC_CHANNEL_TRANSIENT_FAILURE: return ChannelState::TransientFailure;
    case GRPC_CHANNEL_SHUTDOWN: return ChannelState::Shutdown;
    }
    return ChannelState::Idle;
}

constexpr auto kWatchSlice = std::chrono::milliseconds(100);

} // namespace

QString channelStateName(ChannelState state)
{
    switch (state) {
    case ChannelState::Idle: return QStringLiteral("IDLE");
    case ChannelState::Connecting: return QStringLiteral("CONNECTING");
    case ChannelState::Ready: return QStringLiteral("READY");
    case ChannelState::TransientFailure: return QStringLiteral("TRANSIENT_FAILURE");
    case ChannelState::Shutdown: return QStringLiteral("SHUTDOWN");
    }
    return {};
}

TargetCheck checkTarget(const QString& text)
{
    TargetCheck check;
    const QString address = text.trimmed();
    if (address.isEmpty()) {
        check.error = QStringLiteral("Enter a server address as HOST:PORT, for example 127.0.0.1:50051.");
        return check;
    }
    std::string host;
    int port = 0;
    if (!server::splitHostPort(address.toStdString(), &host, &port)) {
        check.error = QStringLiteral("'%1' is not an address: write HOST:PORT, for example 127.0.0.1:50051 or [::1]:50051.").arg(address);
        return check;
    }
    if (port < 1) {
        check.error = QStringLiteral("Port %1 is not valid: use 1 to 65535.").arg(port);
        return check;
    }
    // A host name (RFC 1123 labels), an IPv4 address or a bracketed IPv6 address.
    static const QRegularExpression kHostName(QStringLiteral("^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\\.?$"));
    static const QRegularExpression kIpv6(QStringLiteral("^[0-9A-Fa-f:.%a-z]+$"));
    const QString qhost = QString::fromStdString(host);
    const bool isV6 = address.startsWith(QLatin1Char('['));
    if (isV6 ? !kIpv6.match(qhost).hasMatch() : !kHostName.match(qhost).hasMatch()) {
        check.error = QStringLiteral("'%1' is not a host name or IP address.").arg(qhost);
        return check;
    }
    check.ok = true;
    check.target = isV6 ? QStringLiteral("[%1]:%2").arg(qhost).arg(port) : QStringLiteral("%1:%2").arg(qhost).arg(port);
    return check;
}

grpc::ChannelArguments Connection::channelArguments()
{
    grpc::ChannelArguments args;
    // Idle chat streams across machines survive NATs and firewalls with
    // keepalive; the server permits pings at this interval (ServerConfig).
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
    args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
    // Back soon after a server restart (chat reconnects, uploads resume).
    // Not GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: in C-core it is also the minimum
    // connect timeout (default 20 s), and a small value fails slow links.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 250);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
    args.SetMaxReceiveMessageSize(8 << 20);
    return args;
}

Connection::Connection(QObject* parent) : QObject(parent)
{
    qRegisterMetaType<streamlab::ChannelState>();
}

Connection::~Connection() { stopWatcher(); }

bool Connection::connectTo(const QString& address, QString* error)
{
    const TargetCheck check = checkTarget(address);
    if (!check.ok) {
        if (error)
            *error = check.error;
        return false;
    }
    stopWatcher();
    auto channel = grpc::CreateCustomChannel(check.target.toStdString(), grpc::InsecureChannelCredentials(), channelArguments());
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_target = check.target;
        m_channel = channel;
    }
    const uint64_t generation = ++m_generation;
    m_stopWatcher = false;
    m_watcher = std::thread([this, channel, generation] { watch(channel, generation); });
    Q_EMIT targetChanged(check.target);
    return true;
}

void Connection::stopWatcher()
{
    m_stopWatcher = true;
    if (m_watcher.joinable())
        m_watcher.join();
}

// On the watcher thread: report every state change, asking the channel to
// connect (so the bar shows the truth without waiting for the first call).
void Connection::watch(std::shared_ptr<grpc::Channel> channel, uint64_t generation)
{
    WorkerPriority::lowerCurrentThread();   // started from the GUI thread: not at its priority
    auto report = [this, generation](grpc_connectivity_state s) {
        const ChannelState state = fromGrpc(s);
        m_state = state;
        // Queued to the GUI thread; this object outlives the thread (joined).
        QMetaObject::invokeMethod(this, [this, generation, state] {
            if (generation == m_generation)
                Q_EMIT stateChanged(state);
        }, Qt::QueuedConnection);
    };
    grpc_connectivity_state last = channel->GetState(true);
    report(last);
    while (!m_stopWatcher) {
        if (channel->WaitForStateChange(last, std::chrono::system_clock::now() + kWatchSlice)) {
            last = channel->GetState(true);
            report(last);
        }
    }
}

QString Connection::target() const
{
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_target;
}

std::shared_ptr<grpc::Channel> Connection::channel() const
{
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_channel;
}

void Connection::setToken(const QString& token)
{
    std::lock_guard<std::mutex> lock(m_mutex);
    m_token = token.trimmed().toStdString();
}

QString Connection::token() const
{
    std::lock_guard<std::mutex> lock(m_mutex);
    return QString::fromStdString(m_token);
}

void Connection::prepare(grpc::ClientContext& context, qint64 deadlineMs) const
{
    if (deadlineMs > 0)
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadlineMs));
    std::lock_guard<std::mutex> lock(m_mutex);
    if (!m_token.empty())
        context.AddMetadata("authorization", "Bearer " + m_token);
}

} // namespace streamlab
