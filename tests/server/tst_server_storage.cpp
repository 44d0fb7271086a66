// A restart keeps users, events, chat history and uploads: stop the server,
// start a new one on the same data dir.

#include "ClientSupport.h"

#include <google/protobuf/util/message_differencer.h>

using namespace streamlab;
using namespace streamlab::test;

namespace {

std::vector<Event> allEvents(StreamingExamples::Stub& stub)
{
    grpc::ClientContext context;
    setDeadline(context, 20000);
    EventFilter filter;
    filter.set_after("2024-01-01");
    auto reader = stub.ListEvents(&context, filter);
    std::vector<Event> events;
    Event event;
    while (reader->Read(&event))
        events.push_back(event);
    if (!reader->Finish().ok())
        events.clear();
    return events;
}

UserResponse user(StreamingExamples::Stub& stub, const std::string& id, grpc::Status* status)
{
    grpc::ClientContext context;
    setDeadline(context, 5000);
    UserRequest request;
    request.set_id(id);
    UserResponse response;
    *status = stub.GetUser(&context, request, &response);
    return response;
}

} // namespace

class TestServerStorage : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void restartKeepsEverything();
    void chatSeqContinuesAfterRestart();
};

void TestServerStorage::restartKeepsEverything()
{
    QTemporaryDir dir;
    UserResponse user42;
    std::vector<Event> events;
    std::vector<Message> lines;
    UploadResult uploaded;
    QString instance;

    {
        TestServer first(1000, dir.path());
        first.config.eventRatePerSecond = 100;
        QVERIFY(first.start());
        QVERIFY(first.server->seededOnStart());
        auto stub = StreamingExamples::NewStub(first.channel());
        grpc::Status status;
        user42 = user(*stub, "42", &status);
        QVERIFY(status.ok());

        // Some live events join the history.
        {
            StreamReader<Event> follower;
            EventFilter follow;
            follow.set_after_id(1000);
            follow.set_follow(true);
            stub->async()->ListEvents(&follower.context, &follow, &follower);
            follower.start();
            QVERIFY(follower.waitForCount(5));
        }
        QVERIFY(pollUntil([&] { return first.state()->stats.activeCalls() == 0; }));
        // The generator may be storing one last event as the follower leaves: stop it.
        first.state()->live->stop();
        events = allEvents(*stub);
        QVERIFY(events.size() >= 1005);

        {
            ChatClient alice(*stub, "alice");
            for (int i = 0; i < 4; ++i)
                QVERIFY(alice.say("before restart " + std::to_string(i), "rs" + std::to_string(i)));
            QVERIFY(alice.waitForAck("rs3"));
            lines = alice.messages(Message::CHAT);
            QCOMPARE(lines.size(), size_t(4));
        }

        grpc::ClientContext context;
        setDeadline(context);
        auto writer = stub->UploadChunks(&context, &uploaded);
        Chunk chunk;
        chunk.set_name("kept.txt");
        chunk.set_upload_id("kept-1");
        chunk.set_data("kept across a restart");
        QVERIFY(writer->Write(chunk));
        writer->WritesDone();
        QVERIFY(writer->Finish().ok());
        instance = QString::fromStdString(first.state()->instanceId);
        first.stop();
    }

    TestServer second(1000, dir.path());
    QVERIFY(second.start());
    QVERIFY(!second.server->seededOnStart());
    QVERIFY(QString::fromStdString(second.state()->instanceId) != instance);
    auto stub = StreamingExamples::NewStub(second.channel());

    grpc::Status status;
    const UserResponse again = user(*stub, "42", &status);
    QVERIFY(status.ok());
    QVERIFY(google::protobuf::util::MessageDifferencer::Equals(again, user42));
    QCOMPARE(second.state()->users->count(), int64_t(1000));

    const std::vector<Event> eventsAgain = allEvents(*stub);
    QCOMPARE(eventsAgain.size(), events.size());
    for (size_t i = 0; i < events.size(); ++i) {
        QCOMPARE(eventsAgain[i].id(), events[i].id());
        QCOMPARE(eventsAgain[i].time_ms(), events[i].time_ms());
        QCOMPARE(eventsAgain[i].type(), events[i].type());
        QCOMPARE(eventsAgain[i].data(), events[i].data());
    }

    // The chat history is replayed to a new participant, as it was.
    ChatClient bob(*stub, "bob");
    QVERIFY(bob.waitForParticipants(1));
    const auto replayed = bob.messages(Message::CHAT);
    QCOMPARE(replayed.size(), lines.size());
    for (size_t i = 0; i < lines.size(); ++i) {
        QCOMPARE(replayed[i].seq(), lines[i].seq());
        QCOMPARE(replayed[i].text(), lines[i].text());
        QCOMPARE(replayed[i].user(), lines[i].user());
        QCOMPARE(replayed[i].time_ms(), lines[i].time_ms());
        QCOMPARE(replayed[i].client_id(), lines[i].client_id());
        QVERIFY(replayed[i].replayed());
    }

    // The upload is still listed and stored.
    auto admin = ServerAdmin::NewStub(second.channel());
    grpc::ClientContext context;
    setDeadline(context);
    UploadList list;
    QVERIFY(admin->ListUploads(&context, ListUploadsRequest(), &list).ok());
    QCOMPARE(list.uploads_size(), 1);
    QCOMPARE(list.uploads(0).upload_id(), std::string("kept-1"));
    QCOMPARE(list.uploads(0).sha256(), uploaded.sha256());
    QCOMPARE(fileSha256(dir.path() + "/uploads/" + QString::fromStdString(uploaded.stored_name())), uploaded.sha256());
}

void TestServerStorage::chatSeqContinuesAfterRestart()
{
    QTemporaryDir dir;
    {
        TestServer first(10, dir.path());
        QVERIFY(first.start());
        auto stub = StreamingExamples::NewStub(first.channel());
        ChatClient alice(*stub, "alice");
        QVERIFY(alice.say("one", "c1"));
        QVERIFY(alice.say("two", "c2"));
        QVERIFY(alice.waitForAck("c2"));
    }
    TestServer second(10, dir.path());
    QVERIFY(second.start());
    auto stub = StreamingExamples::NewStub(second.channel());
    ChatClient alice(*stub, "alice", true, 2);   // has seen up to seq 2
    QVERIFY(alice.waitForParticipants(1));
    QVERIFY(alice.messages(Message::CHAT).empty());
    // A resend from before the restart is recognised; a new line continues the sequence.
    QVERIFY(alice.say("two", "c2"));
    Message ack;
    QVERIFY(alice.waitForAck("c2", &ack));
    QCOMPARE(ack.seq(), uint64_t(2));
    QVERIFY(alice.say("three", "c3"));
    QVERIFY(alice.waitForAck("c3", &ack));
    QCOMPARE(ack.seq(), uint64_t(3));
    QCOMPARE(alice.messages(Message::CHAT).size(), size_t(1));
}

QTEST_GUILESS_MAIN(TestServerStorage)
#include "tst_server_storage.moc"
