// ChatSession (Chat through one ClientBidiReactor per call) against a real
// server on loopback: both directions, own lines matched and acknowledged,
// unicode and emoji exact, bad input refused before sending, the rate limit
// shown per line with others unaffected, history replayed on join, leave as a
// half-close ending OK, a non-reading participant not holding the others
// back (< 100 ms delivery), a server restart losing and duplicating nothing,
// and the unsent lines of an earlier run going out once, on Resend.

#include "ChatSession.h"
#include "Connection.h"
#include "ChatRoom.h"
#include "ServerState.h"
#include "TestServer.h"
#include "streaming_examples.grpc.pb.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QHash>
#include <QSet>
#include <QSignalSpy>
#include <QUuid>
#include <QtTest>

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <functional>
#include <mutex>

using namespace streamlab;
using namespace streamlab::test;

namespace {

// One clock for every peer in the process: send and arrival times compare directly.
QElapsedTimer& testClock()
{
    static QElapsedTimer clock = [] {
        QElapsedTimer c;
        c.start();
        return c;
    }();
    return clock;
}

// Everything one session reports, as a user of its signals sees it.
struct Peer {
    Connection connection;
    std::unique_ptr<ChatSession> session;
    QList<ChatLine> lines;                  // linesArrived, in order
    QHash<QString, ChatLine> delivery;      // last deliveryChanged per client id
    QHash<quint64, qint64> arrivedAtNs;     // seq → when it reached the GUI thread (testClock)
    QList<CallStatus> finished;

    explicit Peer(const std::string& address)
    {
        QString error;
        if (!connection.connectTo(QString::fromStdString(address), &error))
            qFatal("connectTo: %s", qPrintable(error));
        session = std::make_unique<ChatSession>(&connection);
        session->setBackoff(100, 400);   // quick reconnects in tests
        QObject::connect(session.get(), &ChatSession::linesArrived, [this](const QList<ChatLine>& batch) {
            const qint64 now = testClock().nsecsElapsed();
            for (const ChatLine& line : batch) {
                lines.append(line);
                if (line.kind == ChatLine::Kind::Chat)
                    arrivedAtNs.insert(line.seq, now);
            }
        });
        QObject::connect(session.get(), &ChatSession::deliveryChanged, [this](const QList<ChatLine>& batch) {
            for (const ChatLine& line : batch)
                delivery.insert(line.clientId, line);
        });
        QObject::connect(session.get(), &ChatSession::finished, [this](const CallStatus& s) {
            finished.append(s);
            if (!s.ok())   // expected in the restart tests; a clue anywhere else
                qInfo("%s: call ended %s: %s", qPrintable(session->user()), qPrintable(s.codeName), qPrintable(s.text));
        });
    }

    QList<ChatLine> chat() const
    {
        QList<ChatLine> result;
        for (const ChatLine& line : lines)
            if (line.kind == ChatLine::Kind::Chat)
                result.append(line);
        return result;
    }
    int countText(const QString& text) const
    {
        return int(std::count_if(lines.cbegin(), lines.cend(),
                                 [&](const ChatLine& l) { return l.kind == ChatLine::Kind::Chat && l.text == text; }));
    }
    bool delivered(const QString& id) const
    {
        return delivery.value(id).delivery == ChatLine::Delivery::Delivered;
    }
    bool joinAs(const QString& name)
    {
        QString error;
        if (!session->join(name, &error)) {
            qWarning("join: %s", qPrintable(error));
            return false;
        }
        return true;
    }
};

// Runs a real event loop (one that sleeps until an event comes, as the app's
// does) until done() holds. QTRY_* would not do for timing: QTest::qWait
// sleeps 10 ms between rounds of event processing.
bool runEventLoopUntil(const std::function<bool()>& done, int timeoutMs)
{
    QEventLoop loop;
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (done())
            loop.quit();
    });
    poll.start(20);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    if (!done())
        loop.exec();
    return done();
}

bool waitJoined(Peer& peer, int timeoutMs = 10000)
{
    QElapsedTimer clock;
    clock.start();
    while (peer.session->state() != ChatSession::State::Joined && clock.elapsed() < timeoutMs)
        QTest::qWait(5);
    return peer.session->state() == ChatSession::State::Joined;
}

// A participant that joins and then never reads: its stream's receive window
// is kept small (no BDP probing) so that it really stalls the server's writes to it.
class SilentParticipant : public grpc::ClientBidiReactor<streamlab::Message, streamlab::Message> {
public:
    explicit SilentParticipant(const std::string& address)
    {
        grpc::ChannelArguments args;
        args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
        args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 16384);
        args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
        m_channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
        m_stub = streamlab::StreamingExamples::NewStub(m_channel);
        setDeadline(m_context, 120000);
        m_join.set_kind(streamlab::Message::JOIN);
        m_join.set_user("sleeper");
        m_stub->async()->Chat(&m_context, this);
        StartWrite(&m_join);
        StartCall();   // and never StartRead
    }
    void OnDone(const grpc::Status&) override
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_done = true;
    }
    void cancelAndWait()
    {
        m_context.TryCancel();
        QTRY_VERIFY_WITH_TIMEOUT(done(), 10000);
    }
    bool done()
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_done;
    }

private:
    std::shared_ptr<grpc::Channel> m_channel;
    std::unique_ptr<streamlab::StreamingExamples::Stub> m_stub;
    grpc::ClientContext m_context;
    streamlab::Message m_join;
    std::mutex m_mutex;
    bool m_done = false;
};

} // namespace

class TestChatSession : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void checksBeforeSending();
    void clientIdsAreRandomUuids();
    void bothDirectionsWithDeliveredMarks();
    void unicodeAndEmojiRoundTripExactly();
    void badInputIsNotSentAndTheCallStays();
    void floodIsRefusedPerLineOthersUnaffected();
    void historyIsReplayedOnJoin();
    void leaveHalfClosesAndEndsOk();
    void silentParticipantDoesNotHoldTheRoomBack();
    void serverRestartLosesAndDuplicatesNothing();
    void unsentLinesOfAnEarlierRunGoOutOnceOnResend();
    void backoffDoublesToTheCap();
};

// The server de-duplicates by client id across all clients: ids must never
// repeat. Each is a well-formed random (version 4) UUID.
void TestChatSession::clientIdsAreRandomUuids()
{
    QSet<QString> seen;
    for (int i = 0; i < 20000; ++i) {
        const QString id = ChatSession::newClientId();
        const QUuid uuid = QUuid::fromString(id);
        QVERIFY2(!uuid.isNull() && uuid.toString(QUuid::WithoutBraces) == id, qPrintable(id));
        QCOMPARE(uuid.version(), QUuid::Random);
        QCOMPARE(uuid.variant(), QUuid::DCE);
        QVERIFY2(!seen.contains(id), qPrintable(id));
        seen.insert(id);
    }
}

void TestChatSession::checksBeforeSending()
{
    QVERIFY(!ChatSession::checkText(QString()).isEmpty());
    QVERIFY(!ChatSession::checkText(QStringLiteral(" \n\t ")).isEmpty());
    QVERIFY(ChatSession::checkText(QStringLiteral("hi")).isEmpty());
    // The limit counts UTF-8 bytes, not characters: 2048 × "é" is 4096 bytes, one more is over.
    QVERIFY(ChatSession::checkText(QString(2048, QChar(0xE9))).isEmpty());
    const QString over = ChatSession::checkText(QString(2049, QChar(0xE9)));
    QVERIFY(over.contains(QLatin1String("4098")));
    QVERIFY(over.contains(QLatin1String("4096")));
    QVERIFY(!ChatSession::checkUser(QStringLiteral("  ")).isEmpty());
    QVERIFY(!ChatSession::checkUser(QString(65, QLatin1Char('x'))).isEmpty());
    QVERIFY(ChatSession::checkUser(QStringLiteral("ada")).isEmpty());

    // Not in the room: nothing is queued.
    Connection connection;
    ChatSession session(&connection);
    QString error;
    QVERIFY(session.send(QStringLiteral("hello"), &error).isEmpty());
    QVERIFY(!error.isEmpty());
    QVERIFY(!session.join(QStringLiteral("ada"), &error));   // no server yet
    QVERIFY(error.contains(QLatin1String("server")));
    QCOMPARE(session.state(), ChatSession::State::Offline);
}

void TestChatSession::bothDirectionsWithDeliveredMarks()
{
    TestServer server;
    QVERIFY(server.start());
    Peer ada(server.address()), bob(server.address());
    QSignalSpy states(ada.session.get(), &ChatSession::stateChanged);
    QVERIFY(ada.joinAs(QStringLiteral("ada")));
    QCOMPARE(ada.session->state(), ChatSession::State::Connecting);
    QVERIFY(waitJoined(ada));
    QVERIFY(bob.joinAs(QStringLiteral("bob")));
    QVERIFY(waitJoined(bob));
    QTRY_COMPARE_WITH_TIMEOUT(ada.session->participants(), QStringList({QStringLiteral("ada"), QStringLiteral("bob")}), 5000);
    QCOMPARE(bob.session->participants(), QStringList({QStringLiteral("ada"), QStringLiteral("bob")}));

    QSignalSpy sent(ada.session.get(), &ChatSession::lineSent);
    const QString fromAda = ada.session->send(QStringLiteral("hello bob"));
    QVERIFY(!fromAda.isEmpty());
    QCOMPARE(sent.count(), 1);   // at once, before any network round trip
    const ChatLine pending = sent.at(0).at(0).value<ChatLine>();
    QCOMPARE(pending.delivery, ChatLine::Delivery::Sending);
    QCOMPARE(pending.seq, quint64(0));
    QVERIFY(pending.own);
    const QString fromBob = bob.session->send(QStringLiteral("hello ada"));

    QTRY_VERIFY_WITH_TIMEOUT(ada.delivered(fromAda) && bob.delivered(fromBob), 5000);
    QTRY_VERIFY_WITH_TIMEOUT(ada.countText(QStringLiteral("hello ada")) == 1 && bob.countText(QStringLiteral("hello bob")) == 1, 5000);
    // The sender gets its own line back from the room too, matched by client id.
    QCOMPARE(ada.countText(QStringLiteral("hello bob")), 1);
    QCOMPARE(bob.countText(QStringLiteral("hello ada")), 1);
    for (const ChatLine& line : ada.chat()) {
        QCOMPARE(line.own, line.clientId == fromAda);
        QVERIFY(line.seq > 0);
        QVERIFY(line.timeMs > 0);
        QCOMPARE(line.user, line.own ? QStringLiteral("ada") : QStringLiteral("bob"));
    }
    QVERIFY(ada.delivery.value(fromAda).seq > 0);
    QCOMPARE(ada.session->unacknowledged(), 0);
    // Both see the same room order.
    QCOMPARE(ada.chat().at(0).seq, bob.chat().at(0).seq);
    QCOMPARE(ada.chat().at(1).text, bob.chat().at(1).text);
    QCOMPARE(ada.session->callsStarted(), 1);
    QCOMPARE(states.count(), 2);   // Connecting, Joined
}

void TestChatSession::unicodeAndEmojiRoundTripExactly()
{
    TestServer server;
    QVERIFY(server.start());
    Peer ada(server.address()), bob(server.address());
    QVERIFY(ada.joinAs(QStringLiteral("Ådä 🦊")));
    QVERIFY(bob.joinAs(QStringLiteral("bob")));
    QVERIFY(waitJoined(ada) && waitJoined(bob));
    const QStringList texts = {
        QStringLiteral("emoji 😀👍🏽 👩‍👩‍👧 🇸🇪"),
        QStringLiteral("日本語のテキスト、中文，한국어"),
        QStringLiteral("עברית ومرحبا mixed RTL"),
        QStringLiteral("combining e\u0301 vs \u00e9, zero\u200bwidth"),
        QStringLiteral("two\nlines\n  and indentation\t tab"),
        QString::fromUtf8("\xf0\x9d\x84\x9e music symbol (outside the BMP)"),
    };
    QStringList ids;
    for (const QString& text : texts)
        ids << ada.session->send(text);
    QTRY_VERIFY_WITH_TIMEOUT(bob.chat().size() == texts.size(), 5000);
    for (int i = 0; i < texts.size(); ++i) {
        QCOMPARE(bob.chat().at(i).text, texts.at(i));
        QCOMPARE(bob.chat().at(i).text.toUtf8(), texts.at(i).toUtf8());
        QCOMPARE(bob.chat().at(i).user, QStringLiteral("Ådä 🦊"));
        QCOMPARE(bob.chat().at(i).clientId, ids.at(i));
    }
    QTRY_VERIFY_WITH_TIMEOUT(ada.delivered(ids.last()), 5000);
}

void TestChatSession::badInputIsNotSentAndTheCallStays()
{
    TestServer server;
    QVERIFY(server.start());
    Peer ada(server.address()), bob(server.address());
    QVERIFY(ada.joinAs(QStringLiteral("ada")) && bob.joinAs(QStringLiteral("bob")));
    QVERIFY(waitJoined(ada) && waitJoined(bob));

    QSignalSpy sent(ada.session.get(), &ChatSession::lineSent);
    QString error;
    QVERIFY(ada.session->send(QString(), &error).isEmpty());
    QVERIFY(error.contains(QLatin1String("empty")));
    QVERIFY(ada.session->send(QStringLiteral("   \n "), &error).isEmpty());
    const QString tooLong(4097, QLatin1Char('x'));
    QVERIFY(ada.session->send(tooLong, &error).isEmpty());
    QVERIFY2(error.contains(QLatin1String("4097")) && error.contains(QLatin1String("4096")), qPrintable(error));
    QCOMPARE(sent.count(), 0);
    QCOMPARE(ada.session->unacknowledged(), 0);

    // Exactly at the limit (in UTF-8 bytes, with multi-byte characters) is fine.
    const QString atLimit = QString(1023, QChar(0x20AC)) + QStringLiteral("xyz");   // 3 × 1023 + 3 = 3072 bytes
    const QString full = QString(1024, QChar(0x00E9)) + QString(2048, QLatin1Char('a'));   // 2048 + 2048 = 4096 bytes
    QCOMPARE(full.toUtf8().size(), 4096);
    const QString a = ada.session->send(atLimit);
    const QString b = ada.session->send(full);
    QVERIFY(!a.isEmpty() && !b.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(bob.countText(full) == 1 && bob.countText(atLimit) == 1, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(ada.delivered(b), 5000);
    QCOMPARE(ada.session->state(), ChatSession::State::Joined);
    QCOMPARE(ada.session->callsStarted(), 1);
    QVERIFY(ada.finished.isEmpty());
}

void TestChatSession::floodIsRefusedPerLineOthersUnaffected()
{
    TestServer server;
    server.config.chatRatePerSecond = 2;
    server.config.chatRateBurst = 5;
    QVERIFY(server.start());
    Peer flooder(server.address()), bob(server.address());
    QVERIFY(flooder.joinAs(QStringLiteral("flooder")) && bob.joinAs(QStringLiteral("bob")));
    QVERIFY(waitJoined(flooder) && waitJoined(bob));

    QStringList ids;
    for (int i = 0; i < 15; ++i)
        ids << flooder.session->send(QStringLiteral("flood %1").arg(i));
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(ids.cbegin(), ids.cend(), [&](const QString& id) {
                                 const auto d = flooder.delivery.value(id).delivery;
                                 return d == ChatLine::Delivery::Delivered || d == ChatLine::Delivery::Refused;
                             }), 5000);
    QStringList refused;
    for (const QString& id : ids) {
        if (flooder.delivery.value(id).delivery == ChatLine::Delivery::Refused) {
            refused << id;
            QVERIFY2(flooder.delivery.value(id).error.contains(QLatin1String("rate limit")), qPrintable(flooder.delivery.value(id).error));
            QCOMPARE(flooder.delivery.value(id).seq, quint64(0));
        }
    }
    QVERIFY2(refused.size() >= 5, qPrintable(QString::number(refused.size())));
    // The call goes on, and the refused lines were not stored: bob saw only the others.
    QCOMPARE(flooder.session->state(), ChatSession::State::Joined);
    QTRY_COMPARE_WITH_TIMEOUT(int(bob.chat().size()), int(ids.size() - refused.size()), 5000);

    // Others are not affected: bob's own line goes through at once.
    const QString bobs = bob.session->send(QStringLiteral("still here"));
    QTRY_VERIFY_WITH_TIMEOUT(bob.delivered(bobs) && flooder.countText(QStringLiteral("still here")) == 1, 5000);

    // A refused line can be sent again (same id) once the limit allows it;
    // one that was stored cannot.
    const QString again = refused.first();
    const QString stored = *std::find_if(ids.cbegin(), ids.cend(), [&](const QString& id) { return flooder.delivered(id); });
    QString error;
    QVERIFY(!flooder.session->resend(stored, &error));
    QVERIFY(!error.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
                                 if (flooder.delivery.value(again).delivery == ChatLine::Delivery::Refused)
                                     flooder.session->resend(again);
                                 return flooder.delivered(again);
                             }()), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(bob.countText(flooder.delivery.value(again).text), 1, 5000);
}

void TestChatSession::historyIsReplayedOnJoin()
{
    TestServer server;
    QVERIFY(server.start());
    Peer ada(server.address());
    QVERIFY(ada.joinAs(QStringLiteral("ada")));
    QVERIFY(waitJoined(ada));
    QStringList ids;
    for (int i = 0; i < 3; ++i)
        ids << ada.session->send(QStringLiteral("before you came %1").arg(i));
    QTRY_VERIFY_WITH_TIMEOUT(ada.delivered(ids.last()), 5000);

    Peer late(server.address());
    QVERIFY(late.joinAs(QStringLiteral("late")));
    QVERIFY(waitJoined(late));
    QTRY_COMPARE_WITH_TIMEOUT(int(late.chat().size()), 3, 5000);
    for (int i = 0; i < 3; ++i) {
        QVERIFY(late.chat().at(i).replayed);
        QCOMPARE(late.chat().at(i).text, QStringLiteral("before you came %1").arg(i));
        QVERIFY(!late.chat().at(i).own);
    }
    // Replayed lines come before the JOIN that confirms us.
    const auto firstJoin = std::find_if(late.lines.cbegin(), late.lines.cend(),
                                        [](const ChatLine& l) { return l.kind == ChatLine::Kind::Joined; });
    QVERIFY(firstJoin != late.lines.cend());
    QCOMPARE(int(firstJoin - late.lines.cbegin()), 3);
    QCOMPARE(late.session->lastSeq(), ada.session->lastSeq());

    // Ada's app restarted, knowing two of her ids from its last run: those
    // lines come back as her own, delivered; the third was not kept, so it
    // shows as anyone's would.
    Peer again(server.address());
    again.session->recognizeOwnIds({ids.at(0), QString(), ids.at(1)});
    QVERIFY(again.joinAs(QStringLiteral("ada")));
    QVERIFY(waitJoined(again));
    QTRY_COMPARE_WITH_TIMEOUT(int(again.chat().size()), 3, 5000);
    for (int i = 0; i < 2; ++i) {
        QVERIFY(again.chat().at(i).own);
        QCOMPARE(again.chat().at(i).clientId, ids.at(i));
        QCOMPARE(again.chat().at(i).delivery, ChatLine::Delivery::Delivered);
    }
    QVERIFY(!again.chat().at(2).own);
    QVERIFY(again.delivery.isEmpty());   // nothing was waiting: no delivery to report
    QVERIFY(again.session->unsentLines().isEmpty());
    // What each would hand to its next run: the ids it knows the room stored, oldest first.
    QCOMPARE(ada.session->rememberedOwnIds(), ids);
    const QString more = again.session->send(QStringLiteral("after the restart"));
    QTRY_VERIFY_WITH_TIMEOUT(again.delivered(more), 5000);
    QCOMPARE(again.session->rememberedOwnIds(), QStringList({ids.at(0), ids.at(1), more}));

    // Only the newest kRememberedOwnIds are handed on.
    ChatSession longChat(&again.connection);
    QStringList many;
    for (int i = 0; i < 2 * ChatSession::kRememberedOwnIds + 5; ++i)
        many << ChatSession::newClientId();
    longChat.recognizeOwnIds(many);
    QCOMPARE(longChat.rememberedOwnIds(), many.mid(many.size() - ChatSession::kRememberedOwnIds));
}

void TestChatSession::leaveHalfClosesAndEndsOk()
{
    TestServer server;
    QVERIFY(server.start());
    Peer ada(server.address()), bob(server.address());
    QVERIFY(ada.joinAs(QStringLiteral("ada")) && bob.joinAs(QStringLiteral("bob")));
    QVERIFY(waitJoined(ada) && waitJoined(bob));
    QTRY_COMPARE_WITH_TIMEOUT(int(ada.session->participants().size()), 2, 5000);

    // Lines written just before leaving still go out and are acknowledged
    // before the server ends the call.
    QStringList ids;
    for (int i = 0; i < 20; ++i)
        ids << ada.session->send(QStringLiteral("last words %1").arg(i));
    ada.session->leave();
    QCOMPARE(ada.session->state(), ChatSession::State::Leaving);
    QString error;
    QVERIFY(ada.session->send(QStringLiteral("too late"), &error).isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(ada.session->state(), ChatSession::State::Offline, 5000);
    QCOMPARE(ada.finished.size(), 1);
    QVERIFY2(ada.finished.first().ok(), qPrintable(ada.finished.first().text));
    for (const QString& id : ids)
        QVERIFY(ada.delivered(id));
    QCOMPARE(ada.session->unacknowledged(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(bob.countText(QStringLiteral("last words 19")), 1, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(bob.session->participants(), QStringList({QStringLiteral("bob")}), 5000);
    QVERIFY(std::any_of(bob.lines.cbegin(), bob.lines.cend(), [](const ChatLine& l) {
        return l.kind == ChatLine::Kind::Left && l.user == QLatin1String("ada");
    }));
    QCOMPARE(ada.session->callsStarted(), 1);   // no reconnect after a leave
}

void TestChatSession::silentParticipantDoesNotHoldTheRoomBack()
{
    TestServer server;
    server.config.chatRatePerSecond = 1e6;   // this test floods on purpose
    server.config.chatRateBurst = 1000000;
    server.config.chatMaxQueue = 400;        // lines the room holds for one participant
    QVERIFY(server.start());
    Peer ada(server.address()), bob(server.address());
    QVERIFY(ada.joinAs(QStringLiteral("ada")) && bob.joinAs(QStringLiteral("bob")));
    QVERIFY(waitJoined(ada) && waitJoined(bob));
    SilentParticipant sleeper(server.address());
    QTRY_COMPARE_WITH_TIMEOUT(int(bob.session->participants().size()), 3, 5000);

    // Lines of ~200 bytes, 50 at a time: each batch is read by ada and bob
    // before the next goes, so only the sleeper falls behind.
    const QString padding(180, QLatin1Char('.'));
    auto flood = [&](int count, const QString& tag) {
        for (int sent = 0; sent < count;) {
            const int before = int(bob.chat().size());
            const int batch = std::min(50, count - sent);
            for (int i = 0; i < batch; ++i, ++sent)
                ada.session->send(QStringLiteral("%1 %2 ").arg(tag).arg(sent) + padding);
            if (!runEventLoopUntil([&] { return int(bob.chat().size()) == before + batch && ada.chat().size() == bob.chat().size(); }, 30000)) {
                qWarning("flood %s: ada has %lld lines (calls %d), bob %lld (calls %d), expected %d", qPrintable(tag),
                         qlonglong(ada.chat().size()), ada.session->callsStarted(), qlonglong(bob.chat().size()),
                         bob.session->callsStarted(), before + batch);
                return false;
            }
        }
        return true;
    };

    // ada and bob talk: ping, pong, next ping, ... Each line's delivery (send →
    // the other's GUI thread) is measured, in a real event loop.
    std::vector<double> latenciesMs;
    auto converse = [&](int rounds, const QString& tag) {
        QHash<QString, qint64> sentAt;
        int pongs = 0;
        auto ping = [&](int i) {
            const QString text = QStringLiteral("%1 ping %2").arg(tag).arg(i);
            sentAt.insert(text, testClock().nsecsElapsed());
            ada.session->send(text);
        };
        QMetaObject::Connection atBob = QObject::connect(bob.session.get(), &ChatSession::linesArrived, [&](const QList<ChatLine>& lines) {
            for (const ChatLine& line : lines) {
                if (line.own || !sentAt.contains(line.text))
                    continue;
                latenciesMs.push_back(double(testClock().nsecsElapsed() - sentAt.value(line.text)) / 1e6);
                const QString pong = QString(line.text).replace(QStringLiteral(" ping "), QStringLiteral(" pong "));
                sentAt.insert(pong, testClock().nsecsElapsed());
                bob.session->send(pong);
            }
        });
        QMetaObject::Connection atAda = QObject::connect(ada.session.get(), &ChatSession::linesArrived, [&](const QList<ChatLine>& lines) {
            for (const ChatLine& line : lines) {
                if (line.own || !sentAt.contains(line.text))
                    continue;
                latenciesMs.push_back(double(testClock().nsecsElapsed() - sentAt.value(line.text)) / 1e6);
                if (++pongs < rounds)
                    ping(pongs);
            }
        });
        ping(0);
        const bool done = runEventLoopUntil([&] { return pongs == rounds; }, 30000);
        QObject::disconnect(atBob);
        QObject::disconnect(atAda);
        return done;
    };

    // 1. Stall the sleeper: 200 lines are far more than its 16 KiB receive
    //    window. The server's write to it blocks; its queue there grows.
    QVERIFY(flood(200, QStringLiteral("stall")));
    // 2. The other two converse meanwhile.
    QVERIFY(converse(50, QStringLiteral("stalled")));
    // 3. Past the 400 lines the room holds for it: the room ends it
    //    (RESOURCE_EXHAUSTED) rather than wait; ada and bob still get everything.
    QVERIFY(flood(400, QStringLiteral("overflow")));
    QVERIFY(converse(50, QStringLiteral("after")));

    std::sort(latenciesMs.begin(), latenciesMs.end());
    const double p50 = latenciesMs[latenciesMs.size() / 2];
    const double p90 = latenciesMs[size_t(double(latenciesMs.size()) * 0.9)];
    qInfo("delivery between the two readers while the third does not read: %zu lines, p50 %.2f ms, p90 %.2f ms, max %.2f ms",
          latenciesMs.size(), p50, p90, latenciesMs.back());
    QCOMPARE(int(latenciesMs.size()), 200);
    QVERIFY2(p50 < 100.0 && p90 < 100.0, qPrintable(QStringLiteral("p50 %1 ms, p90 %2 ms").arg(p50).arg(p90)));

    // Every line, in the room's order, on both sides, on the first call.
    QCOMPARE(ada.session->callsStarted(), 1);
    QCOMPARE(bob.session->callsStarted(), 1);
    // (bob's last pong may still be on its way back to bob himself.)
    QVERIFY(runEventLoopUntil([&] { return ada.chat().size() == bob.chat().size(); }, 10000));
    QCOMPARE(ada.chat().size(), qsizetype(600 + 200));
    for (const Peer* peer : {&ada, &bob}) {
        const QList<ChatLine> chat = peer->chat();
        for (int i = 1; i < chat.size(); ++i)
            QVERIFY(chat.at(i).seq == chat.at(i - 1).seq + 1);
    }
    // The room dropped the sleeper (ended for falling behind, then let go) and told the others.
    QTRY_VERIFY_WITH_TIMEOUT(std::any_of(bob.lines.cbegin(), bob.lines.cend(), [](const ChatLine& l) {
        return l.kind == ChatLine::Kind::Left && l.user == QLatin1String("sleeper");
    }), 30000);
    QCOMPARE(bob.session->participants(), QStringList({QStringLiteral("ada"), QStringLiteral("bob")}));
    sleeper.cancelAndWait();
}

void TestChatSession::serverRestartLosesAndDuplicatesNothing()
{
    auto first = std::make_unique<TestServer>();
    QVERIFY(first->start());
    const QString dataDir = first->dataDir();
    const int port = first->server->port();
    Peer ada(first->address()), bob(first->address());
    QVERIFY(ada.joinAs(QStringLiteral("ada")) && bob.joinAs(QStringLiteral("bob")));
    QVERIFY(waitJoined(ada) && waitJoined(bob));

    QStringList texts;
    auto say = [&](Peer& peer, const QString& text) {
        texts << text;
        QVERIFY(!peer.session->send(text).isEmpty());
    };
    for (int i = 0; i < 10; ++i) {
        say(ada, QStringLiteral("ada before %1").arg(i));
        say(bob, QStringLiteral("bob before %1").arg(i));
    }
    QTRY_VERIFY_WITH_TIMEOUT(ada.session->unacknowledged() == 0 && bob.session->unacknowledged() == 0, 5000);
    // Lines in flight as the server goes down: some are stored, some not, some acknowledged, some not.
    for (int i = 0; i < 30; ++i) {
        say(ada, QStringLiteral("ada during %1").arg(i));
        say(bob, QStringLiteral("bob during %1").arg(i));
    }
    first->stop();
    QTRY_COMPARE_WITH_TIMEOUT(ada.session->state(), ChatSession::State::Reconnecting, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(bob.session->state(), ChatSession::State::Reconnecting, 10000);
    // Written while the server is down: kept and sent after the reconnect.
    for (int i = 0; i < 5; ++i) {
        say(ada, QStringLiteral("ada while down %1").arg(i));
        say(bob, QStringLiteral("bob while down %1").arg(i));
    }
    // Let a reconnect attempt fail against nothing.
    QTRY_VERIFY_WITH_TIMEOUT(ada.session->callsStarted() >= 3, 10000);

    // The same data, the same port.
    TestServer second(5000, dataDir);
    second.config.listenAddress = "127.0.0.1:" + std::to_string(port);
    QVERIFY(second.start());   // `first` keeps the data dir alive until the end
    QVERIFY(waitJoined(ada, 15000));
    QVERIFY(waitJoined(bob, 15000));
    QTRY_VERIFY_WITH_TIMEOUT(ada.session->unacknowledged() == 0 && bob.session->unacknowledged() == 0, 10000);
    // Every line written, exactly once, on both sides, in the same order.
    QTRY_VERIFY_WITH_TIMEOUT(ada.chat().size() == texts.size() && bob.chat().size() == texts.size(), 10000);
    for (const QString& text : std::as_const(texts)) {
        QVERIFY2(ada.countText(text) == 1, qPrintable(text));
        QVERIFY2(bob.countText(text) == 1, qPrintable(text));
    }
    for (int i = 0; i < ada.chat().size(); ++i) {
        QCOMPARE(ada.chat().at(i).seq, bob.chat().at(i).seq);
        QCOMPARE(ada.chat().at(i).text, bob.chat().at(i).text);
        if (i > 0)
            QCOMPARE(ada.chat().at(i).seq, ada.chat().at(i - 1).seq + 1);
    }
    // Each side's lines in the order written.
    for (Peer* peer : {&ada, &bob}) {
        const QString prefix = peer == &ada ? QStringLiteral("ada ") : QStringLiteral("bob ");
        QStringList mine, written;
        for (const ChatLine& line : peer->chat())
            if (line.text.startsWith(prefix))
                mine << line.text;
        for (const QString& text : std::as_const(texts))
            if (text.startsWith(prefix))
                written << text;
        QCOMPARE(mine, written);
    }
    QVERIFY(std::any_of(ada.lines.cbegin(), ada.lines.cend(), [](const ChatLine& l) {
        return l.kind == ChatLine::Kind::Note && l.text.startsWith(QLatin1String("Reconnected"));
    }));
    qInfo("calls: ada %d, bob %d; duplicates dropped: ada %d, bob %d", ada.session->callsStarted(), bob.session->callsStarted(),
          ada.session->duplicatesDropped(), bob.session->duplicatesDropped());
}

void TestChatSession::unsentLinesOfAnEarlierRunGoOutOnceOnResend()
{
    // What the chat tab keeps when the app quits with lines the room does not
    // have: one the server had stored (its ACK was lost with the app) and
    // one it never got. The next run shows both and sends them on Resend.
    TestServer server;
    QVERIFY(server.start());
    Peer ada(server.address()), watcher(server.address());
    QVERIFY(ada.joinAs(QStringLiteral("ada")) && watcher.joinAs(QStringLiteral("watcher")));
    QVERIFY(waitJoined(ada) && waitJoined(watcher));
    const QString storedId = ada.session->send(QStringLiteral("stored, ACK lost"));
    QTRY_VERIFY_WITH_TIMEOUT(ada.delivered(storedId), 5000);
    QVERIFY(ada.session->unsentLines().isEmpty());
    const quint64 seqBefore = server.state()->chat->lastSeq();

    QList<ChatSession::PendingLine> kept;
    kept.append({storedId, QStringLiteral("stored, ACK lost"), 1700000000000LL});
    kept.append({ChatSession::newClientId(), QStringLiteral("never reached the server ✉️"), 1700000001000LL});
    // What could not be sent is not taken: no id, empty, over the limit.
    kept.append({QString(), QStringLiteral("no id"), 0});
    kept.append({ChatSession::newClientId(), QStringLiteral("   "), 0});
    kept.append({ChatSession::newClientId(), QString(ChatSession::kMaxTextBytes + 1, QLatin1Char('x')), 0});

    Peer next(server.address());
    QSignalSpy shown(next.session.get(), &ChatSession::lineSent);
    QCOMPARE(next.session->restoreUnsent(kept), 2);
    QCOMPARE(next.session->restoreUnsent(kept), 0);   // known already
    QCOMPARE(shown.size(), 2);
    for (const QList<QVariant>& args : std::as_const(shown)) {
        const auto line = args.first().value<ChatLine>();
        QVERIFY(line.own);
        QCOMPARE(line.delivery, ChatLine::Delivery::Kept);
    }
    // Still unsent (a quit now keeps them again), in the order written; none is sent by joining.
    QCOMPARE(next.session->unsentLines().size(), 2);
    QCOMPARE(next.session->unsentLines().at(1).text, QStringLiteral("never reached the server ✉️"));
    QCOMPARE(next.session->unsentLines().at(1).timeMs, 1700000001000LL);
    QString error;
    QVERIFY(!next.session->resend(kept.at(1).clientId, &error));   // offline
    QVERIFY(!error.isEmpty());
    QVERIFY(next.joinAs(QStringLiteral("ada")));
    QVERIFY(waitJoined(next));
    QTest::qWait(200);
    QCOMPARE(server.state()->chat->lastSeq(), seqBefore);
    QCOMPARE(next.session->unacknowledged(), 0);
    // The history replayed the stored one: it is ours, and nothing to send again.
    QTRY_VERIFY_WITH_TIMEOUT(std::any_of(next.lines.cbegin(), next.lines.cend(), [&](const ChatLine& l) {
        return l.kind == ChatLine::Kind::Chat && l.clientId == storedId && l.own;
    }), 5000);
    QTRY_VERIFY_WITH_TIMEOUT(next.delivered(storedId), 5000);   // said through deliveryChanged
    QCOMPARE(next.session->unsentLines().size(), 1);
    QVERIFY(!next.session->resend(storedId));

    QVERIFY(next.session->resend(kept.at(1).clientId, &error));
    QTRY_VERIFY_WITH_TIMEOUT(next.delivered(kept.at(1).clientId), 5000);
    QVERIFY(next.session->unsentLines().isEmpty());
    // The room stored one new line; the watcher saw each line once.
    QCOMPARE(server.state()->chat->lastSeq(), seqBefore + 1);
    QTRY_COMPARE_WITH_TIMEOUT(watcher.countText(QStringLiteral("never reached the server ✉️")), 1, 5000);
    QCOMPARE(watcher.countText(QStringLiteral("stored, ACK lost")), 1);

    // A kept line the server had stored, resent before the history shows it
    // (Resend pressed as soon as Join is): acknowledged with its first seq,
    // not repeated.
    Peer third(server.address());
    QCOMPARE(third.session->restoreUnsent({{storedId, QStringLiteral("stored, ACK lost"), 1700000000000LL}}), 1);
    QVERIFY(third.joinAs(QStringLiteral("ada")));
    QVERIFY(third.session->resend(storedId, &error));
    QTRY_VERIFY_WITH_TIMEOUT(third.delivered(storedId), 5000);
    QCOMPARE(third.delivery.value(storedId).seq, ada.delivery.value(storedId).seq);
    QCOMPARE(server.state()->chat->lastSeq(), seqBefore + 1);
    QCOMPARE(watcher.countText(QStringLiteral("stored, ACK lost")), 1);

    for (Peer* peer : {&next, &ada, &watcher, &third})
        peer->session->leave();
    QTRY_VERIFY_WITH_TIMEOUT(next.session->state() == ChatSession::State::Offline && ada.session->state() == ChatSession::State::Offline
                                 && watcher.session->state() == ChatSession::State::Offline
                                 && third.session->state() == ChatSession::State::Offline,
                             10000);
}

void TestChatSession::backoffDoublesToTheCap()
{
    TestServer server;
    QVERIFY(server.start());
    Peer ada(server.address());
    ada.session->setBackoff(ChatSession::kInitialBackoffMs, ChatSession::kMaxBackoffMs);
    QSignalSpy scheduled(ada.session.get(), &ChatSession::reconnectScheduled);
    QVERIFY(ada.joinAs(QStringLiteral("ada")));
    QVERIFY(waitJoined(ada));
    server.stop();
    QTRY_COMPARE_WITH_TIMEOUT(scheduled.count(), 1, 10000);
    QCOMPARE(scheduled.at(0).at(0).toInt(), 1);
    QCOMPARE(scheduled.at(0).at(1).toInt(), 500);
    // Skip the waits: each failed attempt doubles the next delay, up to 8 s.
    QList<int> delays{500};
    for (int attempt = 2; attempt <= 6; ++attempt) {
        ada.session->reconnectNow();
        QTRY_COMPARE_WITH_TIMEOUT(scheduled.count(), attempt, 10000);
        delays << scheduled.at(attempt - 1).at(1).toInt();
    }
    QCOMPARE(delays, QList<int>({500, 1000, 2000, 4000, 8000, 8000}));
    ada.session->leave();
    QCOMPARE(ada.session->state(), ChatSession::State::Offline);
}

QTEST_GUILESS_MAIN(TestChatSession)
#include "tst_chatsession.moc"
