// The unary call object against a real server: success, NOT_FOUND, bad ids,
// DEADLINE_EXCEEDED against a slow handler, UNAVAILABLE when the server is
// gone, cancel, and repeat-N statistics.
#include "CallStatus.h"
#include "Connection.h"
#include "TestServer.h"
#include "UserLookup.h"

#include <QSignalSpy>
#include <QtTest>

using namespace streamlab;

class TestUserLookup : public QObject {
    Q_OBJECT

private:
    LookupResult lookUp(Connection& connection, const QString& id, qint64 deadlineMs = 5000, qint64 delayMs = 0)
    {
        UserLookup lookup(&connection);
        QSignalSpy finished(&lookup, &UserLookup::finished);
        lookup.lookup(id, deadlineMs, delayMs);
        if (!finished.wait(15000))
            return {};
        return finished.first().first().value<LookupResult>();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_server.start());
        QString error;
        QVERIFY2(m_connection.connectTo(QString::fromStdString(m_server.address()), &error), qPrintable(error));
    }

    void findsUser42()
    {
        const LookupResult result = lookUp(m_connection, QStringLiteral("42"));
        QCOMPARE(result.status.codeName, QStringLiteral("OK"));
        QVERIFY(result.hasUser);
        QCOMPARE(result.user.id, QStringLiteral("42"));
        QVERIFY(!result.user.name.isEmpty());
        QVERIFY(result.user.email.contains(QLatin1Char('@')));
        QVERIFY(!result.user.city.isEmpty());
        QVERIFY(result.user.createdAt.isValid());
        QVERIFY(result.status.elapsedMs > 0);
        // The timeline has the start, the request, the response and the status.
        QCOMPARE(result.trace.first().kind, CallTraceEntry::Kind::Started);
        QCOMPARE(result.trace.last().kind, CallTraceEntry::Kind::Finished);
        QVERIFY(std::any_of(result.trace.begin(), result.trace.end(),
                            [](const CallTraceEntry& e) { return e.kind == CallTraceEntry::Kind::Received && e.bytes > 0; }));
    }

    void unknownUserIsNotFound()
    {
        const LookupResult result = lookUp(m_connection, QStringLiteral("4711"));
        QCOMPARE(result.status.codeName, QStringLiteral("NOT_FOUND"));
        QVERIFY(!result.hasUser);
        QCOMPARE(result.status.text, QStringLiteral("User 4711 not found"));
    }

    void malformedIdIsInvalidArgument_data()
    {
        QTest::addColumn<QString>("id");
        QTest::newRow("letters") << QStringLiteral("abc");
        QTest::newRow("zero") << QStringLiteral("0");
        QTest::newRow("negative") << QStringLiteral("-1");
        QTest::newRow("empty") << QString();
    }
    void malformedIdIsInvalidArgument()
    {
        QFETCH(QString, id);
        const LookupResult result = lookUp(m_connection, id);
        QCOMPARE(result.status.codeName, QStringLiteral("INVALID_ARGUMENT"));
        QVERIFY(!result.status.text.isEmpty());
    }

    void slowServerExceedsDeadline()
    {
        const LookupResult result = lookUp(m_connection, QStringLiteral("42"), 200, 3000);
        QCOMPARE(result.status.codeName, QStringLiteral("DEADLINE_EXCEEDED"));
        QCOMPARE(result.status.text, QStringLiteral("No answer within the 200 ms deadline"));
        QVERIFY(result.status.elapsedMs < 2500);
        // The server is fine afterwards.
        QCOMPARE(lookUp(m_connection, QStringLiteral("7")).status.codeName, QStringLiteral("OK"));
    }

    void cancelEndsTheCall()
    {
        UserLookup lookup(&m_connection);
        QSignalSpy finished(&lookup, &UserLookup::finished);
        lookup.lookup(QStringLiteral("42"), 30000, 20000);
        QTRY_VERIFY(lookup.busy());
        lookup.cancel();
        QVERIFY(finished.wait(5000));
        QCOMPARE(finished.first().first().value<LookupResult>().status.codeName, QStringLiteral("CANCELLED"));
    }

    void repeatReportsPercentiles()
    {
        UserLookup lookup(&m_connection);
        QSignalSpy done(&lookup, &UserLookup::repeatFinished);
        lookup.repeat(QStringLiteral("42"), 200, 5000);
        QVERIFY(done.wait(30000));
        const auto stats = done.first().first().value<LatencyStats>();
        QCOMPARE(stats.done, 200);
        QCOMPARE(stats.errors, 0);
        QVERIFY(stats.p50Ms > 0);
        QVERIFY(stats.p99Ms >= stats.p50Ms);
        QVERIFY(stats.maxMs >= stats.p99Ms);
        QVERIFY(stats.minMs <= stats.p50Ms);
    }

    void percentileIsNearestRank()
    {
        const std::vector<double> values{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        QCOMPARE(percentile(values, 50), 5.0);
        QCOMPARE(percentile(values, 99), 10.0);
        QCOMPARE(percentile(values, 0), 1.0);
        QCOMPARE(percentile({}, 50), 0.0);
    }

    void serverGoneIsUnavailable()
    {
        // A server of our own, stopped: the address is then refused.
        test::TestServer gone(100);
        QVERIFY(gone.start());
        const QString address = QString::fromStdString(gone.address());
        gone.stop();
        Connection connection;
        QString error;
        QVERIFY(connection.connectTo(address, &error));
        const LookupResult result = lookUp(connection, QStringLiteral("42"), 3000);
        QCOMPARE(result.status.codeName, QStringLiteral("UNAVAILABLE"));
        QVERIFY2(result.status.text.contains(address), qPrintable(result.status.text));
        // The reason in a person's words; gRPC's whole chain stays in the timeline.
        QVERIFY2(result.status.text.endsWith(QStringLiteral(": connection refused")), qPrintable(result.status.text));
        QVERIFY2(result.status.serverMessage.contains(QStringLiteral("last error")), qPrintable(result.status.serverMessage));
    }

    // gRPC's messages as grpc 1.51 words them, to the reason a person reads.
    void unavailableReasonsAreShort_data()
    {
        QTest::addColumn<QString>("message");
        QTest::addColumn<QString>("reason");
        QTest::newRow("refused") << QStringLiteral("failed to connect to all addresses; last error: UNKNOWN: "
                                                   "ipv4:127.0.0.1:1: Failed to connect to remote host: Connection refused")
                                 << QStringLiteral("connection refused");
        QTest::newRow("no such host") << QStringLiteral("DNS resolution failed for nosuch.invalid:50051: C-ares status is not "
                                                        "ARES_SUCCESS qtype=A name=nosuch.invalid is_balancer=0: Domain name not found")
                                      << QStringLiteral("domain name not found");
        QTest::newRow("server shut down") << QStringLiteral("Cancelling all calls") << QStringLiteral("the server shut down");
        QTest::newRow("other, kept whole") << QStringLiteral("Socket closed") << QStringLiteral("socket closed");
        QTest::newRow("acronym kept") << QStringLiteral("TLS handshake failed") << QStringLiteral("TLS handshake failed");
        QTest::newRow("none") << QString() << QStringLiteral("no connection");
    }
    void unavailableReasonsAreShort()
    {
        QFETCH(QString, message);
        QFETCH(QString, reason);
        QCOMPARE(unavailableReason(message), reason);
    }

    void badAddressesAreRefusedClearly_data()
    {
        QTest::addColumn<QString>("address");
        QTest::newRow("empty") << QString();
        QTest::newRow("no port") << QStringLiteral("localhost");
        QTest::newRow("port too big") << QStringLiteral("localhost:70000");
        QTest::newRow("port zero") << QStringLiteral("localhost:0");
        QTest::newRow("letters in port") << QStringLiteral("localhost:abc");
        QTest::newRow("spaces in host") << QStringLiteral("my host:50051");
        QTest::newRow("unclosed bracket") << QStringLiteral("[::1:50051");
    }
    void badAddressesAreRefusedClearly()
    {
        QFETCH(QString, address);
        Connection connection;
        QString error;
        QVERIFY(!connection.connectTo(address, &error));
        QVERIFY(!error.isEmpty());
        QVERIFY(!connection.channel());
    }

    void goodAddressesAreNormalised()
    {
        QCOMPARE(checkTarget(QStringLiteral(" localhost:50051 ")).target, QStringLiteral("localhost:50051"));
        QCOMPARE(checkTarget(QStringLiteral("[::1]:50051")).target, QStringLiteral("[::1]:50051"));
        QCOMPARE(checkTarget(QStringLiteral("192.168.1.20:8080")).target, QStringLiteral("192.168.1.20:8080"));
    }

    void channelStateReachesReady()
    {
        Connection connection;
        QSignalSpy states(&connection, &Connection::stateChanged);
        QString error;
        QVERIFY(connection.connectTo(QString::fromStdString(m_server.address()), &error));
        QTRY_COMPARE_WITH_TIMEOUT(connection.state(), ChannelState::Ready, 10000);
        QTRY_VERIFY(!states.isEmpty());
        QCOMPARE(states.last().first().value<ChannelState>(), ChannelState::Ready);
    }

private:
    test::TestServer m_server{1000};
    Connection m_connection;
};

QTEST_GUILESS_MAIN(TestUserLookup)
#include "tst_userlookup.moc"
