// FlowLab: Produce against a reader that stops reading (a stream window of
// 16 KiB with BDP probing off, DESIGN.md §4) blocks the server's write, as the
// probe shows; Consume with a read delay stalls the client's writes; Watch and
// ServerAdmin.WatchServer.

#include "ClientSupport.h"

using namespace streamlab;
using namespace streamlab::test;

namespace {

// Writes `size`-byte payloads to FlowLab.Consume as fast as flow control lets
// it (callback API), until `count` are written (0: until cancelled).
class PayloadWriter : public grpc::ClientWriteReactor<Payload> {
public:
    PayloadWriter(FlowLab::Stub& stub, const std::string& probe, uint32_t firstDelayMs, uint32_t laterDelayMs, size_t size,
                  uint64_t count)
        : probe_(probe), firstDelayMs_(firstDelayMs), laterDelayMs_(laterDelayMs), count_(count)
    {
        setDeadline(context, 60000);
        payload_.set_data(std::string(size, 'c'));
        stub.async()->Consume(&context, &result, this);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            nextLocked();
        }
        StartCall();
    }
    ~PayloadWriter() override
    {
        context.TryCancel();
        if (!waitDone(60000))
            qFatal("a Consume call did not end");
    }

    uint64_t written() const
    {
        std::lock_guard<std::mutex> lock(mutex_);
        return written_;
    }
    // The longest any write has waited so far, the one in flight included.
    double longestWaitMs() const
    {
        std::lock_guard<std::mutex> lock(mutex_);
        return std::max(maxWriteMs_, writing_ ? msBetween(writeStartedAt_, Clock::now()) : 0.0);
    }
    bool waitDone(int ms = kWaitMs)
    {
        std::unique_lock<std::mutex> lock(mutex_);
        return changed_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return done_; });
    }
    grpc::Status status() const
    {
        std::lock_guard<std::mutex> lock(mutex_);
        return status_;
    }

    grpc::ClientContext context;
    ConsumeResult result;

private:
    void nextLocked()
    {
        if (count_ && written_ >= count_) {
            StartWritesDone();
            return;
        }
        payload_.set_seq(written_ + 1);
        payload_.set_read_delay_ms(written_ == 0 ? firstDelayMs_ : laterDelayMs_);
        payload_.set_probe_id(written_ == 0 ? probe_ : std::string());
        writing_ = true;
        writeStartedAt_ = Clock::now();
        StartWrite(&payload_);
    }
    void OnWriteDone(bool ok) override
    {
        std::lock_guard<std::mutex> lock(mutex_);
        writing_ = false;
        maxWriteMs_ = std::max(maxWriteMs_, msBetween(writeStartedAt_, Clock::now()));
        if (!ok)
            return;
        ++written_;
        nextLocked();
    }
    void OnDone(const grpc::Status& status) override
    {
        std::lock_guard<std::mutex> lock(mutex_);
        status_ = status;
        done_ = true;
        changed_.notify_all();
    }

    const std::string probe_;
    const uint32_t firstDelayMs_;
    const uint32_t laterDelayMs_;
    const uint64_t count_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    Payload payload_;
    bool writing_ = false;
    Clock::time_point writeStartedAt_;
    uint64_t written_ = 0;
    double maxWriteMs_ = 0;
    bool done_ = false;
    grpc::Status status_;
};

struct Stall {
    ProbeSample blocked;
    bool ok = false;
};

// Produce to a reader that never reads until the probe shows a write blocked for 300 ms.
Stall produceUntilBlocked(TestServer& server, const grpc::ChannelArguments& args, const std::string& probe)
{
    Stall stall;
    auto stub = FlowLab::NewStub(server.channel(args));
    auto lab = FlowLab::NewStub(server.channel());
    StreamReader<Payload> reader;
    ProduceRequest request;
    request.set_message_size(16384);
    request.set_probe_id(probe);
    stub->async()->Produce(&reader.context, &request, &reader);
    reader.start(/*paused=*/true);
    ProbeWatch watch(*lab, probe);
    stall.ok = watch.waitForSample([](const ProbeSample& s) { return s.write_pending() && s.current_write_blocked_ms() >= 300; },
                                   &stall.blocked, 30000);
    reader.cancel();
    reader.waitDone();
    return stall;
}

} // namespace

class TestServerLab : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void produceBlocksOnPausedReaderThenDrains();
    void windowDecidesHowMuchIsWrittenBeforeTheStall();
    void consumeReadDelayStallsClientWrites();
    void consumeCompletes();
    void produceInvalidSize();
    void watchUnknownProbe();
    void watchServer();

private:
    TestServer server_{10};
    std::unique_ptr<FlowLab::Stub> lab_;
};

void TestServerLab::initTestCase()
{
    QVERIFY(server_.start());
    lab_ = FlowLab::NewStub(server_.channel());
}

void TestServerLab::cleanupTestCase()
{
    lab_.reset();
    server_.stop();
}

void TestServerLab::produceBlocksOnPausedReaderThenDrains()
{
    auto stub = FlowLab::NewStub(server_.channel(smallWindowArgs(16384)));
    StreamReader<Payload> reader;
    ProduceRequest request;
    request.set_message_size(16384);
    request.set_max_messages(40);
    request.set_probe_id("produce-pause");
    stub->async()->Produce(&reader.context, &request, &reader);
    reader.start(/*paused=*/true);

    ProbeWatch watch(*lab_, "produce-pause");
    ProbeSample blocked;
    QVERIFY(watch.waitForSample([](const ProbeSample& s) { return s.write_pending() && s.current_write_blocked_ms() >= 300; },
                                &blocked));
    ProbeSample later;
    QVERIFY(watch.waitForSample(
        [&](const ProbeSample& s) {
            return s.write_pending() && s.current_write_blocked_ms() >= blocked.current_write_blocked_ms() + 300
                && s.messages_written() == blocked.messages_written();
        },
        &later));
    qInfo("16 KiB window, BDP off: %llu messages (%llu bytes) written before the write blocked (%u ms so far)",
          (unsigned long long)later.messages_written(), (unsigned long long)later.bytes_written(),
          later.current_write_blocked_ms());
    QVERIFY2(later.bytes_written() <= 128 * 1024, qPrintable(QString::number(later.bytes_written())));
    QCOMPARE(reader.count(), size_t(0));

    reader.resume();
    QVERIFY(reader.waitDone());
    QVERIFY2(reader.status().ok(), reader.status().error_message().c_str());
    const auto items = reader.items();
    QCOMPARE(items.size(), size_t(40));
    for (size_t i = 0; i < items.size(); ++i) {
        QCOMPARE(items[i].message.seq(), uint64_t(i + 1));
        QCOMPARE(items[i].message.data().size(), size_t(16384));
    }
    ProbeSample end;
    QVERIFY(watch.waitForSample([](const ProbeSample& s) { return s.finished(); }, &end));
    QCOMPARE(end.final_status(), std::string("OK"));
    QCOMPARE(end.messages_written(), uint64_t(40));
    QVERIFY(end.max_write_ms() >= later.current_write_blocked_ms());
    QVERIFY(end.stalled_writes() >= 1);
    QVERIFY(!end.write_pending());
}

void TestServerLab::windowDecidesHowMuchIsWrittenBeforeTheStall()
{
    const Stall small = produceUntilBlocked(server_, smallWindowArgs(16384), "window-small");
    QVERIFY(small.ok);
    const Stall noBdp = produceUntilBlocked(server_, [] {
        grpc::ChannelArguments args = ownConnectionArgs();
        args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
        return args;
    }(), "window-nobdp");
    QVERIFY(noBdp.ok);
    const Stall defaults = produceUntilBlocked(server_, ownConnectionArgs(), "window-default");
    QVERIFY(defaults.ok);
    qInfo("written before the stall: defaults %llu bytes, bdp_probe=0 %llu bytes, bdp_probe=0 + lookahead 16 KiB %llu bytes",
          (unsigned long long)defaults.blocked.bytes_written(), (unsigned long long)noBdp.blocked.bytes_written(),
          (unsigned long long)small.blocked.bytes_written());
    QVERIFY(small.blocked.bytes_written() <= noBdp.blocked.bytes_written());
    QVERIFY(noBdp.blocked.bytes_written() < defaults.blocked.bytes_written());
}

void TestServerLab::consumeReadDelayStallsClientWrites()
{
    // The server reads the first message, then waits 10 s before asking for
    // the next: the client's writes stall once the window is full.
    // (The server's own receive window may still grow by BDP probing, so a
    // blocked write can pass later; what counts is that one waited.)
    PayloadWriter writer(*lab_, "consume-stall", 10000, 0, 1 << 20, 0);
    QVERIFY(pollUntil([&] { return writer.longestWaitMs() >= 500; }));
    const uint64_t written = writer.written();
    ProbeWatch watch(*lab_, "consume-stall");
    ProbeSample sample;
    QVERIFY(watch.waitForSample([](const ProbeSample& s) { return s.messages_read() >= 1; }, &sample));
    QCOMPARE(sample.messages_read(), uint64_t(1));   // the server still sits on its delay
    qInfo("Consume: the client wrote %llu MiB, then a write waited %.0f ms (the server had read 1 message)",
          (unsigned long long)written, writer.longestWaitMs());

    // Cancelling ends the call at once, delay or not.
    const auto cancelled = Clock::now();
    writer.context.TryCancel();
    QVERIFY(writer.waitDone());
    QCOMPARE(int(writer.status().error_code()), int(grpc::StatusCode::CANCELLED));
    ProbeSample end;
    QVERIFY(watch.waitForSample([](const ProbeSample& s) { return s.finished(); }, &end));
    QVERIFY(msSince(cancelled) < 5000);
    QVERIFY(pollUntil([&] { return server_.state()->stats.activeCalls() == 0; }));
}

void TestServerLab::consumeCompletes()
{
    // 10 messages with a 20 ms read delay each: the call lasts at least 180 ms
    // and the server counts every message.
    const auto started = Clock::now();
    PayloadWriter writer(*lab_, "consume-ok", 20, 20, 1000, 10);
    QVERIFY(writer.waitDone());
    QVERIFY2(writer.status().ok(), writer.status().error_message().c_str());
    QCOMPARE(writer.result.messages(), uint64_t(10));
    QVERIFY(writer.result.bytes() >= 10 * 1000);
    QVERIFY(msSince(started) >= 180);
}

void TestServerLab::produceInvalidSize()
{
    for (uint32_t size : {0u, 5u << 20}) {
        StreamReader<Payload> reader;
        ProduceRequest request;
        request.set_message_size(size);
        lab_->async()->Produce(&reader.context, &request, &reader);
        reader.start();
        QVERIFY(reader.waitDone());
        QCOMPARE(int(reader.status().error_code()), int(grpc::StatusCode::INVALID_ARGUMENT));
        QCOMPARE(reader.count(), size_t(0));
    }
}

void TestServerLab::watchUnknownProbe()
{
    StreamReader<ProbeSample> reader;
    WatchRequest request;
    request.set_probe_id("no-such-probe");
    request.set_wait_ms(200);
    const auto started = Clock::now();
    lab_->async()->Watch(&reader.context, &request, &reader);
    reader.start();
    QVERIFY(reader.waitDone());
    QCOMPARE(int(reader.status().error_code()), int(grpc::StatusCode::NOT_FOUND));
    QVERIFY(msSince(started) >= 150);
}

void TestServerLab::watchServer()
{
    auto admin = ServerAdmin::NewStub(server_.channel());
    StreamReader<ServerInfo> reader;
    ServerInfoRequest request;
    request.set_interval_ms(100);
    admin->async()->WatchServer(&reader.context, &request, &reader);
    reader.start();
    QVERIFY(reader.waitForCount(3));
    for (const auto& item : reader.items()) {
        QCOMPARE(item.message.product(), std::string("streamlab"));
        QVERIFY(item.message.active_calls() >= 1);
        QCOMPARE(item.message.users(), uint64_t(1000));
    }
    reader.cancel();
    QVERIFY(reader.waitDone());
    QCOMPARE(int(reader.status().error_code()), int(grpc::StatusCode::CANCELLED));
}

QTEST_GUILESS_MAIN(TestServerLab)
#include "tst_server_lab.moc"
