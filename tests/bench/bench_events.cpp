// Scenario "events": a flood of small events (ListEvents over the server's
// whole seeded history, 120,000 events) through the server streaming tab's
// real pipeline — a ServerStreamingTab shown under the offscreen platform:
// EventStream's ClientReadReactor on gRPC's threads → one batch per frame →
// EventTableModel (the capped ring, 100,000 rows) → QTableView, with
// GuiGapMeter's 5 ms heartbeat on the same event loop — against bare grpc++
// readers of the same events from the same server, on a channel of their own:
//
//  - baseline: a ClientReadReactor that only counts and asks for the next
//    message. The app must read streams with the callback API (DESIGN.md §3),
//    so this isolates what the app's pipeline costs.
//  - sync_baseline: a sync ClientReader looping on Read on its own thread,
//    for reference. In this process the callback API's reactions — the
//    in-process server's and the client's — share gRPC's two callback
//    threads; a sync reader leaves them to the server, which is why it is
//    faster here.
//
// Runs alternate (app, baseline, sync); medians are reported, with the whole
// process's CPU time per event of each (the server's included, the same for
// all three).
//
// A second line, "events_1m", streams 1,000,000 events in ONE call through
// the same tab and samples the process's RSS all along: the model keeps the
// newest 100,000 rows, so memory must stay flat. The events come from a
// second server in this process, seeded with 1,000,000 events once (a few
// seconds): one real history read end to end measures exactly the pipeline
// the user runs. (Following live events at a high rate would measure the
// server's event generator and its SQLite inserts; repeated after_id passes
// would be many calls, not one long stream.)
#include "Bench.h"

#include "Connection.h"
#include "EventStream.h"
#include "EventTableModel.h"
#include "ServerStreamingTab.h"
#include "WorkerPriority.h"
#include "streaming_examples.grpc.pb.h"

#include <QDateTime>
#include <QJsonArray>
#include <QElapsedTimer>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <sys/resource.h>
#include <time.h>

namespace streamlab::bench {

namespace {

struct Run {
    bool ok = false;
    qint64 events = 0;
    double seconds = 0;
    double guiMaxGapMs = 0;
    double maxRssMb = 0;
    qint64 droppedRows = 0;
    int rowsKept = 0;
    double cpuSeconds = 0;   // the whole process's (server included) during the run
    double guiMaxWorkMs = 0;            // the GUI thread's own CPU time between two 5 ms ticks, at most
    double guiWorkInLongestGapMs = 0;   // ... within the longest gap
    QString error;
    double eventsPerSecond() const { return seconds > 0 ? double(events) / seconds : 0; }
    double cpuUsPerEvent() const { return events > 0 ? cpuSeconds * 1e6 / double(events) : 0; }
};

double processCpuSeconds()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double threadCpuMs()
{
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return double(now.tv_sec) * 1e3 + double(now.tv_nsec) / 1e6;
}

// Splits the GUI thread's gaps into its own work and waiting: next to
// GuiGapMeter's heartbeat, another 5 ms timer notes how much CPU time the GUI
// thread itself used between two of its ticks. A gap much longer than that
// was spent waiting for a CPU (the process's other threads — the server's,
// gRPC's — and the rest of the machine), not working on the pipeline.
class GuiWorkMeter {
public:
    GuiWorkMeter()
    {
        m_timer.setTimerType(Qt::PreciseTimer);
        m_timer.setInterval(5);
        QObject::connect(&m_timer, &QTimer::timeout, [this] {
            const double wall = double(m_wall.nsecsElapsed()) / 1e6, cpu = threadCpuMs();
            maxWorkMs = std::max(maxWorkMs, cpu - m_lastCpu);
            if (wall - m_lastWall > longestGapMs) {
                longestGapMs = wall - m_lastWall;
                workInLongestGapMs = cpu - m_lastCpu;
            }
            m_lastWall = wall;
            m_lastCpu = cpu;
        });
    }
    void start()
    {
        m_wall.start();
        m_lastWall = 0;
        m_lastCpu = threadCpuMs();
        m_timer.start();
    }
    void stop() { m_timer.stop(); }
    double maxWorkMs = 0;           // the most CPU the GUI thread used between two ticks
    double longestGapMs = 0;
    double workInLongestGapMs = 0;  // of which its own work

private:
    QTimer m_timer;
    QElapsedTimer m_wall;
    double m_lastWall = 0, m_lastCpu = 0;
};

// One ListEvents through the tab, as a user starts it; until its final status.
Run appRun(ServerStreamingTab& tab, const QString& after)
{
    Run run;
    tab.setFilter(after, {}, false);
    double maxRss = currentRssMb();
    QTimer rssSampler;
    QObject::connect(&rssSampler, &QTimer::timeout, [&] { maxRss = std::max(maxRss, currentRssMb()); });
    rssSampler.start(50);
    GuiWorkMeter work;
    work.start();
    GuiGapMeter gaps;
    gaps.start();
    QElapsedTimer clock;
    const double cpuBefore = processCpuSeconds();
    clock.start();
    tab.startStream();
    const bool finished = spinUntil([&] { return !tab.stream()->active(); }, 600000);
    run.seconds = double(clock.nsecsElapsed()) / 1e9;
    run.cpuSeconds = processCpuSeconds() - cpuBefore;
    gaps.stop();
    work.stop();
    rssSampler.stop();
    run.guiMaxGapMs = gaps.maxGapMs();
    run.guiMaxWorkMs = work.maxWorkMs;
    run.guiWorkInLongestGapMs = work.workInLongestGapMs;
    run.maxRssMb = std::max(maxRss, currentRssMb());
    run.events = tab.stream()->counters().received;
    run.droppedRows = tab.model()->droppedRows();
    run.rowsKept = tab.model()->rowCount();
    run.ok = finished && tab.statusCode() == QStringLiteral("OK");
    if (!run.ok)
        run.error = finished ? tab.statusMessage() : QStringLiteral("no end within 10 minutes");
    return run;
}

// The same call with nothing but grpc++: a sync reader on its own thread.
Run syncBaselineRun(const std::shared_ptr<grpc::Channel>& channel, const QString& after)
{
    Run run;
    const double cpuBefore = processCpuSeconds();
    std::thread worker([&] {
        WorkerPriority::lowerCurrentThread();   // a worker, as the app's own are
        auto stub = StreamingExamples::NewStub(channel);
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
        EventFilter filter;
        filter.set_after(after.toStdString());
        QElapsedTimer clock;
        clock.start();
        auto reader = stub->ListEvents(&context, filter);
        Event event;
        qint64 count = 0;
        while (reader->Read(&event))
            ++count;
        const grpc::Status status = reader->Finish();
        run.seconds = double(clock.nsecsElapsed()) / 1e9;
        run.events = count;
        run.ok = status.ok();
        if (!status.ok())
            run.error = QString::fromStdString(status.error_message());
    });
    worker.join();
    run.cpuSeconds = processCpuSeconds() - cpuBefore;
    return run;
}

// The same call through grpc++'s callback API, bare: a ClientReadReactor
// that counts and asks for the next message, nothing else.
class CountingReader final : public grpc::ClientReadReactor<Event> {
public:
    void start(StreamingExamples::Stub& stub, const EventFilter& filter)
    {
        m_context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
        m_clock.start();
        stub.async()->ListEvents(&m_context, &filter, this);
        StartRead(&m_event);
        StartCall();
    }
    void OnReadDone(bool ok) override
    {
        if (!ok)
            return;
        ++m_count;
        StartRead(&m_event);
    }
    void OnDone(const grpc::Status& status) override
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_seconds = double(m_clock.nsecsElapsed()) / 1e9;
        m_status = status;
        m_done = true;
        m_cv.notify_all();
    }
    Run wait()
    {
        std::unique_lock<std::mutex> lock(m_mutex);
        m_cv.wait(lock, [this] { return m_done; });
        Run run;
        run.ok = m_status.ok();
        run.events = m_count;
        run.seconds = m_seconds;
        if (!m_status.ok())
            run.error = QString::fromStdString(m_status.error_message());
        return run;
    }

private:
    grpc::ClientContext m_context;
    Event m_event;
    qint64 m_count = 0;
    QElapsedTimer m_clock;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_done = false;
    double m_seconds = 0;
    grpc::Status m_status;
};

Run callbackBaselineRun(const std::shared_ptr<grpc::Channel>& channel, const QString& after)
{
    auto stub = StreamingExamples::NewStub(channel);
    EventFilter filter;
    filter.set_after(after.toStdString());
    CountingReader reader;
    const double cpuBefore = processCpuSeconds();
    reader.start(*stub, filter);
    Run run = reader.wait();
    run.cpuSeconds = processCpuSeconds() - cpuBefore;
    return run;
}

std::shared_ptr<grpc::Channel> bareChannel(const std::string& address)
{
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);   // its own TCP connection
    args.SetMaxReceiveMessageSize(8 << 20);
    return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

void fail(const QString& what, const Run& run)
{
    std::fprintf(stderr, "streamlab-bench events: %s failed: %s\n", qPrintable(what), qPrintable(run.error));
}

QList<Result> runEvents(Environment& env, const Options& options)
{
    // The whole seeded history (120,000 events); --quick: the last 30 days of it.
    const QString after = options.quick ? QDateTime::currentDateTimeUtc().addDays(-30).toString(Qt::ISODate)
                                        : QStringLiteral("2024-01-01T00:00");
    Connection connection;
    QString error;
    if (!connection.connectTo(QString::fromStdString(env.address()), &error))
        return {};
    ServerStreamingTab tab(&connection);
    tab.resize(1280, 800);
    tab.show();
    auto bare = bareChannel(env.address());

    // Warm up every path (connections, threads, caches) with the measured
    // workload itself: the first flood of a process also grows its heap for
    // the 100,000 rows and rasterizes the glyphs the table shows. That run's
    // largest gap is reported apart (cold_gui_max_gap_ms): a user sees it
    // once per session, the others on every stream after.
    const Run cold = appRun(tab, after);
    if (!cold.ok || !callbackBaselineRun(bare, after).ok || !syncBaselineRun(bare, after).ok)
        return {};

    struct Side {
        std::vector<double> rates, cpu;
        QJsonArray list;
        void add(const Run& run)
        {
            rates.push_back(run.eventsPerSecond());
            cpu.push_back(run.cpuUsPerEvent());
            list.append(qRound(run.eventsPerSecond()));
        }
    } app, callback, sync;
    double maxGap = 0, maxRss = 0, maxWork = 0;
    qint64 events = 0, dropped = 0;
    QJsonArray gapList, workList;
    for (int i = 0; i < options.runs; ++i) {
        const Run a = appRun(tab, after);
        if (!a.ok) {
            fail(QStringLiteral("the app's run"), a);
            return {};
        }
        const Run b = callbackBaselineRun(bare, after);
        const Run c = syncBaselineRun(bare, after);
        if (!b.ok || b.events != a.events || !c.ok || c.events != a.events) {
            fail(QStringLiteral("a baseline run"), b.ok ? c : b);
            return {};
        }
        app.add(a);
        callback.add(b);
        sync.add(c);
        maxGap = std::max(maxGap, a.guiMaxGapMs);
        maxWork = std::max(maxWork, a.guiMaxWorkMs);
        workList.append(qRound(a.guiWorkInLongestGapMs * 10) / 10.0);
        maxRss = std::max(maxRss, a.maxRssMb);
        events = a.events;
        dropped = a.droppedRows;
        gapList.append(qRound(a.guiMaxGapMs * 10) / 10.0);
    }
    auto rounded = [](double value) { return qRound(value * 100) / 100.0; };
    Result result;
    result.scenario = QStringLiteral("events");
    result.unit = QStringLiteral("events/s");
    result.app = median(app.rates);
    result.baseline = median(callback.rates);
    result.higherIsBetter = true;
    result.guiMaxGapMs = maxGap;
    result.rssMb = maxRss;
    result.extra.insert(QStringLiteral("baseline_kind"), QStringLiteral("bare ClientReadReactor"));
    result.extra.insert(QStringLiteral("sync_baseline"), median(sync.rates));
    result.extra.insert(QStringLiteral("sync_ratio"), rounded(result.app / std::max(1.0, median(sync.rates))));
    result.extra.insert(QStringLiteral("events_per_run"), events);
    result.extra.insert(QStringLiteral("runs"), options.runs);
    result.extra.insert(QStringLiteral("rows_kept"), tab.model()->rowCount());
    result.extra.insert(QStringLiteral("rows_dropped_per_run"), dropped);
    result.extra.insert(QStringLiteral("app_runs"), app.list);
    result.extra.insert(QStringLiteral("baseline_runs"), callback.list);
    result.extra.insert(QStringLiteral("sync_runs"), sync.list);
    result.extra.insert(QStringLiteral("gui_gaps_ms"), gapList);
    result.extra.insert(QStringLiteral("cold_gui_max_gap_ms"), qRound(cold.guiMaxGapMs * 10) / 10.0);
    result.extra.insert(QStringLiteral("gui_work_in_gaps_ms"), workList);
    result.extra.insert(QStringLiteral("gui_max_work_ms"), rounded(maxWork));
    result.extra.insert(QStringLiteral("app_cpu_us_per_event"), rounded(median(app.cpu)));
    result.extra.insert(QStringLiteral("baseline_cpu_us_per_event"), rounded(median(callback.cpu)));
    result.extra.insert(QStringLiteral("sync_cpu_us_per_event"), rounded(median(sync.cpu)));

    // One long stream: 1,000,000 events (--quick: 60,000 into a 5,000-row ring).
    const int longEvents = options.quick ? 60000 : 1000000;
    QTemporaryDir dir;
    server::ServerConfig config;
    config.listenAddress = "127.0.0.1:0";
    config.dataDir = dir.path().toStdString();
    config.seedEvents = longEvents;
    config.seedUsers = 10;
    server::EmbeddedServer big(config);
    std::string message;
    QElapsedTimer seedClock;
    seedClock.start();
    QList<Result> results{result};
    if (!big.start(&message)) {
        std::fprintf(stderr, "streamlab-bench events: the %d-event server did not start: %s\n", longEvents, message.c_str());
        return results;
    }
    const double seedSeconds = double(seedClock.elapsed()) / 1000.0;
    Connection bigConnection;
    bigConnection.connectTo(QString::fromStdString(big.address()), &error);
    ServerStreamingTab bigTab(&bigConnection);
    bigTab.resize(1280, 800);
    bigTab.show();
    if (options.quick)
        bigTab.setCapacity(5000);
    tab.hide();
    tab.model()->clear();   // only the long stream's rows are held now
    const double rssBefore = currentRssMb();
    const QString all = QStringLiteral("2024-01-01");
    const Run longApp = appRun(bigTab, all);
    auto bigBare = bareChannel(big.address());
    const Run longBase = longApp.ok ? callbackBaselineRun(bigBare, all) : Run();
    const Run longSync = longApp.ok ? syncBaselineRun(bigBare, all) : Run();
    big.stop();
    if (!longApp.ok || !longBase.ok || !longSync.ok) {
        fail(QStringLiteral("the long stream"), !longApp.ok ? longApp : (!longBase.ok ? longBase : longSync));
        return results;
    }
    Result longResult;
    longResult.scenario = QStringLiteral("events_1m");
    longResult.unit = QStringLiteral("events/s");
    longResult.app = longApp.eventsPerSecond();
    longResult.baseline = longBase.eventsPerSecond();
    longResult.higherIsBetter = true;
    longResult.guiMaxGapMs = longApp.guiMaxGapMs;
    longResult.rssMb = longApp.maxRssMb;   // the largest RSS sampled (every 50 ms) during the app's stream
    longResult.extra.insert(QStringLiteral("gui_work_in_gap_ms"), qRound(longApp.guiWorkInLongestGapMs * 10) / 10.0);
    longResult.extra.insert(QStringLiteral("gui_max_work_ms"), qRound(longApp.guiMaxWorkMs * 10) / 10.0);
    longResult.extra.insert(QStringLiteral("baseline_kind"), QStringLiteral("bare ClientReadReactor"));
    longResult.extra.insert(QStringLiteral("sync_baseline"), longSync.eventsPerSecond());
    longResult.extra.insert(QStringLiteral("events"), longApp.events);
    longResult.extra.insert(QStringLiteral("rows_kept"), longApp.rowsKept);
    longResult.extra.insert(QStringLiteral("rows_dropped"), longApp.droppedRows);
    longResult.extra.insert(QStringLiteral("rss_before_mb"), qRound(rssBefore * 10) / 10.0);
    longResult.extra.insert(QStringLiteral("seed_seconds"), qRound(seedSeconds * 10) / 10.0);
    longResult.extra.insert(QStringLiteral("runs"), 1);
    results.append(longResult);
    return results;
}

} // namespace

STREAMLAB_BENCH_SCENARIO(events, QStringLiteral("events"),
                         QStringLiteral("ListEvents flood: the server streaming tab's pipeline (callback reader → per-frame "
                                        "batches → capped model → view) vs a bare ClientReadReactor (and a sync reader); "
                                        "plus one 1,000,000-event stream for RSS"),
                         runEvents);

} // namespace streamlab::bench
