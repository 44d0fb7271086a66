// StreamingExamples.Chat (bidirectional): delivery to every participant with
// seq and time, acknowledgements, presence, history replay, de-duplication,
// validation, the rate limit, a slow subscriber that must not delay the room,
// one too far behind being ended, and half-close.

#include "ClientSupport.h"

#include <algorithm>
#include <set>

using namespace streamlab;
using namespace streamlab::test;

namespace {

std::vector<Message> chatLines(const ChatClient& client)
{
    return client.messages(Message::CHAT);
}

std::vector<std::string> names(const Message& m)
{
    return {m.participants().begin(), m.participants().end()};
}

} // namespace

class TestServerChat : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void everyoneGetsEveryLineWithSeqTimeAndAck();
    void presence();
    void historyReplayOnJoin();
    void resendIsAcknowledgedNotRepeated();
    void invalidLines_data();
    void invalidLines();
    void longestLineIsAccepted();
    void rateLimitRefusesButKeepsStreamOpen();
    void guideStyleClient();
    void halfCloseDeliversPendingThenOk();
    void slowSubscriberDoesNotDelayOthers();
    void subscriberTooFarBehindIsEnded();

private:
    std::unique_ptr<TestServer> server_;
    std::unique_ptr<StreamingExamples::Stub> stub_;
};

void TestServerChat::init()
{
    server_ = std::make_unique<TestServer>(10);
    QVERIFY(server_->start());
    stub_ = StreamingExamples::NewStub(server_->channel());
}

void TestServerChat::cleanup()
{
    stub_.reset();
    server_.reset();
}

void TestServerChat::everyoneGetsEveryLineWithSeqTimeAndAck()
{
    ChatClient alice(*stub_, "alice");
    QVERIFY(alice.waitForParticipants(1));
    ChatClient bob(*stub_, "bob");
    QVERIFY(bob.waitForParticipants(2));
    ChatClient carol(*stub_, "carol");
    for (ChatClient* c : {&alice, &bob, &carol})
        QVERIFY(c->waitForParticipants(3));

    const int64_t before = QDateTime::currentMSecsSinceEpoch();
    std::vector<std::pair<ChatClient*, std::string>> sent;
    for (int round = 0; round < 2; ++round) {
        for (ChatClient* c : {&alice, &bob, &carol}) {
            const std::string id = c->user() + "-" + std::to_string(round);
            QVERIFY(c->say("hello from " + id, id));
            sent.emplace_back(c, id);
        }
    }
    for (ChatClient* c : {&alice, &bob, &carol})
        QVERIFY(c->waitFor([](const std::vector<ChatClient::Item>& items) {
            return std::count_if(items.begin(), items.end(), [](const auto& i) { return i.message.kind() == Message::CHAT; }) >= 6;
        }));

    // The same lines, in the same room order, everywhere, the sender included.
    const std::vector<Message> reference = chatLines(alice);
    QCOMPARE(reference.size(), size_t(6));
    for (size_t i = 0; i < reference.size(); ++i) {
        QCOMPARE(reference[i].seq(), uint64_t(i + 1));
        QVERIFY(reference[i].time_ms() >= before - 1000);
        QVERIFY(reference[i].time_ms() <= QDateTime::currentMSecsSinceEpoch() + 1000);
        QVERIFY(!reference[i].replayed());
        QCOMPARE(reference[i].text(), "hello from " + reference[i].client_id());
        QVERIFY(QString::fromStdString(reference[i].client_id()).startsWith(QString::fromStdString(reference[i].user()) + "-"));
    }
    for (ChatClient* c : {&bob, &carol}) {
        const std::vector<Message> lines = chatLines(*c);
        QCOMPARE(lines.size(), reference.size());
        for (size_t i = 0; i < lines.size(); ++i) {
            QCOMPARE(lines[i].seq(), reference[i].seq());
            QCOMPARE(lines[i].client_id(), reference[i].client_id());
            QCOMPARE(lines[i].time_ms(), reference[i].time_ms());
            QCOMPARE(lines[i].user(), reference[i].user());
        }
    }
    // Each sender: an ACK per line with its client_id and the line's seq; no one else gets it.
    for (const auto& [client, id] : sent) {
        Message ack;
        QVERIFY(client->waitForAck(id, &ack));
        QVERIFY2(ack.error().empty(), ack.error().c_str());
        const auto line = std::find_if(reference.begin(), reference.end(), [&](const Message& m) { return m.client_id() == id; });
        QVERIFY(line != reference.end());
        QCOMPARE(ack.seq(), line->seq());
        QCOMPARE(ack.time_ms(), line->time_ms());
    }
    for (ChatClient* c : {&alice, &bob, &carol}) {
        const auto acks = c->messages(Message::ACK);
        QCOMPARE(acks.size(), size_t(2));
        for (const Message& ack : acks)
            QVERIFY(QString::fromStdString(ack.client_id()).startsWith(QString::fromStdString(c->user())));
    }
    // Room order: every client got its messages in seq order, and the ACK after the line.
    for (ChatClient* c : {&alice, &bob, &carol}) {
        uint64_t lastSeq = 0;
        std::set<std::string> seen;
        for (const auto& item : c->items()) {
            if (item.message.kind() == Message::CHAT) {
                QVERIFY(item.message.seq() > lastSeq);
                lastSeq = item.message.seq();
                seen.insert(item.message.client_id());
            } else if (item.message.kind() == Message::ACK) {
                QVERIFY2(seen.count(item.message.client_id()), "the line is delivered before its ACK");
            }
        }
    }
}

void TestServerChat::presence()
{
    ChatClient alice(*stub_, "alice");
    Message join;
    QVERIFY(alice.waitForMessage(Message::JOIN, [](const Message& m) { return m.user() == "alice"; }, &join));
    QCOMPARE(names(join), (std::vector<std::string>{"alice"}));

    ChatClient bob(*stub_, "bob");
    for (ChatClient* c : {&alice, &bob}) {
        QVERIFY(c->waitForMessage(Message::JOIN, [](const Message& m) { return m.user() == "bob"; }, &join));
        QCOMPARE(names(join), (std::vector<std::string>{"alice", "bob"}));
        QVERIFY(join.time_ms() > 0);
    }
    auto carol = std::make_unique<ChatClient>(*stub_, "carol");
    QVERIFY(alice.waitForParticipants(3));

    // Bob half-closes: a clean leave, his call ends OK.
    bob.closeWrites();
    QVERIFY(bob.waitDone());
    QVERIFY2(bob.status().ok(), bob.status().error_message().c_str());
    Message leave;
    QVERIFY(alice.waitForMessage(Message::LEAVE, [](const Message& m) { return m.user() == "bob"; }, &leave));
    QCOMPARE(names(leave), (std::vector<std::string>{"alice", "carol"}));

    // Carol's client goes away (cancel): she leaves as well.
    carol->cancel();
    QVERIFY(carol->waitDone());
    QVERIFY(alice.waitForMessage(Message::LEAVE, [](const Message& m) { return m.user() == "carol"; }, &leave));
    QCOMPARE(names(leave), (std::vector<std::string>{"alice"}));
    QVERIFY(pollUntil([&] { return server_->state()->chat->participants() == 1; }));
}

void TestServerChat::historyReplayOnJoin()
{
    {
        ChatClient alice(*stub_, "alice");
        for (int i = 1; i <= 5; ++i)
            QVERIFY(alice.say("line " + std::to_string(i), "h" + std::to_string(i)));
        QVERIFY(alice.waitForAck("h5"));
        alice.closeWrites();
        QVERIFY(alice.waitDone());
    }

    // after_seq = 2: lines 3..5, marked replayed, before the JOIN.
    ChatClient dave(*stub_, "dave", true, 2);
    QVERIFY(dave.waitForParticipants(1));
    auto items = dave.items();
    std::vector<Message> replayed;
    for (const auto& item : items) {
        if (item.message.kind() == Message::JOIN)
            break;
        QCOMPARE(int(item.message.kind()), int(Message::CHAT));
        replayed.push_back(item.message);
    }
    QCOMPARE(replayed.size(), size_t(3));
    for (size_t i = 0; i < 3; ++i) {
        QCOMPARE(replayed[i].seq(), uint64_t(i + 3));
        QCOMPARE(replayed[i].text(), "line " + std::to_string(i + 3));
        QCOMPARE(replayed[i].user(), std::string("alice"));
        QVERIFY(replayed[i].replayed());
        QVERIFY(replayed[i].time_ms() > 0);
    }

    // after_seq = 0: everything kept.
    ChatClient erin(*stub_, "erin");
    QVERIFY(erin.waitForParticipants(2));
    QCOMPARE(chatLines(erin).size(), size_t(5));

    // A client that never sends JOIN (the guide's) gets no replay.
    ChatClient guide(*stub_, "guide", false);
    QVERIFY(guide.say("hi", "g1"));
    QVERIFY(guide.waitForAck("g1"));
    const auto lines = chatLines(guide);
    QCOMPARE(lines.size(), size_t(1));
    QCOMPARE(lines[0].client_id(), std::string("g1"));

    // Only the last `chatHistory` lines are kept for replay.
    server_.reset();
    server_ = std::make_unique<TestServer>(10);
    server_->config.chatHistory = 3;
    QVERIFY(server_->start());
    stub_ = StreamingExamples::NewStub(server_->channel());
    {
        ChatClient alice(*stub_, "alice");
        for (int i = 1; i <= 5; ++i)
            QVERIFY(alice.say("line " + std::to_string(i), "k" + std::to_string(i)));
        QVERIFY(alice.waitForAck("k5"));
    }
    ChatClient late(*stub_, "late");
    QVERIFY(late.waitForParticipants(1));
    const auto kept = chatLines(late);
    QCOMPARE(kept.size(), size_t(3));
    QCOMPARE(kept.front().seq(), uint64_t(3));
}

void TestServerChat::resendIsAcknowledgedNotRepeated()
{
    ChatClient alice(*stub_, "alice");
    ChatClient bob(*stub_, "bob");
    QVERIFY(alice.waitForParticipants(2));
    QVERIFY(alice.say("once", "dup-1"));
    Message first;
    QVERIFY(alice.waitForAck("dup-1", &first));
    QVERIFY(alice.say("once", "dup-1"));   // a resend after a lost ACK
    QVERIFY(alice.waitFor([](const std::vector<ChatClient::Item>& items) {
        return std::count_if(items.begin(), items.end(), [](const auto& i) {
                   return i.message.kind() == Message::ACK && i.message.client_id() == "dup-1";
               }) == 2;
    }));
    for (const Message& ack : alice.messages(Message::ACK)) {
        QCOMPARE(ack.seq(), first.seq());
        QVERIFY(ack.error().empty());
    }
    // A later line proves the room has handled the resend by now (room order).
    QVERIFY(alice.say("marker", "marker-1"));
    QVERIFY(bob.waitForLine("marker-1"));
    QVERIFY(alice.waitForLine("marker-1"));
    for (ChatClient* c : {&alice, &bob}) {
        const auto lines = chatLines(*c);
        QCOMPARE(std::count_if(lines.begin(), lines.end(), [](const Message& m) { return m.client_id() == "dup-1"; }), 1);
        QCOMPARE(lines.size(), size_t(2));
        QCOMPARE(lines[1].seq(), first.seq() + 1);
    }
    // Also across a new call by the same user (reconnect).
    ChatClient again(*stub_, "alice");
    QVERIFY(again.say("once", "dup-1"));
    Message ack;
    QVERIFY(again.waitForAck("dup-1", &ack));
    QCOMPARE(ack.seq(), first.seq());
}

void TestServerChat::invalidLines_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QByteArray>("user");
    QTest::addColumn<int>("expected");
    QTest::newRow("empty text") << int(Message::CHAT) << QByteArray() << QByteArray("alice") << int(grpc::StatusCode::INVALID_ARGUMENT);
    QTest::newRow("text 4097 bytes") << int(Message::CHAT) << QByteArray(4097, 'x') << QByteArray("alice")
                                     << int(grpc::StatusCode::INVALID_ARGUMENT);
    QTest::newRow("text 100 KiB") << int(Message::CHAT) << QByteArray(100 * 1024, 'x') << QByteArray("alice")
                                  << int(grpc::StatusCode::INVALID_ARGUMENT);
    QTest::newRow("client sends ACK") << int(Message::ACK) << QByteArray("hi") << QByteArray("alice")
                                      << int(grpc::StatusCode::INVALID_ARGUMENT);
    QTest::newRow("second JOIN") << int(Message::JOIN) << QByteArray() << QByteArray("alice")
                                 << int(grpc::StatusCode::FAILED_PRECONDITION);
    QTest::newRow("user too long") << int(Message::JOIN) << QByteArray() << QByteArray(65, 'u')
                                   << int(grpc::StatusCode::INVALID_ARGUMENT);
}

void TestServerChat::invalidLines()
{
    QFETCH(int, kind);
    QFETCH(QByteArray, text);
    QFETCH(QByteArray, user);
    QFETCH(int, expected);
    ChatClient observer(*stub_, "observer");
    QVERIFY(observer.waitForParticipants(1));
    const bool joinFirst = !(kind == Message::JOIN && user.size() > 64);
    ChatClient client(*stub_, "alice", joinFirst);
    if (joinFirst)
        QVERIFY(client.waitForParticipants(2));
    Message bad;
    bad.set_kind(Message::Kind(kind));
    bad.set_text(text.toStdString());
    bad.set_user(user.toStdString());
    bad.set_client_id("bad-1");
    QVERIFY(client.send(bad));
    QVERIFY(client.waitDone());
    QCOMPARE(int(client.status().error_code()), expected);
    QVERIFY(!client.status().error_message().empty());
    if (text.size() > 4096)
        QVERIFY2(client.status().error_message().find("4096") != std::string::npos, client.status().error_message().c_str());
    // Nothing reached the room; the others carry on.
    ChatClient other(*stub_, "other");
    QVERIFY(other.say("still here", "ok-1"));
    QVERIFY(observer.waitForLine("ok-1"));
    const auto lines = chatLines(observer);
    QCOMPARE(lines.size(), size_t(1));
}

void TestServerChat::longestLineIsAccepted()
{
    ChatClient alice(*stub_, "alice");
    const std::string text(4096, 'y');
    QVERIFY(alice.say(text, "long-1"));
    Message line;
    QVERIFY(alice.waitForLine("long-1", &line));
    QCOMPARE(line.text(), text);
    Message ack;
    QVERIFY(alice.waitForAck("long-1", &ack));
    QVERIFY(ack.error().empty());
}

void TestServerChat::rateLimitRefusesButKeepsStreamOpen()
{
    server_.reset();
    server_ = std::make_unique<TestServer>(10);
    server_->config.chatRatePerSecond = 0.01;   // practically no refill during the test
    server_->config.chatRateBurst = 3;
    QVERIFY(server_->start());
    stub_ = StreamingExamples::NewStub(server_->channel());

    ChatClient alice(*stub_, "alice");
    ChatClient bob(*stub_, "bob");
    QVERIFY(alice.waitForParticipants(2));
    for (int i = 1; i <= 5; ++i)
        QVERIFY(alice.say("burst " + std::to_string(i), "r" + std::to_string(i)));
    QVERIFY(alice.waitForAck("r5"));
    int refused = 0;
    for (int i = 1; i <= 5; ++i) {
        Message ack;
        QVERIFY(alice.waitForAck("r" + std::to_string(i), &ack));
        if (i <= 3) {
            QVERIFY2(ack.error().empty(), ack.error().c_str());
            QVERIFY(ack.seq() > 0);
        } else {
            QVERIFY(!ack.error().empty());
            QVERIFY2(ack.error().find("rate limit") != std::string::npos, ack.error().c_str());
            ++refused;
        }
    }
    QCOMPARE(refused, 2);
    // Still open: Bob's line reaches Alice, and Alice only ever got the stored lines.
    QVERIFY(!alice.done());
    QVERIFY(bob.say("are you there?", "b1"));
    QVERIFY(alice.waitForLine("b1"));
    QVERIFY(bob.waitForLine("b1"));   // after r1..r3 in room order
    const auto bobLines = chatLines(bob);
    QCOMPARE(bobLines.size(), size_t(4));   // r1..r3 and b1
    // The refused line was not stored: a resend is refused again, not acknowledged as stored.
    QVERIFY(alice.say("burst 4", "r4"));
    QVERIFY(alice.waitFor([](const std::vector<ChatClient::Item>& items) {
        return std::count_if(items.begin(), items.end(), [](const auto& i) {
                   return i.message.kind() == Message::ACK && i.message.client_id() == "r4";
               }) == 2;
    }));
    for (const Message& ack : alice.messages(Message::ACK))
        if (ack.client_id() == "r4")
            QVERIFY(!ack.error().empty());
    alice.closeWrites();
    QVERIFY(alice.waitDone());
    QVERIFY2(alice.status().ok(), alice.status().error_message().c_str());
}

void TestServerChat::guideStyleClient()
{
    // The guide's client: Message(text=..., user='alice') lines, no JOIN, then it stops sending.
    ChatClient watcher(*stub_, "watcher");
    QVERIFY(watcher.waitForParticipants(1));
    ChatClient guide(*stub_, "alice", false);
    for (int i = 0; i < 3; ++i) {
        Message m;
        m.set_text("guide line " + std::to_string(i));
        m.set_user("alice");
        QVERIFY(guide.send(m));
    }
    guide.closeWrites();
    QVERIFY(guide.waitDone());
    QVERIFY2(guide.status().ok(), guide.status().error_message().c_str());
    const auto lines = chatLines(guide);
    QCOMPARE(lines.size(), size_t(3));
    for (size_t i = 0; i < 3; ++i) {
        QCOMPARE(lines[i].text(), "guide line " + std::to_string(i));
        QCOMPARE(lines[i].user(), std::string("alice"));
        QVERIFY(lines[i].seq() > 0);
    }
    QCOMPARE(guide.messages(Message::ACK).size(), size_t(3));
    QVERIFY(watcher.waitForMessage(Message::JOIN, [](const Message& m) { return m.user() == "alice"; }));
    QVERIFY(watcher.waitForMessage(Message::LEAVE, [](const Message& m) { return m.user() == "alice"; }));
    QCOMPARE(chatLines(watcher).size(), size_t(3));
}

void TestServerChat::halfCloseDeliversPendingThenOk()
{
    // Alice does not read (16 KiB window) while she sends 20 lines of ~4 KB
    // and half-closes: most of what the server owes her is still pending.
    auto aliceChannel = server_->channel(smallWindowArgs());
    auto aliceStub = StreamingExamples::NewStub(aliceChannel);
    ChatClient bob(*stub_, "bob");
    QVERIFY(bob.waitForParticipants(1));
    ChatClient alice(*aliceStub, "alice", true, 0, /*paused=*/true);
    const std::string text(4000, 'p');
    for (int i = 0; i < 20; ++i)
        QVERIFY(alice.say(text, "p" + std::to_string(i)));
    alice.closeWrites();
    // The server has taken all of it (Bob has every line, and Alice's leave).
    QVERIFY(bob.waitForLine("p19"));
    QVERIFY(bob.waitForMessage(Message::LEAVE, [](const Message& m) { return m.user() == "alice"; }));
    QVERIFY(!alice.done());

    alice.resume();
    QVERIFY(alice.waitDone());
    QVERIFY2(alice.status().ok(), alice.status().error_message().c_str());
    const auto lines = chatLines(alice);
    QCOMPARE(lines.size(), size_t(20));
    for (size_t i = 0; i < lines.size(); ++i)
        QCOMPARE(lines[i].client_id(), "p" + std::to_string(i));
    QCOMPARE(alice.messages(Message::ACK).size(), size_t(20));
}

void TestServerChat::slowSubscriberDoesNotDelayOthers()
{
    // Carol stops reading for 2 s (a 16 KiB window, so the server's writes to
    // her block after a few lines) while Alice and Bob keep talking.
    auto carolChannel = server_->channel(smallWindowArgs());
    auto carolStub = StreamingExamples::NewStub(carolChannel);
    ChatClient alice(*stub_, "alice");
    ChatClient bob(*stub_, "bob");
    ChatClient carol(*carolStub, "carol");
    for (ChatClient* c : {&alice, &bob, &carol})
        QVERIFY(c->waitForParticipants(3));

    // The bound is per line: each within 100 ms, while Carol does not
    // read. (The room writes its history on a journal thread, so no disk
    // stall sits between a line and its delivery.)
    carol.pause();
    const std::string text(4000, 's');
    int n = 0;
    std::vector<double> latencies;
    const auto start = Clock::now();
    // A line every 50 ms for 2 s (pacing the conversation, not waiting for anything).
    for (; msSince(start) < 2000 || n < 40; ++n) {
        ChatClient& speaker = n % 2 ? bob : alice;
        const std::string id = "slow-" + std::to_string(n);
        const auto sentAt = Clock::now();
        QVERIFY(speaker.say(text, id));
        QVERIFY(alice.waitForLine(id));
        QVERIFY(bob.waitForLine(id));
        for (ChatClient* c : {&alice, &bob})
            latencies.push_back(msBetween(sentAt, *c->arrival(id)));
        std::this_thread::sleep_until(start + std::chrono::milliseconds(50 * (n + 1)));
    }
    std::sort(latencies.begin(), latencies.end());
    const double worst = latencies.back();
    const double median = latencies[latencies.size() / 2];
    qInfo("%d lines while one reader was paused: median %.2f ms, worst %.2f ms", n, median, worst);
    QVERIFY2(worst < 100 * kTimingScale, qPrintable(QString("a line took %1 ms (median %2 ms)").arg(worst).arg(median)));
    QVERIFY2(chatLines(carol).size() < size_t(n), "Carol really was not reading");

    // Carol catches up on everything, in order; no one was dropped.
    carol.resume();
    QVERIFY(carol.waitForLine("slow-" + std::to_string(n - 1)));
    const auto lines = chatLines(carol);
    QCOMPARE(lines.size(), size_t(n));
    for (size_t i = 1; i < lines.size(); ++i)
        QCOMPARE(lines[i].seq(), lines[i - 1].seq() + 1);
    QVERIFY(!carol.done());
}

void TestServerChat::subscriberTooFarBehindIsEnded()
{
    server_.reset();
    server_ = std::make_unique<TestServer>(10);
    server_->config.chatMaxQueue = 5;
    QVERIFY(server_->start());
    stub_ = StreamingExamples::NewStub(server_->channel());

    auto carolChannel = server_->channel(smallWindowArgs());
    auto carolStub = StreamingExamples::NewStub(carolChannel);
    ChatClient alice(*stub_, "alice");
    ChatClient bob(*stub_, "bob");
    ChatClient carol(*carolStub, "carol");
    for (ChatClient* c : {&alice, &bob, &carol})
        QVERIFY(c->waitForParticipants(3));
    carol.pause();

    // 60 lines of 4 KB: far more than Carol's window plus a queue of 5. The
    // next line goes once Alice and Bob have this one, so their own queues
    // stay short however slow the machine is.
    const std::string text(4000, 'q');
    for (int i = 0; i < 60; ++i) {
        const std::string id = "q" + std::to_string(i);
        QVERIFY(alice.say(text, id));
        QVERIFY(alice.waitForAck(id));
        QVERIFY(bob.waitForLine(id));
    }
    QCOMPARE(chatLines(bob).size(), size_t(60));

    carol.resume();
    QVERIFY(carol.waitDone());
    QCOMPARE(int(carol.status().error_code()), int(grpc::StatusCode::RESOURCE_EXHAUSTED));
    QVERIFY2(carol.status().error_message().find("behind") != std::string::npos, carol.status().error_message().c_str());
    QVERIFY(chatLines(carol).size() < size_t(60));
    qInfo("the subscriber that fell behind got %zu of 60 lines, then: %s", chatLines(carol).size(),
          carol.status().error_message().c_str());

    // The room carries on without her.
    QVERIFY(alice.waitForMessage(Message::LEAVE, [](const Message& m) { return m.user() == "carol"; }));
    QVERIFY(bob.say("still fine", "after"));
    QVERIFY(alice.waitForLine("after"));
    QVERIFY(!alice.done() && !bob.done());
}

QTEST_GUILESS_MAIN(TestServerChat)
#include "tst_server_chat.moc"
