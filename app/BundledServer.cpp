#include "BundledServer.h"

#include "EmbeddedServer.h"
#include "ServerState.h"
#include "streamlab_lab.grpc.pb.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <QtConcurrent>

namespace streamlab {

BundledServer::BundledServer(QObject* parent) : QObject(parent)
{
    qRegisterMetaType<streamlab::BundledStartResult>();
    connect(&m_startWatcher, &QFutureWatcher<BundledStartResult>::finished, this, [this] {
        BundledStartResult result = m_startWatcher.result();
        m_server = result.server;
        Q_EMIT started(result);
    });
    connect(&m_stopWatcher, &QFutureWatcher<void>::finished, this, &BundledServer::stopped);
}

BundledServer::~BundledServer() { stopAndWait(1000); }

QString BundledServer::address() const
{
    return m_server ? QString::fromStdString(m_server->address()) : QString();
}

int BundledServer::clients() const
{
    return m_server && m_server->state() ? int(m_server->state()->stats.clients()) : 0;
}

int BundledServer::activeCalls() const
{
    return m_server && m_server->state() ? int(m_server->state()->stats.activeCalls()) : 0;
}

bool BundledServer::isStreamlabServer(const QString& address, int timeoutMs, QString* instanceId)
{
    auto channel = grpc::CreateChannel(address.toStdString(), grpc::InsecureChannelCredentials());
    auto stub = ServerAdmin::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeoutMs));
    ServerInfo info;
    const grpc::Status status = stub->GetServerInfo(&context, ServerInfoRequest(), &info);
    // UNAUTHENTICATED still means "a Streamlab server", one that wants a token.
    const bool streamlab = (status.ok() && info.product() == "streamlab")
        || status.error_code() == grpc::StatusCode::UNAUTHENTICATED;
    if (streamlab && instanceId)
        *instanceId = QString::fromStdString(info.instance_id());
    return streamlab;
}

BundledStartResult BundledServer::startBlocking(const BundledServerOptions& options)
{
    BundledStartResult result;
    server::ServerConfig config;
    config.dataDir = options.dataDir.toStdString();
    config.authToken = options.token.toStdString();
    const QString wanted = QStringLiteral("%1:%2").arg(options.host).arg(options.port);
    config.listenAddress = wanted.toStdString();

    const QString probeAddress = QStringLiteral("%1:%2")
                                     .arg(options.host == QLatin1String("0.0.0.0") ? QStringLiteral("127.0.0.1") : options.host)
                                     .arg(options.port);
    auto joinOther = [&] {
        result.outcome = BundledStartResult::Outcome::JoinedOther;
        result.address = probeAddress;
        result.message = QStringLiteral("Port %1 is served by another Streamlab: joined its server at %2.")
                             .arg(options.port).arg(probeAddress);
        return result;
    };
    // Ask first: when another Streamlab already serves the port (the usual
    // second window), join it without trying to bind at all.
    if (options.port != 0 && isStreamlabServer(probeAddress, 500))
        return joinOther();

    auto server = std::make_shared<server::EmbeddedServer>(config);
    std::string error;
    if (server->start(&error)) {
        result.outcome = BundledStartResult::Outcome::Started;
    } else if (options.port != 0) {
        // Taken: by a Streamlab that was still starting (join it) or by something else (take a free port).
        if (isStreamlabServer(probeAddress, 1500))
            return joinOther();
        config.listenAddress = QStringLiteral("%1:0").arg(options.host).toStdString();
        server = std::make_shared<server::EmbeddedServer>(config);
        std::string retryError;
        if (!server->start(&retryError)) {
            result.message = QStringLiteral("The bundled server could not start: %1").arg(QString::fromStdString(retryError));
            return result;
        }
        result.outcome = BundledStartResult::Outcome::Started;
        result.message = QStringLiteral("Port %1 is used by another program; the bundled server listens on port %2 instead.")
                             .arg(options.port).arg(server->port());
    } else {
        result.message = QStringLiteral("The bundled server could not start: %1").arg(QString::fromStdString(error));
        return result;
    }
    result.server = server;
    result.seeded = server->seededOnStart();
    result.seconds = server->startSeconds();
    // Connect through loopback even when listening on every interface.
    result.address = options.host == QLatin1String("0.0.0.0") ? QStringLiteral("127.0.0.1:%1").arg(server->port())
                                                              : QString::fromStdString(server->address());
    if (result.message.isEmpty())
        result.message = QStringLiteral("Bundled server listening on %1%2.")
                             .arg(QString::fromStdString(server->address()),
                                  result.seeded ? QStringLiteral(" (new data directory, seeded)") : QString());
    return result;
}

void BundledServer::start(const BundledServerOptions& options)
{
    if (busy() || m_server)
        return;
    m_startWatcher.setFuture(QtConcurrent::run([options] { return startBlocking(options); }));
}

void BundledServer::stop(int graceMs)
{
    if (!m_server || m_stopWatcher.isRunning())
        return;
    auto server = std::move(m_server);
    m_stopWatcher.setFuture(QtConcurrent::run([server, graceMs] { server->stop(std::chrono::milliseconds(graceMs)); }));
}

bool BundledServer::stopAndWait(int timeoutMs)
{
    m_startWatcher.waitForFinished();
    if (m_startWatcher.future().isValid() && m_startWatcher.isFinished() && !m_server && m_startWatcher.future().resultCount())
        m_server = m_startWatcher.result().server;
    stop(kExitGraceMs);
    if (!m_stopWatcher.isRunning())
        return true;
    QElapsedTimer clock;
    clock.start();
    while (m_stopWatcher.isRunning() && clock.elapsed() < timeoutMs)
        QThread::msleep(10);
    return !m_stopWatcher.isRunning();
}

} // namespace streamlab
