// StreamingExamples.ListEvents (server streaming): history and filters, every
// error, follow with live events, cancellation stopping the producer, and a
// paused reader stalling the server's writes (observed with FlowLab.Watch).

#include "ClientSupport.h"

#include "SeedData.h"

using namespace streamlab;
using namespace streamlab::test;

namespace {

struct Listing {
    std::vector<Event> events;
    grpc::Status status;
};

// The sync reader is fine here: it reads continuously, as fast as it can.
Listing listEvents(StreamingExamples::Stub& stub, const EventFilter& filter, int deadlineMs = 20000)
{
    Listing out;
    grpc::ClientContext context;
    setDeadline(context, deadlineMs);
    auto reader = stub.ListEvents(&context, filter);
    Event event;
    while (reader->Read(&event))
        out.events.push_back(event);
    out.status = reader->Finish();
    return out;
}

std::string isoOf(int64_t ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs).toStdString();
}

} // namespace

class TestServerEvents : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void historyAfterDateInIdOrder();
    void afterDateTimeIsStrict();
    void typesFilter();
    void limitAndAfterId();
    void invalidAfter_data();
    void invalidAfter();
    void unknownTypeIsInvalid();
    void followDeliversLiveEvents();
    void cancelStopsProducerWithinOneMessage();
    void cancelFollowStopsLiveProducer();
    void pausedReaderBlocksServerWriteThenDrains();
    void throughputToBareClient();

private:
    std::unique_ptr<TestServer> server_;
    std::unique_ptr<StreamingExamples::Stub> stub_;
    std::vector<Event> all_;   // the whole history, read once
};

void TestServerEvents::initTestCase()
{
    server_ = std::make_unique<TestServer>(5000);
    server_->config.eventRatePerSecond = 50;
    QVERIFY(server_->start());
    stub_ = StreamingExamples::NewStub(server_->channel());
    EventFilter filter;
    filter.set_after("2024-01-01");
    Listing listing = listEvents(*stub_, filter);
    QVERIFY2(listing.status.ok(), listing.status.error_message().c_str());
    all_ = listing.events;
}

void TestServerEvents::cleanupTestCase()
{
    stub_.reset();
    server_.reset();
}

void TestServerEvents::historyAfterDateInIdOrder()
{
    // The guide's call: ListEvents(EventFilter(after='2024-01-01')) → the whole seeded history.
    QCOMPARE(all_.size(), size_t(5000));
    const int64_t start = server::kHistoryStartMs;   // 2024-01-01T00:00:00Z
    const int64_t now = QDateTime::currentMSecsSinceEpoch();
    QSet<QString> types;
    for (size_t i = 0; i < all_.size(); ++i) {
        const Event& e = all_[i];
        if (i > 0) {
            QVERIFY2(e.id() > all_[i - 1].id(), "ids ascend");
            QVERIFY2(e.time_ms() >= all_[i - 1].time_ms(), "times do not go back");
        }
        QVERIFY(e.time_ms() > start);
        QVERIFY(e.time_ms() <= now + 1000);
        QVERIFY(!e.live());
        QVERIFY(!e.type().empty());
        QVERIFY2(e.data().size() > 2 && e.data().front() == '{' && e.data().back() == '}', e.data().c_str());
        types.insert(QString::fromStdString(e.type()));
    }
    QCOMPARE(all_.front().id(), int64_t(1));
    QCOMPARE(all_.back().id(), int64_t(5000));
    QVERIFY2(types.size() >= 5, "several event types");
    // Spread over the whole span: each event in its own slot of (now - start) / N,
    // so no two share a time and none is more than two slots after the one before
    // (jitter that added up used to pile the tail onto "now").
    const int64_t slot = (now - start) / int64_t(all_.size());
    for (size_t i = 1; i < all_.size(); ++i) {
        const int64_t gap = all_[i].time_ms() - all_[i - 1].time_ms();
        QVERIFY2(gap > 0 && gap < 2 * slot + 1000, qPrintable(QStringLiteral("events %1 and %2 are %3 ms apart (slot %4 ms)")
                                                                  .arg(i).arg(i + 1).arg(gap).arg(slot)));
    }
    QVERIFY(all_.front().time_ms() < start + 2 * slot);
    QVERIFY(all_.back().time_ms() > now - 2 * slot - 60000);

    // No `after`: the same history.
    Listing none = listEvents(*stub_, EventFilter());
    QVERIFY(none.status.ok());
    QCOMPARE(none.events.size(), all_.size());
}

void TestServerEvents::afterDateTimeIsStrict()
{
    // After the time of event #2500, as a date-time: exactly the events with a later time.
    const int64_t t = all_[2499].time_ms();
    size_t expected = 0;
    for (const Event& e : all_)
        expected += e.time_ms() > t ? 1 : 0;
    const std::vector<std::string> spellings = {isoOf(t), isoOf(t).substr(0, 23) + "+00:00", isoOf(t).substr(0, 23) + "z"};
    for (const std::string& after : spellings) {
        EventFilter filter;
        filter.set_after(after);
        Listing listing = listEvents(*stub_, filter);
        QVERIFY2(listing.status.ok(), (after + ": " + listing.status.error_message()).c_str());
        QCOMPARE(listing.events.size(), expected);
        for (const Event& e : listing.events)
            QVERIFY(e.time_ms() > t);
    }
    // A date-time in another zone means the same instant.
    const QDateTime utc = QDateTime::fromMSecsSinceEpoch(t, Qt::UTC);
    EventFilter zoned;
    zoned.set_after(utc.toOffsetFromUtc(2 * 3600).toString(Qt::ISODateWithMs).toStdString());
    Listing listing = listEvents(*stub_, zoned);
    QVERIFY2(listing.status.ok(), (zoned.after() + ": " + listing.status.error_message()).c_str());
    QCOMPARE(listing.events.size(), expected);

    // After the future: nothing, and the call ends OK.
    EventFilter future;
    future.set_after("2999-01-01T00:00:00Z");
    Listing empty = listEvents(*stub_, future);
    QVERIFY(empty.status.ok());
    QVERIFY(empty.events.empty());
}

void TestServerEvents::typesFilter()
{
    const std::vector<std::string> wanted = {"alert.raised", "payment.failed"};
    size_t expected = 0;
    for (const Event& e : all_)
        expected += (e.type() == wanted[0] || e.type() == wanted[1]) ? 1 : 0;
    QVERIFY(expected > 0);
    EventFilter filter;
    filter.set_after("2024-01-01");
    for (const auto& type : wanted)
        filter.add_types(type);
    Listing listing = listEvents(*stub_, filter);
    QVERIFY2(listing.status.ok(), listing.status.error_message().c_str());
    QCOMPARE(listing.events.size(), expected);
    for (size_t i = 0; i < listing.events.size(); ++i) {
        const Event& e = listing.events[i];
        QVERIFY(e.type() == wanted[0] || e.type() == wanted[1]);
        if (i > 0)
            QVERIFY(e.id() > listing.events[i - 1].id());
    }
}

void TestServerEvents::limitAndAfterId()
{
    EventFilter limited;
    limited.set_limit(10);
    Listing first = listEvents(*stub_, limited);
    QVERIFY(first.status.ok());
    QCOMPARE(first.events.size(), size_t(10));
    for (size_t i = 0; i < 10; ++i)
        QCOMPARE(first.events[i].id(), all_[i].id());

    // Resume after the last one seen.
    EventFilter resume;
    resume.set_after_id(4990);
    Listing rest = listEvents(*stub_, resume);
    QVERIFY(rest.status.ok());
    QCOMPARE(rest.events.size(), size_t(10));
    QCOMPARE(rest.events.front().id(), int64_t(4991));
    QCOMPARE(rest.events.back().id(), int64_t(5000));

    // after_id and limit together; and a limit larger than what is left.
    EventFilter both;
    both.set_after_id(100);
    both.set_limit(3);
    Listing three = listEvents(*stub_, both);
    QCOMPARE(three.events.size(), size_t(3));
    QCOMPARE(three.events[0].id(), int64_t(101));
    EventFilter large;
    large.set_after_id(4998);
    large.set_limit(100);
    QCOMPARE(listEvents(*stub_, large).events.size(), size_t(2));
}

void TestServerEvents::invalidAfter_data()
{
    QTest::addColumn<QString>("after");
    QTest::newRow("words") << "yesterday";
    QTest::newRow("month 13") << "2024-13-01";
    QTest::newRow("feb 30") << "2024-02-30";
    QTest::newRow("slashes") << "2024/01/01";
    QTest::newRow("hour 25") << "2024-01-01T25:00:00Z";
    QTest::newRow("trailing") << "2024-01-01Tnoon";
    QTest::newRow("short year") << "24-01-01";
}

void TestServerEvents::invalidAfter()
{
    QFETCH(QString, after);
    EventFilter filter;
    filter.set_after(after.toStdString());
    Listing listing = listEvents(*stub_, filter);
    QCOMPARE(int(listing.status.error_code()), int(grpc::StatusCode::INVALID_ARGUMENT));
    QVERIFY(listing.status.error_message().find("ISO 8601") != std::string::npos);
    QVERIFY(listing.events.empty());
}

void TestServerEvents::unknownTypeIsInvalid()
{
    EventFilter filter;
    filter.add_types("user.login");
    filter.add_types("no.such.type");
    Listing listing = listEvents(*stub_, filter);
    QCOMPARE(int(listing.status.error_code()), int(grpc::StatusCode::INVALID_ARGUMENT));
    QVERIFY(listing.status.error_message().find("no.such.type") != std::string::npos);
    QVERIFY(listing.events.empty());
}

void TestServerEvents::followDeliversLiveEvents()
{
    // The last three of the history, then live events (50/s in this suite).
    const int64_t last = server_->state()->events->lastId();
    StreamReader<Event> reader;
    EventFilter filter;
    filter.set_after_id(last - 3);
    filter.set_follow(true);
    stub_->async()->ListEvents(&reader.context, &filter, &reader);
    reader.start();
    QVERIFY2(reader.waitForCount(3 + 5), "three history events and five live ones");
    QVERIFY(!reader.done());   // follow keeps the stream open
    const auto items = reader.items();
    for (size_t i = 0; i < items.size(); ++i) {
        const Event& e = items[i].message;
        if (i < 3) {
            QCOMPARE(e.id(), last - 2 + int64_t(i));
            QVERIFY(!e.live());
        } else {
            QVERIFY2(e.live(), "produced after the call started");
            QVERIFY(e.time_ms() >= items[i - 1].message.time_ms());
            QVERIFY(!e.type().empty() && !e.data().empty());
            // Recent: stored within the last minute.
            QVERIFY(std::llabs(e.time_ms() - QDateTime::currentMSecsSinceEpoch()) < 60000);
        }
        if (i > 0)
            QCOMPARE(e.id(), items[i - 1].message.id() + 1);   // nothing skipped
    }
    reader.context.TryCancel();
    QVERIFY(reader.waitDone());
    QCOMPARE(int(reader.status().error_code()), int(grpc::StatusCode::CANCELLED));

    // A follow stream with a type filter gets live events of that type only.
    StreamReader<Event> readings;
    EventFilter typed;
    typed.set_after_id(server_->state()->events->lastId());
    typed.add_types("sensor.reading");
    typed.set_follow(true);
    stub_->async()->ListEvents(&readings.context, &typed, &readings);
    readings.start();
    QVERIFY(readings.waitForCount(2));
    for (const auto& item : readings.items()) {
        QCOMPARE(item.message.type(), std::string("sensor.reading"));
        QVERIFY(item.message.live());
    }
}

void TestServerEvents::cancelStopsProducerWithinOneMessage()
{
    // A reader with a 16 KiB window that reads 20 events and stops: the
    // server writes until flow control blocks it. Then the client cancels.
    auto channel = server_->channel(smallWindowArgs());
    auto stub = StreamingExamples::NewStub(channel);
    auto lab = FlowLab::NewStub(server_->channel());
    const std::string probe = "events-cancel";

    StreamReader<Event> reader;
    EventFilter filter;
    filter.set_probe_id(probe);
    stub->async()->ListEvents(&reader.context, &filter, &reader);
    reader.start();
    QVERIFY(reader.waitForCount(20));
    reader.pause();

    ProbeWatch watch(*lab, probe);
    ProbeSample blocked;
    QVERIFY2(watch.waitForSample([](const ProbeSample& s) { return s.write_pending() && s.current_write_blocked_ms() >= 300; },
                                 &blocked),
             "the server's write blocks while the client does not read");
    const uint64_t sentBefore = server_->state()->stats.eventsSent.load();
    const uint64_t writtenBefore = blocked.messages_written();
    QVERIFY(writtenBefore < all_.size());

    // The server sees the cancel (RST_STREAM) though the client reads nothing more.
    reader.context.TryCancel();
    ProbeSample end;
    QVERIFY(watch.waitForSample([](const ProbeSample& s) { return s.finished(); }, &end));
    reader.cancel();
    QVERIFY(reader.waitDone());
    QCOMPARE(int(reader.status().error_code()), int(grpc::StatusCode::CANCELLED));
    QVERIFY2(end.messages_written() <= writtenBefore + 1,
             qPrintable(QString("%1 writes after the cancel").arg(end.messages_written() - writtenBefore)));
    const uint64_t sentAfter = server_->state()->stats.eventsSent.load();
    QVERIFY2(sentAfter <= sentBefore + 1, qPrintable(QString("%1 events sent after the cancel").arg(sentAfter - sentBefore)));
    qInfo("blocked after %llu events (%llu bytes); after the cancel: %llu more",
          (unsigned long long)writtenBefore, (unsigned long long)blocked.bytes_written(),
          (unsigned long long)(end.messages_written() - writtenBefore));
}

void TestServerEvents::cancelFollowStopsLiveProducer()
{
    // A follower that reads everything and waits for live events; cancelling
    // it ends the call and stops the generator (no one follows any more).
    auto& live = *server_->state()->live;
    auto lab = FlowLab::NewStub(server_->channel());
    {
        StreamReader<Event> reader;
        EventFilter filter;
        filter.set_after_id(server_->state()->events->lastId());
        filter.set_follow(true);
        filter.set_probe_id("follow-cancel");
        stub_->async()->ListEvents(&reader.context, &filter, &reader);
        reader.start();
        QVERIFY(reader.waitForCount(2));
        ProbeWatch watch(*lab, "follow-cancel");
        reader.context.TryCancel();
        QVERIFY(reader.waitDone());
        ProbeSample end;
        QVERIFY(watch.waitForSample([](const ProbeSample& s) { return s.finished(); }, &end));
        // "cancelled by the client", or "the client went away" when a write was in flight.
        QVERIFY2(!end.final_status().empty() && end.final_status() != "OK", end.final_status().c_str());
    }
    QVERIFY(pollUntil([&] { return server_->state()->stats.activeCalls() == 0; }));
    // No follower: the generator idles (at 50/s, 300 ms would make ~15 events).
    const uint64_t generated = live.generated();
    const int64_t lastId = server_->state()->events->lastId();
    QTest::qWait(300);
    QVERIFY(live.generated() <= generated + 1);   // one may have been in progress
    QVERIFY(server_->state()->events->lastId() <= lastId + 1);
}

void TestServerEvents::pausedReaderBlocksServerWriteThenDrains()
{
    auto channel = server_->channel(smallWindowArgs());
    auto stub = StreamingExamples::NewStub(channel);
    auto lab = FlowLab::NewStub(server_->channel());
    const std::string probe = "events-pause";

    // No one follows now, so the history does not grow during the call.
    const size_t history = size_t(server_->state()->events->count());
    QVERIFY(history >= all_.size());
    StreamReader<Event> reader;
    EventFilter filter;
    filter.set_after("2024-01-01");
    filter.set_probe_id(probe);
    stub->async()->ListEvents(&reader.context, &filter, &reader);
    reader.start();
    QVERIFY(reader.waitForCount(10));
    reader.pause();
    const auto pausedAt = Clock::now();

    ProbeWatch watch(*lab, probe);
    ProbeSample first;
    QVERIFY2(watch.waitForSample([](const ProbeSample& s) { return s.write_pending() && s.current_write_blocked_ms() >= 200; },
                                 &first),
             "a paused reader makes the server's write block");
    ProbeSample later;
    QVERIFY2(watch.waitForSample(
                 [&](const ProbeSample& s) {
                     return s.write_pending() && s.current_write_blocked_ms() >= first.current_write_blocked_ms() + 300
                         && s.messages_written() == first.messages_written();
                 },
                 &later),
             "the blocked time grows while nothing more is written");
    const size_t readWhilePaused = reader.count();
    // Bounded by the window: far from the whole history.
    QVERIFY2(later.bytes_written() < 256 * 1024, qPrintable(QString::number(later.bytes_written())));
    qInfo("paused %lld ms: server wrote %llu events (%llu bytes) and has waited %u ms in one write",
          (long long)msSince(pausedAt), (unsigned long long)later.messages_written(),
          (unsigned long long)later.bytes_written(), later.current_write_blocked_ms());

    reader.resume();
    QVERIFY(reader.waitDone(30000));
    QVERIFY2(reader.status().ok(), reader.status().error_message().c_str());
    QCOMPARE(reader.count(), history);
    QVERIFY(reader.count() > readWhilePaused);
    ProbeSample end;
    QVERIFY(watch.waitForSample([](const ProbeSample& s) { return s.finished(); }, &end));
    QCOMPARE(end.final_status(), std::string("OK"));
    QCOMPARE(end.messages_written(), uint64_t(history));
    QVERIFY(end.max_write_ms() >= later.current_write_blocked_ms());
    QVERIFY(end.stalled_writes() >= 1);
}

void TestServerEvents::throughputToBareClient()
{
    // Events per second to a client that only reads (callback API, default
    // channel), over the production-sized history (120,000 events).
    QTemporaryDir dir;
    TestServer big(120000, dir.path());
    QVERIFY(big.start());
    auto stub = StreamingExamples::NewStub(big.channel());
    StreamReader<Event> reader(60000);
    EventFilter filter;
    filter.set_after("2024-01-01");
    const auto started = Clock::now();
    stub->async()->ListEvents(&reader.context, &filter, &reader);
    reader.start();
    QVERIFY(reader.waitDone(60000));
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    QVERIFY2(reader.status().ok(), reader.status().error_message().c_str());
    QCOMPARE(reader.count(), size_t(120000));
    qInfo("ListEvents: %zu events in %.2f s = %.0f events/s to a bare callback client (seed took %.0f ms)",
          reader.count(), seconds, double(reader.count()) / seconds, big.server->startSeconds() * 1000);
    QVERIFY(double(reader.count()) / seconds > 2000);
}

QTEST_GUILESS_MAIN(TestServerEvents)
#include "tst_server_events.moc"
