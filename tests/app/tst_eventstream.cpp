// EventStream (ListEvents through a ClientReadReactor) against a real server
// on loopback: batched delivery, counters, the server's INVALID_ARGUMENT,
// cancel stopping the server's producer, pause stalling the server's writes
// (measured on the server, through the probe), resume draining, and a server
// that goes away mid-stream.

#include "Connection.h"
#include "EventStream.h"
#include "ServerState.h"
#include "TestServer.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QThread>
#include <QtTest>

using namespace streamlab;
using namespace streamlab::test;

namespace {

struct Collector {
    QList<EventRow> rows;
    int batches = 0;
    std::optional<CallStatus> status;
    ServerWriteState server;
    ServerWriteState maxBlocked;   // the sample with the longest blocked write

    void attach(EventStream& stream)
    {
        QObject::connect(&stream, &EventStream::eventsReceived, [this](const QList<EventRow>& batch) {
            rows += batch;
            ++batches;
        });
        QObject::connect(&stream, &EventStream::finished, [this](const CallStatus& s) { status = s; });
        QObject::connect(&stream, &EventStream::serverWriteStateChanged, [this](const ServerWriteState& s) {
            server = s;
            if (s.writePending && s.currentWriteBlockedMs >= maxBlocked.currentWriteBlockedMs)
                maxBlocked = s;
        });
    }
};

// A server of its own, for tests that stop it or need more events than the
// shared one has, and a connection to it.
struct OwnServer {
    TestServer server;
    Connection connection;
    explicit OwnServer(int events) : server(events) {}
    bool start()
    {
        QString error;
        return server.start() && connection.connectTo(QString::fromStdString(server.address()), &error);
    }
};

// Every seeded event (all are from 2024 on), then the live ones if `follow`.
EventQuery allEvents(bool follow)
{
    EventQuery query;
    query.after = QStringLiteral("2024-01-01");
    query.follow = follow;
    return query;
}

} // namespace

class TestEventStream : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void historyArrivesInBatches();
    void typesFilter();
    void invalidAfterShowsServerMessage();
    void cancelStopsServerProducer();
    void pauseStallsServerWritesThenResumeDrains();
    void slowGuiStopsTheReader();
    void serverGoingAwayIsUnavailable();
    void serverGoingAwayWhilePausedIsUnavailable();
    void destroyWhilePausedEndsTheCall();

private:
    std::unique_ptr<TestServer> m_server;
    Connection m_connection;
    qint64 m_history = 0;
};

void TestEventStream::initTestCase()
{
    m_server = std::make_unique<TestServer>(5000);
    m_server->config.eventRatePerSecond = 400;   // live events flow fast while someone follows
    QVERIFY(m_server->start());
    QString error;
    QVERIFY2(m_connection.connectTo(QString::fromStdString(m_server->address()), &error), qPrintable(error));
    m_history = m_server->state()->events->count();
    QCOMPARE(m_history, 5000);
}

void TestEventStream::historyArrivesInBatches()
{
    EventStream stream(&m_connection);
    Collector c;
    c.attach(stream);
    QSignalSpy counters(&stream, &EventStream::countersChanged);
    QElapsedTimer clock;
    clock.start();
    EventQuery query;
    query.after = QStringLiteral("2024-01-01T00:00");
    stream.start(query);
    QVERIFY(stream.active());
    QTRY_VERIFY_WITH_TIMEOUT(c.status.has_value(), 30000);
    const qint64 elapsed = clock.elapsed();
    QVERIFY2(c.status->ok(), qPrintable(c.status->text));
    QCOMPARE(qint64(c.rows.size()), m_history);
    for (int i = 1; i < c.rows.size(); ++i)
        QVERIFY(c.rows[i].id > c.rows[i - 1].id);
    QVERIFY(!c.rows.first().type.isEmpty());
    QVERIFY(c.rows.first().data.startsWith(QLatin1Char('{')));
    QVERIFY(c.rows.first().timeMs >= 1704067200000);
    // Batched per frame (a 16 ms timer), never one delivery per event.
    QVERIFY2(c.batches <= elapsed / 15 + 2, qPrintable(QStringLiteral("%1 batches in %2 ms").arg(c.batches).arg(elapsed)));
    QVERIFY(c.batches < c.rows.size() / 10);

    const EventStreamCounters last = stream.counters();
    QCOMPARE(last.received, m_history);
    QVERIFY(last.bytes > m_history * 40);
    QVERIFY(last.firstEventMs >= 0 && last.firstEventMs <= elapsed);
    QVERIFY(!counters.isEmpty());
    QCOMPARE(counters.last().at(0).value<EventStreamCounters>().received, m_history);
    QVERIFY(!stream.active());
    QVERIFY(!stream.probeId().isEmpty());
}

void TestEventStream::typesFilter()
{
    EventStream stream(&m_connection);
    Collector c;
    c.attach(stream);
    EventQuery query = allEvents(false);
    query.types = {QStringLiteral("alert.raised"), QStringLiteral("deploy.finished")};
    query.watchServer = false;
    stream.start(query);
    QTRY_VERIFY_WITH_TIMEOUT(c.status.has_value(), 30000);
    QVERIFY2(c.status->ok(), qPrintable(c.status->text));
    QVERIFY(!c.rows.isEmpty());
    QVERIFY(c.rows.size() < m_history / 5);
    for (const EventRow& row : std::as_const(c.rows))
        QVERIFY2(query.types.contains(row.type), qPrintable(row.type));
    QVERIFY(EventStream::knownTypes().contains(QStringLiteral("alert.raised")));
}

void TestEventStream::invalidAfterShowsServerMessage()
{
    EventStream stream(&m_connection);
    Collector c;
    c.attach(stream);
    EventQuery query;
    query.after = QStringLiteral("yesterday-ish");
    stream.start(query);
    QTRY_VERIFY_WITH_TIMEOUT(c.status.has_value(), 10000);
    QCOMPARE(c.status->codeName, QStringLiteral("INVALID_ARGUMENT"));
    QVERIFY2(c.status->text.contains(QStringLiteral("yesterday-ish")), qPrintable(c.status->text));
    QVERIFY2(c.status->text.contains(QStringLiteral("ISO 8601")), qPrintable(c.status->text));
    QVERIFY(c.rows.isEmpty());
}

void TestEventStream::cancelStopsServerProducer()
{
    server::ServerState* state = m_server->state();
    EventStream stream(&m_connection);
    Collector c;
    c.attach(stream);
    stream.start(allEvents(true));
    // The history, then live events (400/s) keep coming.
    QTRY_VERIFY_WITH_TIMEOUT(c.rows.size() > m_history + 40, 30000);
    QVERIFY(c.rows.last().live);
    stream.stop();
    QTRY_VERIFY_WITH_TIMEOUT(c.status.has_value(), 10000);
    QCOMPARE(c.status->codeName, QStringLiteral("CANCELLED"));
    // The server's calls end (ListEvents and the watch)...
    QTRY_COMPARE_WITH_TIMEOUT(state->stats.activeCalls(), 0u, 10000);
    const quint64 sentAtEnd = state->stats.eventsSent.load();
    const quint64 generatedAtEnd = state->live->generated();
    // ...and nothing more is produced for us: at 400 events/s a producer
    // still running would make ~120 more in this window. One event may have
    // been on its way into the store when the last follower left (LiveEvents
    // checks for followers, then appends outside its lock): at most one.
    QTest::qWait(300);
    QCOMPARE(state->stats.eventsSent.load(), sentAtEnd);
    QVERIFY2(state->live->generated() <= generatedAtEnd + 1,
             qPrintable(QStringLiteral("%1 events made after the last follower left").arg(state->live->generated() - generatedAtEnd)));
    // What the server sent beyond what we read is bounded by the stream window.
    QVERIFY(sentAtEnd >= quint64(c.rows.size()));
}

void TestEventStream::pauseStallsServerWritesThenResumeDrains()
{
    // No one follows now, so the history does not grow during the call.
    const qint64 history = m_server->state()->events->count();
    EventStream stream(&m_connection);
    Collector c;
    c.attach(stream);
    EventQuery query = allEvents(false);
    query.receiveWindowBytes = 16384;   // the stall comes after 16 KiB, whatever BDP would do
    QSignalSpy paused(&stream, &EventStream::pausedChanged);
    stream.start(query);
    stream.pause();   // at once: only what arrived meanwhile is read
    QVERIFY(stream.isPaused());
    QCOMPARE(paused.count(), 1);

    // Measured on the server: its pending write waits longer and longer, and
    // nothing more passes flow control.
    QTRY_VERIFY_WITH_TIMEOUT(c.server.valid && c.server.writePending && c.server.currentWriteBlockedMs >= 300, 15000);
    const ServerWriteState first = c.server;
    const qint64 readWhilePaused = stream.counters().received;
    QTRY_VERIFY_WITH_TIMEOUT(c.server.currentWriteBlockedMs >= first.currentWriteBlockedMs + 400, 15000);
    QCOMPARE(c.server.messagesWritten, first.messagesWritten);
    QVERIFY(c.server.writePending);
    // The app read nothing more meanwhile, and far from the whole history...
    QCOMPARE(stream.counters().received, readWhilePaused);
    QVERIFY(readWhilePaused < history / 2);
    // ...and what the server wrote beyond it is bounded by the window (plus framing and socket buffers).
    const qint64 unread = qint64(c.server.bytesWritten) - stream.counters().bytes;
    QVERIFY2(unread > 0 && unread < 64 * 1024, qPrintable(QString::number(unread)));
    QVERIFY(c.status == std::nullopt);

    stream.resume();
    QVERIFY(!stream.isPaused());
    QTRY_VERIFY_WITH_TIMEOUT(c.status.has_value(), 30000);
    QVERIFY2(c.status->ok(), qPrintable(c.status->text));
    QCOMPARE(qint64(c.rows.size()), history);
    // The stall is in the server's own figures: one write took as long as the pause.
    auto probe = m_server->state()->probes.find(stream.probeId().toStdString());
    QVERIFY(probe);
    const server::ProbeSnapshot figures = probe->snapshot();
    QVERIFY(figures.finished);
    QVERIFY(figures.maxWriteMs >= first.currentWriteBlockedMs + 400);
    QVERIFY(figures.stalledWrites >= 1);
    QCOMPARE(qint64(figures.messagesWritten), history);
    // ...and the tab's last sample says so too, once the watch's final sample is in.
    QTRY_VERIFY_WITH_TIMEOUT(c.server.finished, 5000);
    QVERIFY(c.server.maxWriteMs >= first.currentWriteBlockedMs + 400);
}

void TestEventStream::slowGuiStopsTheReader()
{
    // A GUI thread that falls behind (busy on its first batches here): the
    // reader stops asking for events while EventStream::kMaxPendingRows wait,
    // so the app buffers a bounded amount and the server's writes stall —
    // and a frame never hands over more than kMaxRowsPerFrame rows.
    OwnServer big(60000);
    QVERIFY(big.start());
    EventStream stream(&big.connection);
    Collector c;
    c.attach(stream);
    QList<int> batchSizes;
    qint64 delivered = 0;
    qint64 mostWaiting = 0;   // rows read but not yet handed to the GUI
    QObject::connect(&stream, &EventStream::eventsReceived, [&](const QList<EventRow>& rows) {
        batchSizes << int(rows.size());
        delivered += rows.size();
        // The first batch finds the GUI busy until the reader has that many
        // rows waiting and the server's write has been blocked for 200 ms
        // (conditions, polled: the GUI thread is what is slow here).
        if (batchSizes.size() > 1)
            return;
        QElapsedTimer busy;
        busy.start();
        auto serverBlockedMs = [&] {
            auto probe = big.server.state()->probes.find(stream.probeId().toStdString());
            return probe ? probe->snapshot().currentWriteBlockedMs : 0u;
        };
        while ((stream.counters().received - delivered < EventStream::kMaxPendingRows || serverBlockedMs() < 200)
               && busy.elapsed() < 20000)
            QThread::msleep(2);
        mostWaiting = std::max(mostWaiting, stream.counters().received - delivered);
    });
    EventQuery query = allEvents(false);
    query.receiveWindowBytes = 16384;
    stream.start(query);
    QTRY_VERIFY_WITH_TIMEOUT(c.status.has_value(), 120000);
    QVERIFY2(c.status->ok(), qPrintable(c.status->text));
    QCOMPARE(c.rows.size(), 60000);
    for (int i = 1; i < c.rows.size(); ++i)
        QVERIFY(c.rows[i].id > c.rows[i - 1].id);
    batchSizes.removeLast();   // the last frame hands over whatever is left
    QVERIFY(*std::max_element(batchSizes.begin(), batchSizes.end()) <= EventStream::kMaxRowsPerFrame);
    QVERIFY2(stream.counters().throttledTimes >= 1, "the reader stopped for the GUI at least once");
    // Bounded in the app: the reader stopped with kMaxPendingRows waiting, while the server was blocked.
    QVERIFY2(mostWaiting >= EventStream::kMaxPendingRows && mostWaiting <= EventStream::kMaxPendingRows + 1,
             qPrintable(QString::number(mostWaiting)));
    // The server saw it: writes that waited for the app to read again.
    auto probe = big.server.state()->probes.find(stream.probeId().toStdString());
    QVERIFY(probe);
    QVERIFY(probe->snapshot().stalledWrites >= 1);
}

void TestEventStream::serverGoingAwayIsUnavailable()
{
    // A server of its own, stopped mid-stream.
    OwnServer doomed(3000);
    doomed.server.config.eventRatePerSecond = 200;
    QVERIFY(doomed.start());
    EventStream stream(&doomed.connection);
    Collector c;
    c.attach(stream);
    stream.start(allEvents(true));
    QTRY_VERIFY_WITH_TIMEOUT(c.rows.size() > 3000, 30000);
    doomed.server.stop();
    QTRY_VERIFY_WITH_TIMEOUT(c.status.has_value(), 15000);
    QCOMPARE(c.status->codeName, QStringLiteral("UNAVAILABLE"));
    QVERIFY(c.rows.size() > 3000);   // what arrived stays delivered
}

void TestEventStream::serverGoingAwayWhilePausedIsUnavailable()
{
    // A paused reader has no read in flight: the call's end reaches it
    // through the probe watch, which fails with the server.
    OwnServer doomed(2000);
    QVERIFY(doomed.start());
    EventStream stream(&doomed.connection);
    Collector c;
    c.attach(stream);
    stream.start(allEvents(true));
    QTRY_VERIFY_WITH_TIMEOUT(c.rows.size() >= 2000, 30000);
    stream.pause();
    QTRY_VERIFY_WITH_TIMEOUT(c.server.valid, 10000);
    doomed.server.stop();
    QTRY_VERIFY_WITH_TIMEOUT(c.status.has_value(), 15000);
    QCOMPARE(c.status->codeName, QStringLiteral("UNAVAILABLE"));
    QVERIFY(c.rows.size() >= 2000);
    QVERIFY(!stream.isPaused());
}

void TestEventStream::destroyWhilePausedEndsTheCall()
{
    server::ServerState* state = m_server->state();
    QTRY_COMPARE_WITH_TIMEOUT(state->stats.activeCalls(), 0u, 10000);
    {
        EventStream stream(&m_connection);
        Collector c;
        c.attach(stream);
        stream.start(allEvents(true));
        QTRY_VERIFY_WITH_TIMEOUT(!c.rows.isEmpty(), 10000);
        stream.pause();
        QTRY_VERIFY_WITH_TIMEOUT(c.server.valid, 10000);
    }
    // The paused reader holds its call open; destroying the object releases
    // it, and the server sees the call end.
    QTRY_COMPARE_WITH_TIMEOUT(state->stats.activeCalls(), 0u, 10000);
}

QTEST_GUILESS_MAIN(TestEventStream)
#include "tst_eventstream.moc"
