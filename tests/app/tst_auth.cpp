// The optional shared token: enforced by the server on every Streamlab call
// (unary and streaming) with UNAUTHENTICATED, sent by the app when set.
#include "Connection.h"
#include "TestServer.h"
#include "UserLookup.h"
#include "streaming_examples.grpc.pb.h"
#include "streamlab_lab.grpc.pb.h"

#include <grpcpp/generic/generic_stub.h>

#include <QSignalSpy>
#include <QtTest>

using namespace streamlab;

class TestAuth : public QObject {
    Q_OBJECT

private:
    LookupResult lookUp(Connection& connection)
    {
        UserLookup lookup(&connection);
        QSignalSpy finished(&lookup, &UserLookup::finished);
        lookup.lookup(QStringLiteral("42"), 5000);
        return finished.wait(10000) ? finished.first().first().value<LookupResult>() : LookupResult();
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_server.config.authToken = "s3cret-token";
        QVERIFY(m_server.start());
    }

    void callsWithoutTheTokenAreRefused()
    {
        Connection connection;
        QString error;
        QVERIFY(connection.connectTo(QString::fromStdString(m_server.address()), &error));
        const LookupResult result = lookUp(connection);
        QCOMPARE(result.status.codeName, QStringLiteral("UNAUTHENTICATED"));
        QVERIFY(result.status.text.contains(QStringLiteral("token")));
    }

    void aWrongTokenIsRefused()
    {
        Connection connection;
        QString error;
        QVERIFY(connection.connectTo(QString::fromStdString(m_server.address()), &error));
        connection.setToken(QStringLiteral("s3cret-tokeX"));
        QCOMPARE(lookUp(connection).status.codeName, QStringLiteral("UNAUTHENTICATED"));
    }

    void theRightTokenIsAccepted()
    {
        Connection connection;
        QString error;
        QVERIFY(connection.connectTo(QString::fromStdString(m_server.address()), &error));
        connection.setToken(QStringLiteral("s3cret-token"));
        QCOMPARE(lookUp(connection).status.codeName, QStringLiteral("OK"));
    }

    void streamsAreRefusedToo()
    {
        auto channel = m_server.channel();
        auto stub = StreamingExamples::NewStub(channel);
        {
            grpc::ClientContext context;
            test::setDeadline(context);
            EventFilter filter;
            auto reader = stub->ListEvents(&context, filter);
            Event event;
            QVERIFY(!reader->Read(&event));
            QCOMPARE(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
        }
        {
            grpc::ClientContext context;
            test::setDeadline(context);
            context.AddMetadata("authorization", "Bearer s3cret-token");
            EventFilter filter;
            filter.set_limit(3);
            auto reader = stub->ListEvents(&context, filter);
            Event event;
            int read = 0;
            while (reader->Read(&event))
                ++read;
            QCOMPARE(reader->Finish().error_code(), grpc::StatusCode::OK);
            QCOMPARE(read, 3);
        }
        {
            grpc::ClientContext context;
            test::setDeadline(context);
            auto chat = stub->Chat(&context);
            Message line;
            line.set_user("mallory");
            line.set_text("hi");
            chat->Write(line);
            chat->WritesDone();
            Message in;
            QVERIFY(!chat->Read(&in));
            QCOMPARE(chat->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
        }
        {
            grpc::ClientContext context;
            test::setDeadline(context);
            UploadResult result;
            auto upload = stub->UploadChunks(&context, &result);
            Chunk chunk;
            chunk.set_data("data");
            upload->Write(chunk);
            upload->WritesDone();
            QCOMPARE(upload->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
        }
        {
            auto admin = ServerAdmin::NewStub(channel);
            grpc::ClientContext context;
            test::setDeadline(context);
            UploadList list;
            QCOMPARE(admin->ListUploads(&context, ListUploadsRequest(), &list).error_code(), grpc::StatusCode::UNAUTHENTICATED);
        }
    }

    void healthStaysOpen()
    {
        // Health only says the server is there: it needs no token.
        grpc::ClientContext context;
        test::setDeadline(context);
        grpc::ByteBuffer request, response;
        auto channel = m_server.channel();
        grpc::GenericStub generic(channel);
        // grpc.health.v1.HealthCheckRequest{service=""} serialises to zero bytes.
        grpc::Slice empty("", 0);
        request = grpc::ByteBuffer(&empty, 1);
        grpc::Status status;
        std::mutex mutex;
        std::condition_variable cv;
        bool done = false;
        generic.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                          [&](grpc::Status s) {
                              std::lock_guard<std::mutex> lock(mutex);
                              status = s;
                              done = true;
                              cv.notify_all();
                          });
        std::unique_lock<std::mutex> lock(mutex);
        QVERIFY(cv.wait_for(lock, std::chrono::seconds(10), [&] { return done; }));
        QVERIFY2(status.ok(), status.error_message().c_str());
    }

private:
    test::TestServer m_server{100};
};

QTEST_GUILESS_MAIN(TestAuth)
#include "tst_auth.moc"
