#pragma once
// The server inside the app. start() runs off the GUI thread (seeding a new
// data dir takes a moment); if the port is held by another Streamlab, this
// instance joins that server instead of starting its own, so two windows can
// chat with no set-up; if something else holds it, the server takes a free port.

#include <QFutureWatcher>
#include <QObject>
#include <QString>

#include <memory>

namespace streamlab {

namespace server {
class EmbeddedServer;
}

struct BundledServerOptions {
    QString host = QStringLiteral("127.0.0.1");   // "0.0.0.0" only when the user opts in
    int port = 50051;
    QString dataDir;
    QString token;                                // required from clients when set
};

struct BundledStartResult {
    enum class Outcome { Started, JoinedOther, Failed } outcome = Outcome::Failed;
    QString address;          // where to connect
    QString message;          // for the status bar: what happened and why
    bool seeded = false;
    double seconds = 0;
    std::shared_ptr<server::EmbeddedServer> server;   // when Started
};

class BundledServer : public QObject {
    Q_OBJECT
public:
    explicit BundledServer(QObject* parent = nullptr);
    ~BundledServer() override;

    // How long other clients' calls may go on when the server stops (then
    // they are cancelled): a restart gives them kStopGraceMs; exit (stopAndWait)
    // only kExitGraceMs, because follow streams and chats never end by
    // themselves and the app must be gone within 1 s of being closed.
    static constexpr int kStopGraceMs = 500;
    static constexpr int kExitGraceMs = 150;

    void start(const BundledServerOptions& options);
    // Stops off the GUI thread; stopped() when done.
    void stop(int graceMs = kStopGraceMs);
    // For exit: stops (grace kExitGraceMs) and waits at most `timeoutMs` (the shutdown runs on a worker).
    bool stopAndWait(int timeoutMs);

    bool running() const { return m_server != nullptr; }
    bool busy() const { return m_startWatcher.isRunning() || m_stopWatcher.isRunning(); }
    QString address() const;
    int clients() const;        // peers with a call in flight
    int activeCalls() const;

    // The blocking part of start(), for tests and the bench.
    static BundledStartResult startBlocking(const BundledServerOptions& options);
    // True when a Streamlab server answers at `address` within `timeoutMs`.
    static bool isStreamlabServer(const QString& address, int timeoutMs, QString* instanceId = nullptr);

Q_SIGNALS:
    void started(const streamlab::BundledStartResult& result);
    void stopped();

private:
    std::shared_ptr<server::EmbeddedServer> m_server;
    QFutureWatcher<BundledStartResult> m_startWatcher;
    QFutureWatcher<void> m_stopWatcher;
};

} // namespace streamlab

Q_DECLARE_METATYPE(streamlab::BundledStartResult)
