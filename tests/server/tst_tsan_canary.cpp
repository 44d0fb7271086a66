// TSan builds only: proof that the TSan stage can still fail. Each test function
// makes one deliberate data race of the kind our suppressions (.ci/tsan.supp)
// sit closest to — code run by a grpc thread inside a callback or a reaction
// against the test's main thread — and CTest passes only when TSan reports a
// race located in this file (PASS_REGULAR_EXPRESSION; see tests/CMakeLists.txt).
// If the suppressions or cmake/tsan/TsanGrpcSync.cpp ever hide such races,
// these tests fail.

#include "ClientSupport.h"
#include "TestServer.h"
#include "streaming_examples.grpc.pb.h"

#include <QtTest>

#include <atomic>
#include <future>
#include <thread>

using namespace streamlab;

namespace {

// Written by a grpc thread and read by the main thread with no ordering: the
// relaxed flag only says "done", it does not make the write visible.
int unguarded = 0;
std::atomic<bool> done{false};

void waitRelaxed()
{
    while (!done.load(std::memory_order_relaxed))
        std::this_thread::yield();
}

} // namespace

class TestTsanCanary : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void raceInUnaryCallback()
    {
        test::TestServer server;
        QVERIFY(server.start());
        auto stub = StreamingExamples::NewStub(server.channel());
        grpc::ClientContext context;
        test::setDeadline(context);
        UserRequest request;
        request.set_id("42");
        UserResponse response;
        stub->async()->GetUser(&context, &request, &response, [](grpc::Status) {
            unguarded = 1;   // grpc thread
            done.store(true, std::memory_order_relaxed);
        });
        waitRelaxed();
        QCOMPARE(unguarded, 1);   // main thread: the race
        server.stop();
    }

    void raceInReadReaction()
    {
        test::TestServer server;
        QVERIFY(server.start());
        auto stub = StreamingExamples::NewStub(server.channel());

        class Reader : public grpc::ClientReadReactor<Event> {
        public:
            void OnReadDone(bool) override
            {
                unguarded = 2;   // grpc thread, inside a reaction
                done.store(true, std::memory_order_relaxed);
            }
            void OnDone(const grpc::Status&) override { finished.set_value(); }
            std::promise<void> finished;
            grpc::ClientContext context;
            EventFilter filter;
            Event event;
        } reader;
        test::setDeadline(reader.context);
        stub->async()->ListEvents(&reader.context, &reader.filter, &reader);
        reader.StartRead(&reader.event);
        reader.StartCall();
        waitRelaxed();
        unguarded = 3;   // main thread: the race
        reader.context.TryCancel();
        reader.finished.get_future().wait();
        server.stop();
    }
};

QTEST_GUILESS_MAIN(TestTsanCanary)
#include "tst_tsan_canary.moc"
