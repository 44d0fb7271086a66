// StreamingExamples.GetUser (the unary pattern) and ServerAdmin's unary calls
// against a real server on loopback.

#include "ClientSupport.h"

#include "SeedData.h"
#include "Services.h"

using namespace streamlab;
using namespace streamlab::test;

class TestServerUnary : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void getUserReturnsEveryField();
    void getUserUnknownIsNotFound();
    void getUserMalformedIsInvalidArgument_data();
    void getUserMalformedIsInvalidArgument();
    void getUserDelayWithinDeadline();
    void getUserDeadlineExceeded();
    void getUserBadDelayMetadata();
    void serverInfo();
    void uploadStatusNeedsId();

private:
    grpc::Status getUser(const std::string& id, UserResponse* response, int deadlineMs = 5000,
                         const std::string& delayMs = {});

    TestServer server_{200};
    std::unique_ptr<StreamingExamples::Stub> stub_;
};

void TestServerUnary::initTestCase()
{
    QVERIFY(server_.start());
    stub_ = StreamingExamples::NewStub(server_.channel());
}

void TestServerUnary::cleanupTestCase()
{
    stub_.reset();
    server_.stop();
}

grpc::Status TestServerUnary::getUser(const std::string& id, UserResponse* response, int deadlineMs,
                                      const std::string& delayMs)
{
    grpc::ClientContext context;
    setDeadline(context, deadlineMs);
    if (!delayMs.empty())
        context.AddMetadata(server::kDelayMetadataKey, delayMs);
    UserRequest request;
    request.set_id(id);
    return stub_->GetUser(&context, request, response);
}

void TestServerUnary::getUserReturnsEveryField()
{
    UserResponse user;
    const grpc::Status status = getUser("42", &user);
    QVERIFY2(status.ok(), status.error_message().c_str());
    const server::UserRecord seed = server::makeSeedUser(42);
    QCOMPARE(user.id(), std::string("42"));
    QCOMPARE(user.name(), seed.name);
    QCOMPARE(user.email(), seed.email);
    QCOMPARE(user.username(), seed.username);
    QCOMPARE(user.company(), seed.company);
    QCOMPARE(user.job_title(), seed.jobTitle);
    QCOMPARE(user.city(), seed.city);
    QCOMPARE(user.country(), seed.country);
    QCOMPARE(user.phone(), seed.phone);
    QCOMPARE(user.created_at_ms(), seed.createdAtMs);
    // Every field is filled, and believable.
    QVERIFY(!user.name().empty() && user.name().find(' ') != std::string::npos);
    QVERIFY(user.email().find('@') != std::string::npos);
    QVERIFY(!user.username().empty() && !user.company().empty() && !user.job_title().empty());
    QVERIFY(!user.city().empty() && !user.country().empty() && !user.phone().empty());
    QVERIFY(user.created_at_ms() > 1500000000000);

    // The last seeded id exists too; leading zeros name the same user.
    QVERIFY(getUser("1000", &user).ok());
    UserResponse padded;
    QVERIFY(getUser("0042", &padded).ok());
    QCOMPARE(padded.id(), std::string("42"));
}

void TestServerUnary::getUserUnknownIsNotFound()
{
    UserResponse user;
    grpc::Status status = getUser("4711", &user);
    QCOMPARE(int(status.error_code()), int(grpc::StatusCode::NOT_FOUND));
    QCOMPARE(status.error_message(), std::string("user 4711 not found"));
    status = getUser("1001", &user);
    QCOMPARE(int(status.error_code()), int(grpc::StatusCode::NOT_FOUND));
}

void TestServerUnary::getUserMalformedIsInvalidArgument_data()
{
    QTest::addColumn<QByteArray>("id");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("letters") << QByteArray("abc");
    QTest::newRow("zero") << QByteArray("0");
    QTest::newRow("negative") << QByteArray("-1");
    QTest::newRow("space") << QByteArray(" 42");
    QTest::newRow("decimal") << QByteArray("4.2");
    QTest::newRow("huge") << QByteArray("99999999999999999999999");
    QTest::newRow("nul") << QByteArray("4\0" "2", 3);
}

void TestServerUnary::getUserMalformedIsInvalidArgument()
{
    QFETCH(QByteArray, id);
    UserResponse user;
    const grpc::Status status = getUser(id.toStdString(), &user);
    QCOMPARE(int(status.error_code()), int(grpc::StatusCode::INVALID_ARGUMENT));
    QVERIFY(!status.error_message().empty());
}

void TestServerUnary::getUserDelayWithinDeadline()
{
    UserResponse user;
    const auto started = Clock::now();
    const grpc::Status status = getUser("42", &user, 10000, "150");
    QVERIFY2(status.ok(), status.error_message().c_str());
    QVERIFY(msSince(started) >= 140);
    QCOMPARE(user.id(), std::string("42"));
}

void TestServerUnary::getUserDeadlineExceeded()
{
    // The server would wait a minute; the client gives it 200 ms.
    UserResponse user;
    const auto started = Clock::now();
    const grpc::Status status = getUser("42", &user, 200, "60000");
    const int64_t took = msSince(started);
    QCOMPARE(int(status.error_code()), int(grpc::StatusCode::DEADLINE_EXCEEDED));
    QVERIFY2(took < 5000, qPrintable(QString("took %1 ms").arg(took)));

    // The server learns of the deadline and ends its delayed call (it does not
    // sit on it for 60 s), and answers the next call at once.
    QVERIFY(pollUntil([&] { return server_.state()->stats.activeCalls() == 0; }));
    const auto again = Clock::now();
    const grpc::Status next = getUser("42", &user);
    QVERIFY2(next.ok(), next.error_message().c_str());
    QVERIFY(msSince(again) < 5000);
    QCOMPARE(user.id(), std::string("42"));
}

void TestServerUnary::getUserBadDelayMetadata()
{
    UserResponse user;
    const grpc::Status status = getUser("42", &user, 5000, "soon");
    QCOMPARE(int(status.error_code()), int(grpc::StatusCode::INVALID_ARGUMENT));
    QVERIFY(status.error_message().find(server::kDelayMetadataKey) != std::string::npos);
}

void TestServerUnary::serverInfo()
{
    auto admin = ServerAdmin::NewStub(server_.channel());
    grpc::ClientContext context;
    setDeadline(context);
    ServerInfo info;
    const grpc::Status status = admin->GetServerInfo(&context, ServerInfoRequest(), &info);
    QVERIFY2(status.ok(), status.error_message().c_str());
    QCOMPARE(info.product(), std::string("streamlab"));
    QVERIFY(!info.version().empty());
    QCOMPARE(info.instance_id().size(), size_t(16));
    QCOMPARE(info.listen_address(), server_.address());
    QCOMPARE(info.users(), uint64_t(1000));
    QCOMPARE(info.events(), uint64_t(200));
    QVERIFY(info.active_calls() >= 1);   // this one
    QVERIFY(info.total_calls() >= 1);
    QVERIFY(info.started_at_ms() > 0);
}

void TestServerUnary::uploadStatusNeedsId()
{
    auto admin = ServerAdmin::NewStub(server_.channel());
    grpc::ClientContext context;
    setDeadline(context);
    UploadStatus status;
    const grpc::Status result = admin->GetUploadStatus(&context, UploadStatusRequest(), &status);
    QCOMPARE(int(result.error_code()), int(grpc::StatusCode::INVALID_ARGUMENT));

    grpc::ClientContext unknownContext;
    setDeadline(unknownContext);
    UploadStatusRequest unknown;
    unknown.set_upload_id("never-seen");
    QVERIFY(admin->GetUploadStatus(&unknownContext, unknown, &status).ok());
    QVERIFY(!status.exists());
    QVERIFY(!status.completed());
    QCOMPARE(status.offset(), int64_t(0));
}

QTEST_GUILESS_MAIN(TestServerUnary)
#include "tst_server_unary.moc"
