// EmbeddedServer: the bound port, stopping with open streams within its
// deadline, a taken port, health and reflection, start times.

#include "ClientSupport.h"

#include "EmbeddedServer.h"

#include <QTcpServer>

using namespace streamlab;
using namespace streamlab::test;

class TestServerEmbedded : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void portZeroReportsBoundPort();
    void stopWithOpenStreamsIsQuick();
    void stopIsIdempotentAndRestartable();
    void secondServerOnSamePortFails();
    void portTakenByAnotherProgramFails();
    void badAddressAndDataDir();
    void healthServing();
    void reflectionListsServices();
    void startTimes();
};

void TestServerEmbedded::portZeroReportsBoundPort()
{
    TestServer server(10);
    QVERIFY(server.start());
    QVERIFY(server.server->running());
    const int port = server.server->port();
    QVERIFY(port > 0 && port < 65536);
    QCOMPARE(server.address(), "127.0.0.1:" + std::to_string(port));
    QCOMPARE(server.server->host(), std::string("127.0.0.1"));
    QCOMPARE(server.state()->listenAddress, server.address());

    // It really listens there.
    auto stub = StreamingExamples::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                               grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    setDeadline(context, 5000);
    UserRequest request;
    request.set_id("42");
    UserResponse user;
    QVERIFY(stub->GetUser(&context, request, &user).ok());

    // Two servers on port 0 get different ports.
    TestServer other(10);
    QVERIFY(other.start());
    QVERIFY(other.server->port() != port);
}

void TestServerEmbedded::stopWithOpenStreamsIsQuick()
{
    TestServer server(10);
    server.config.eventRatePerSecond = 50;
    QVERIFY(server.start());
    auto stub = StreamingExamples::NewStub(server.channel());

    // A follow stream that is waiting for live events, a chat, a paused
    // reader whose server write is blocked, and an upload half way.
    StreamReader<Event> follower;
    EventFilter follow;
    follow.set_follow(true);
    stub->async()->ListEvents(&follower.context, &follow, &follower);
    follower.start();
    QVERIFY(follower.waitForCount(12));   // the history and two live events

    auto smallStub = StreamingExamples::NewStub(server.channel(smallWindowArgs()));
    StreamReader<Event> paused;
    EventFilter all;
    all.set_follow(true);
    smallStub->async()->ListEvents(&paused.context, &all, &paused);
    paused.start(/*paused=*/true);

    ChatClient alice(*stub, "alice");
    ChatClient bob(*stub, "bob");
    QVERIFY(alice.waitForParticipants(2));

    grpc::ClientContext uploadContext;
    setDeadline(uploadContext);
    UploadResult result;
    auto writer = stub->UploadChunks(&uploadContext, &result);
    Chunk chunk;
    chunk.set_upload_id("stopped-upload");
    chunk.set_data(std::string(1000, 'u'));
    QVERIFY(writer->Write(chunk));
    QVERIFY(pollUntil([&] { return server.state()->stats.activeCalls() >= 5; }));

    const auto started = Clock::now();
    server.server->stop();   // the configured deadline, as streamlab-server and TestServer use
    const int64_t took = msSince(started);
    qInfo("stop() with 5 open calls took %lld ms", (long long)took);
    QVERIFY2(took <= 1000 * kTimingScale, qPrintable(QString("stop took %1 ms").arg(took)));
    QVERIFY(!server.server->running());
    QCOMPARE(server.server->port(), 0);

    // Every client learns that its call is over.
    QVERIFY(follower.waitDone());
    QVERIFY(!follower.status().ok());
    paused.resume();
    QVERIFY(paused.waitDone());
    QVERIFY(alice.waitDone());
    QVERIFY(bob.waitDone());
    QVERIFY(!alice.status().ok());
    const grpc::Status uploadStatus = writer->Finish();
    QVERIFY(!uploadStatus.ok());
    // The interrupted upload left no completed file.
    QCOMPARE(filesIn(server.dataDir() + "/uploads"), QStringList());
}

void TestServerEmbedded::stopIsIdempotentAndRestartable()
{
    QTemporaryDir dir;
    server::ServerConfig config;
    config.listenAddress = "127.0.0.1:0";
    config.dataDir = dir.path().toStdString();
    config.seedEvents = 10;
    server::EmbeddedServer server(config);
    server.stop();   // never started: nothing happens
    std::string error;
    QVERIFY2(server.start(&error), error.c_str());
    QVERIFY(server.start(&error));   // already running: fine
    const int port = server.port();
    server.stop();
    server.stop();
    QVERIFY(!server.running());
    QVERIFY2(server.start(&error), error.c_str());
    QVERIFY(server.port() > 0);
    QVERIFY(!server.seededOnStart());
    Q_UNUSED(port);
}

void TestServerEmbedded::secondServerOnSamePortFails()
{
    TestServer first(10);
    QVERIFY(first.start());
    QTemporaryDir dir;
    server::ServerConfig config;
    config.listenAddress = first.address();
    config.dataDir = dir.path().toStdString();
    config.seedEvents = 10;
    server::EmbeddedServer second(config);
    std::string error;
    QVERIFY(!second.start(&error));
    QVERIFY(!second.running());
    QVERIFY2(error.find(first.address()) != std::string::npos, error.c_str());
    QVERIFY2(error.find("in use") != std::string::npos, error.c_str());
    qInfo("second server: %s", error.c_str());

    // The first one is not disturbed: it still answers every call.
    auto stub = StreamingExamples::NewStub(first.channel());
    for (int i = 0; i < 5; ++i) {
        grpc::ClientContext context;
        setDeadline(context, 5000);
        UserRequest request;
        request.set_id("42");
        UserResponse user;
        QVERIFY(stub->GetUser(&context, request, &user).ok());
    }
    QVERIFY(first.state()->stats.totalCalls() >= 5);
}

void TestServerEmbedded::portTakenByAnotherProgramFails()
{
    QTcpServer other;
    QVERIFY(other.listen(QHostAddress::LocalHost, 0));
    QTemporaryDir dir;
    server::ServerConfig config;
    config.listenAddress = "127.0.0.1:" + std::to_string(other.serverPort());
    config.dataDir = dir.path().toStdString();
    config.seedEvents = 10;
    server::EmbeddedServer server(config);
    std::string error;
    QVERIFY(!server.start(&error));
    QVERIFY2(error.find("in use") != std::string::npos, error.c_str());
}

void TestServerEmbedded::badAddressAndDataDir()
{
    QTemporaryDir dir;
    for (const char* address : {"localhost", "127.0.0.1:99999", "127.0.0.1:port", ":50051", "[::1:5"}) {
        server::ServerConfig config;
        config.listenAddress = address;
        config.dataDir = dir.path().toStdString();
        server::EmbeddedServer server(config);
        std::string error;
        QVERIFY2(!server.start(&error), address);
        QVERIFY2(error.find("HOST:PORT") != std::string::npos, error.c_str());
    }
    server::ServerConfig noDir;
    noDir.listenAddress = "127.0.0.1:0";
    server::EmbeddedServer server(noDir);
    std::string error;
    QVERIFY(!server.start(&error));
    QVERIFY(!error.empty());

    // A data dir that cannot be created (a file is in the way).
    QFile blocker(dir.path() + "/file");
    QVERIFY(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    server::ServerConfig blocked;
    blocked.listenAddress = "127.0.0.1:0";
    blocked.dataDir = (dir.path() + "/file/data").toStdString();
    server::EmbeddedServer blockedServer(blocked);
    QVERIFY(!blockedServer.start(&error));
    QVERIFY2(error.find("data directory") != std::string::npos, error.c_str());
}

void TestServerEmbedded::healthServing()
{
    TestServer server(10);
    QVERIFY(server.start());
    auto channel = server.channel();
    grpc::Status status;
    QCOMPARE(healthCheck(channel, "", &status), 1);   // SERVING
    QVERIFY2(status.ok(), status.error_message().c_str());
    QCOMPARE(healthCheck(channel, server::kHealthServiceName, &status), 1);
    QCOMPARE(std::string(server::kHealthServiceName), std::string("streamlab.StreamingExamples"));
    QCOMPARE(healthCheck(channel, "no.such.Service", &status), -1);
    QCOMPARE(int(status.error_code()), int(grpc::StatusCode::NOT_FOUND));
}

void TestServerEmbedded::reflectionListsServices()
{
    TestServer server(10);
    QVERIFY(server.start());
    grpc::Status status;
    const std::vector<std::string> services = ReflectionListServices::run(server.channel(), &status);
    QVERIFY2(status.ok(), status.error_message().c_str());
    QStringList names;
    for (const auto& s : services)
        names << QString::fromStdString(s);
    for (const char* expected : {"streamlab.StreamingExamples", "streamlab.FlowLab", "streamlab.ServerAdmin",
                                 "grpc.health.v1.Health"})
        QVERIFY2(names.contains(expected), qPrintable(names.join(", ")));
}

void TestServerEmbedded::startTimes()
{
    // Production seed (1,000 users, 120,000 events): a fresh data dir, then the same one again.
    QTemporaryDir dir;
    server::ServerConfig config;
    config.listenAddress = "127.0.0.1:0";
    config.dataDir = dir.path().toStdString();
    double fresh = 0, existing = 0;
    {
        server::EmbeddedServer server(config);
        std::string error;
        QVERIFY2(server.start(&error), error.c_str());
        QVERIFY(server.seededOnStart());
        fresh = server.startSeconds();
        QCOMPARE(server.state()->events->count(), int64_t(120000));
    }
    {
        server::EmbeddedServer server(config);
        std::string error;
        QVERIFY2(server.start(&error), error.c_str());
        QVERIFY(!server.seededOnStart());
        existing = server.startSeconds();
        QCOMPARE(server.state()->events->count(), int64_t(120000));
        QCOMPARE(server.state()->users->count(), int64_t(1000));
    }
    qInfo("start: %.0f ms with a fresh data dir (seeding 120,000 events), %.1f ms with an existing one", fresh * 1000,
          existing * 1000);
    QVERIFY(existing < fresh);
}

QTEST_GUILESS_MAIN(TestServerEmbedded)
#include "tst_server_embedded.moc"
