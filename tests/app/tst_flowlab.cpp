// The flow-control lab's client core against real servers on loopback
// (TCP: the in-process transport has no flow control to show).
//
// What it proves (issue 7):
//  - bdp_probe=0, lookahead 16 KiB, 16 KiB messages, reader paused 1 s: the
//    server's blocked write lasts ≥ 0.9 s, and what the server completed
//    before the stall is ≤ window + 2 messages;
//  - a fast reader: no write blocked > 50 ms once the stream has warmed up;
//  - only the guide's grpc.http2.initial_window_size: the same stall onset as
//    the defaults (and nothing like the 16 KiB that lookahead_bytes gives);
//  - scenario B: a slow server reader stalls the client's own writes the same
//    way (a server whose receive window is 16 KiB), and with the bundled
//    server's defaults too;
//  - the stall detector's logic on hand-made samples.
// Every run prints its stall onset next to the predicted window (the
// README's table comes from these lines).
#include "CallTracker.h"
#include "Connection.h"
#include "FlowLab.h"
#include "Services.h"
#include "TestServer.h"

#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QtTest>

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <mutex>
#include <thread>

using namespace streamlab;

namespace {

constexpr int kMessage = 16 * 1024;
constexpr int kWindow = 16 * 1024;

// Everything one run delivered to the UI.
struct Collector {
    explicit Collector(FlowLabCall& lab)
    {
        QObject::connect(&lab, &FlowLabCall::batch, &lab, [this](const FlowBatch& b) {
            samples.append(b.samples);
            for (const FlowStall& s : b.stalls) {
                if (!stalls.isEmpty() && stalls.last().index == s.index)
                    stalls.last() = s;
                else
                    stalls.append(s);
            }
            summary = b.summary;
            ++batches;
        });
    }
    FlowSample last() const { return samples.isEmpty() ? FlowSample{} : samples.last(); }
    QList<FlowSample> samples;
    QList<FlowStall> stalls;
    FlowRunSummary summary;
    int batches = 0;
};

// A FlowLab server whose receive windows are set by hand (scenario B's
// receiver is the server): BDP probing off, lookahead 16 KiB.
class SmallWindowServer {
public:
    SmallWindowServer() : m_state(server::ServerConfig{}), m_service(m_state)
    {
        grpc::ServerBuilder builder;
        builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &m_port);
        builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
        builder.AddChannelArgument(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, kWindow);
        builder.RegisterService(&m_service);
        m_server = builder.BuildAndStart();
    }
    ~SmallWindowServer()
    {
        if (m_server)
            m_server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    }
    bool ok() const { return m_server && m_port > 0; }
    QString address() const { return QStringLiteral("127.0.0.1:%1").arg(m_port); }

private:
    server::ServerState m_state;
    server::FlowLabService m_service;
    int m_port = 0;
    std::unique_ptr<grpc::Server> m_server;
};

FlowSettings smallWindow(bool paused, int delayMs = 0)
{
    FlowSettings s;
    s.messageBytes = kMessage;
    s.lookaheadBytes = kWindow;
    s.bdpProbe = false;
    s.paused = paused;
    s.consumerDelayMs = delayMs;
    return s;
}

// What a message costs the sender's count: the serialized Payload
// (16 KiB of data, its tag and length, the sequence number).
qint64 wireMessage()
{
    return kMessage + 16;
}

// How long this process's threads sat runnable but not running (waiting
// for a CPU): the kernel's per-thread run_delay (/proc/self/task/*/schedstat),
// read every 10 ms. Times are seconds since `origin`.
class CpuWaitMonitor {
public:
    explicit CpuWaitMonitor(std::chrono::steady_clock::time_point origin) : m_origin(origin)
    {
        m_thread = std::thread([this] {
            while (!m_stop) {
                Snapshot snap;
                snap.t = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_origin).count();
                const QDir tasks(QStringLiteral("/proc/self/task"));
                for (const QString& tid : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
                    QFile f(tasks.filePath(tid + QStringLiteral("/schedstat")));
                    if (!f.open(QIODevice::ReadOnly))
                        continue;
                    const QList<QByteArray> fields = f.readAll().split(' ');
                    if (fields.size() >= 2)
                        snap.waitNs[tid.toInt()] = fields[1].trimmed().toLongLong();
                }
                {
                    std::lock_guard<std::mutex> lock(m_mutex);
                    m_snapshots.push_back(std::move(snap));
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
        });
    }
    ~CpuWaitMonitor()
    {
        m_stop = true;
        m_thread.join();
    }
    bool available() const
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        return !m_snapshots.empty() && !m_snapshots.front().waitNs.empty();
    }
    // The longest any one thread waited for a CPU between `from` and `to`, in ms.
    double worstWaitMs(double from, double to) const
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        const Snapshot* first = nullptr;
        const Snapshot* last = nullptr;
        for (const Snapshot& s : m_snapshots) {
            if (s.t <= from)
                first = &s;
            if (s.t >= to) {
                last = &s;
                break;
            }
        }
        if (!first && !m_snapshots.empty())
            first = &m_snapshots.front();
        if (!last && !m_snapshots.empty())
            last = &m_snapshots.back();
        if (!first || !last)
            return 0;
        qint64 worst = 0;
        for (auto it = last->waitNs.begin(); it != last->waitNs.end(); ++it)
            worst = std::max(worst, it.value() - first->waitNs.value(it.key(), 0));
        return double(worst) / 1e6;
    }

private:
    struct Snapshot {
        double t = 0;
        QMap<int, qint64> waitNs;
    };
    const std::chrono::steady_clock::time_point m_origin;
    std::atomic<bool> m_stop{false};
    mutable std::mutex m_mutex;
    std::vector<Snapshot> m_snapshots;
    std::thread m_thread;
};

} // namespace

class TestFlowLab : public QObject {
    Q_OBJECT

private:
    // Runs A with the reader paused until the server has been blocked
    // 300 ms; returns what it completed before the stall.
    qint64 pausedOnset(const FlowSettings& settings, const char* name)
    {
        FlowLabCall lab(&m_connection);
        Collector run(lab);
        QString error;
        if (!lab.start(settings, &error)) {
            qWarning("%s", qPrintable(error));
            return -1;
        }
        [&] { QTRY_VERIFY_WITH_TIMEOUT(run.last().writePending && run.last().blockedMs >= 300, 60000); }();
        if (QTest::currentTestFailed())
            return -1;
        // Nothing more completes while the reader is paused.
        const qint64 onset = run.summary.firstStallBytesBefore;
        [&] { QCOMPARE(run.last().senderBytes, onset); }();
        lab.stop();
        QSignalSpy finished(&lab, &FlowLabCall::finished);
        [&] { QVERIFY(finished.wait(30000)); }();
        const FlowWindowPrediction predicted = FlowLabCall::predictWindow(settings);
        qInfo("ONSET %-28s completed before the stall: %8lld B (%s) — predicted window %s", name, onset,
              qPrintable(FlowLabCall::sizeText(onset)), qPrintable(predicted.text));
        return onset;
    }

    // Runs A for 2 s after a half-second warm-up and sorts the writes that
    // took > 50 ms after it: those the CPU explains, and the others.
    struct SlowWrites {
        int slow = 0;
        int cpu = 0;            // the process was held off the CPU for (nearly) all of it
        qint64 messages = 0;    // consumed in the measured 2 s
        qint64 warmUpSlow = 0;
        double longestMs = 0;
    };
    SlowWrites measureSlowWrites(const FlowSettings& settings)
    {
        SlowWrites out;
        FlowLabCall lab(&m_connection);
        Collector run(lab);
        QString error;
        CpuWaitMonitor cpu(std::chrono::steady_clock::now());
        [&] { QVERIFY2(lab.start(settings, &error), qPrintable(error)); }();
        [&] { QTRY_VERIFY_WITH_TIMEOUT(run.last().tSeconds >= 0.5 && run.last().consumedMessages > 0, 60000); }();
        if (QTest::currentTestFailed())
            return out;
        const FlowSample warm = run.last();
        [&] { QTRY_VERIFY_WITH_TIMEOUT(run.last().tSeconds >= warm.tSeconds + 2.0, 60000); }();
        lab.stop();
        QSignalSpy finished(&lab, &FlowLabCall::finished);
        [&] { QVERIFY(finished.wait(30000)); }();
        [&] { QVERIFY(cpu.available()); }();
        if (QTest::currentTestFailed())
            return out;
        out.warmUpSlow = warm.slowWrites;
        out.messages = run.samples.last().consumedMessages - warm.consumedMessages;
        out.longestMs = run.samples.last().maxWriteMs;
        FlowSample previous = warm;
        double longestSeenPending = warm.blockedMs;
        for (const FlowSample& sm : run.samples) {
            if (sm.tSeconds <= warm.tSeconds)
                continue;
            if (sm.slowWrites > previous.slowWrites) {
                // A write > 50 ms completed since the previous sample. Its
                // duration: the last write's if that is the slow one; else at
                // most the longest wait the samples saw pending since, plus
                // one sample interval (and never more than the longest write).
                const int n = int(sm.slowWrites - previous.slowWrites);
                const double bound = std::min(sm.maxWriteMs, std::max(51.0, longestSeenPending + (sm.tSeconds - previous.tSeconds) * 1000.0));
                const double took = (n == 1 && sm.lastWriteMs > 50) ? sm.lastWriteMs : bound;
                const double wait = cpu.worstWaitMs(previous.tSeconds - took / 1000.0, sm.tSeconds);
                // The CPU explains it when, without that wait, it would have
                // taken ≤ 50 ms.
                const bool cpuBound = wait >= took - 50;
                out.slow += n;
                if (cpuBound)
                    out.cpu += n;
                qInfo("  write of %.0f ms done by t = %.2f s; meanwhile a thread waited %.0f ms for a CPU%s", took,
                      sm.tSeconds, wait, cpuBound ? "" : " — flow control");
                longestSeenPending = 0;
            }
            longestSeenPending = std::max(longestSeenPending, sm.blockedMs);
            previous = sm;
        }
        return out;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_server.start());
        QString error;
        QVERIFY2(m_connection.connectTo(QString::fromStdString(m_server.address()), &error), qPrintable(error));
    }

    void stallDetectorLogic()
    {
        FlowStallDetector d;
        auto sample = [](double t, qint64 messages, bool pending, double blocked, double last = 0, double max = 0) {
            FlowSample s;
            s.tSeconds = t;
            s.senderMessages = messages;
            s.senderBytes = messages * 1000;
            s.consumedBytes = 0;
            s.inFlightBytes = s.senderBytes;
            s.writePending = pending;
            s.blockedMs = blocked;
            s.lastWriteMs = last;
            s.maxWriteMs = max;
            return s;
        };
        // Short waits are not stalls.
        QVERIFY(d.feed(sample(0.1, 3, true, 20), false, 0).isEmpty());
        QVERIFY(d.feed(sample(0.2, 5, true, 99), false, 0).isEmpty());
        QVERIFY(!d.stalled());
        // A write that has waited 100 ms is one; its onset is when it started.
        QList<FlowStall> c = d.feed(sample(1.0, 16, true, 400), true, 0);
        QCOMPARE(c.size(), 1);
        QCOMPARE(c[0].index, 1);
        QVERIFY(c[0].ongoing);
        QCOMPARE(c[0].onsetSeconds, 0.6);
        QCOMPARE(c[0].bytesBefore, 16000);
        QVERIFY(c[0].readerPaused);
        QVERIFY(d.summary().hasFirstStall);
        QCOMPARE(d.summary().firstStallBytesBefore, 16000);
        // The same write, still waiting: the same stall, longer.
        c = d.feed(sample(1.5, 16, true, 900), true, 0);
        QCOMPARE(c.size(), 1);
        QCOMPARE(c[0].index, 1);
        QCOMPARE(c[0].durationMs, 900.0);
        // It completed (exactly one write since): its own duration ends the stall.
        c = d.feed(sample(1.6, 17, false, 0, 1010, 1010), false, 0);
        QCOMPARE(c.size(), 1);
        QVERIFY(!c[0].ongoing);
        QCOMPARE(c[0].durationMs, 1010.0);
        QVERIFY(!d.stalled());
        // Another write blocked right away: a new stall; a different write
        // seen waiting ends the old one and starts the next.
        c = d.feed(sample(2.0, 30, true, 150, 1, 1010), false, 500);
        QCOMPARE(c.size(), 1);
        QCOMPARE(c[0].index, 2);
        QCOMPARE(c[0].consumerDelayMs, 500);
        c = d.feed(sample(2.5, 31, true, 120, 470, 1010), false, 500);
        QCOMPARE(c.size(), 2);
        QVERIFY(!c[0].ongoing);
        QCOMPARE(c[0].index, 2);
        QCOMPARE(c[0].durationMs, 470.0);
        QCOMPARE(c[1].index, 3);
        QVERIFY(c[1].ongoing);
        QCOMPARE(d.summary().stalls, 3);
        QCOMPARE(d.summary().longestStallMs, 1010.0);
        QCOMPARE(d.summary().firstStallBytesBefore, 16000);
        // The run ends while stalled.
        const auto ended = d.endActive();
        QVERIFY(ended.has_value());
        QVERIFY(!ended->ongoing);
        QVERIFY(!d.stalled());
        // The explanation carries the numbers.
        FlowSettings s = smallWindow(true);
        FlowStall st;
        st.durationMs = 940;
        st.readerPaused = true;
        st.bytesBefore = 16400;
        st.inFlightAtOnset = 16400;
        const QString text = FlowLabCall::explainStall(st, s);
        QVERIFY2(text.startsWith(QStringLiteral("The server has been blocked 940 ms: the client's 16 KiB window is full")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("not asked for the next message")), qPrintable(text));
    }

    void channelArguments()
    {
        FlowSettings s = smallWindow(false);
        s.guideInitialWindowSize = 16384;
        const QStringList lines = FlowLabCall::channelArgumentLines(s);
        QVERIFY(lines.contains(QStringLiteral("grpc.http2.bdp_probe = 0")));
        QVERIFY(lines.contains(QStringLiteral("grpc.http2.lookahead_bytes = 16384")));
        QVERIFY(lines.contains(QStringLiteral("grpc.http2.initial_window_size = 16384")));
        QVERIFY(lines.contains(QStringLiteral("grpc.use_local_subchannel_pool = 1")));
        // The arguments really are on the channel.
        const grpc::ChannelArguments args = FlowLabCall::labChannelArguments(s);
        const grpc_channel_args raw = args.c_channel_args();
        QMap<QString, int> ints;
        for (size_t i = 0; i < raw.num_args; ++i)
            if (raw.args[i].type == GRPC_ARG_INTEGER)
                ints[QString::fromLatin1(raw.args[i].key)] = raw.args[i].value.integer;
        QCOMPARE(ints.value(QStringLiteral("grpc.http2.initial_window_size")), 16384);
        QCOMPARE(ints.value(QStringLiteral(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES)), 16384);
        QCOMPARE(ints.value(QStringLiteral(GRPC_ARG_HTTP2_BDP_PROBE)), 0);
        QCOMPARE(ints.value(QStringLiteral(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL)), 1);
        // Predictions.
        QCOMPARE(FlowLabCall::predictWindow(smallWindow(false)).bytes, 16384);
        QVERIFY(!FlowLabCall::predictWindow(smallWindow(false)).approximate);
        QCOMPARE(FlowLabCall::predictWindow(FlowSettings{}).bytes, 4 << 20);
        QVERIFY(FlowLabCall::predictWindow(FlowSettings{}).approximate);
        // Bad input is refused with a message.
        FlowSettings bad;
        bad.messageBytes = 0;
        QVERIFY(!FlowLabCall::validate(bad).isEmpty());
        bad.messageBytes = 5 << 20;
        QVERIFY(!FlowLabCall::validate(bad).isEmpty());
        FlowLabCall lab(&m_connection);
        QString error;
        QVERIFY(!lab.start(bad, &error));
        QVERIFY(error.contains(QStringLiteral("message size")));
        QVERIFY(!lab.running());
    }

    void notConnectedIsRefused()
    {
        Connection nowhere;
        FlowLabCall lab(&nowhere);
        QString error;
        QVERIFY(!lab.start(FlowSettings{}, &error));
        QVERIFY(error.contains(QStringLiteral("connect")));
    }

    // Issue 7: reader paused 1 s → the server's blocked write lasts ≥ 0.9 s;
    // completed before the stall ≤ window + 2 messages.
    void pausedReaderBlocksTheServer()
    {
        FlowLabCall lab(&m_connection);
        Collector run(lab);
        QSignalSpy opened(&lab, &FlowLabCall::channelOpened);
        QString error;
        QVERIFY2(lab.start(smallWindow(true), &error), qPrintable(error));
        QCOMPARE(opened.size(), 1);
        QVERIFY(opened.first().first().toString().contains(QStringLiteral("fresh connection")));
        // The server fills the window, then its next write waits.
        QTRY_VERIFY_WITH_TIMEOUT(run.last().writePending && run.last().senderMessages > 0, 60000);
        QElapsedTimer paused;
        paused.start();
        QTRY_VERIFY_WITH_TIMEOUT(paused.elapsed() >= 1000 && !run.samples.isEmpty(), 5000);
        const FlowSample before = run.last();
        QVERIFY(before.writePending);
        QVERIFY2(before.blockedMs >= 900, qPrintable(QString::number(before.blockedMs)));
        QCOMPARE(before.consumedMessages, 1);   // starting paused, the app asked for the first message only
        // The stall the pause holds: the ongoing one. (Normally the run's first;
        // on a machine slow enough, e.g. under TSan, the first message's own
        // window refill can take >= 100 ms and count as an earlier, short stall.)
        QVERIFY(!run.stalls.isEmpty() && run.stalls.last().ongoing);
        const int pausedStall = run.stalls.last().index;
        const qint64 onset = run.stalls.last().bytesBefore;
        QVERIFY2(onset <= kWindow + 2 * wireMessage(), qPrintable(QString::number(onset)));
        QVERIFY(onset > 0);
        if (run.stalls.size() == 1)
            QCOMPARE(run.summary.firstStallBytesBefore, onset);
        QCOMPARE(before.senderBytes, onset);   // nothing completed while paused
        QVERIFY(before.inFlightBytes <= kWindow + 2 * wireMessage());
        // Resume: the blocked write completes, and it lasted the pause.
        lab.setPaused(false);
        QTRY_VERIFY_WITH_TIMEOUT(run.last().senderMessages > before.senderMessages + 10, 10000);
        QVERIFY2(run.last().maxWriteMs >= 900, qPrintable(QString::number(run.last().maxWriteMs)));
        auto stallOfPause = [&]() -> const FlowStall* {
            for (const FlowStall& stall : run.stalls)
                if (stall.index == pausedStall)
                    return &stall;
            return nullptr;
        };
        QTRY_VERIFY_WITH_TIMEOUT(stallOfPause() && !stallOfPause()->ongoing, 5000);
        const FlowStall pauseStall = *stallOfPause();
        QVERIFY2(pauseStall.durationMs >= 900, qPrintable(QString::number(pauseStall.durationMs)));
        QVERIFY(pauseStall.readerPaused);
        QVERIFY(run.last().consumedMessages > 10);
        qInfo("paused 1 s: blocked write %.0f ms, %lld B completed before it (window %d + 2 messages = %lld)",
              pauseStall.durationMs, onset, kWindow, kWindow + 2 * wireMessage());
        lab.stop();
        QSignalSpy finished(&lab, &FlowLabCall::finished);
        QVERIFY(finished.wait(30000));
        QVERIFY(finished.first().first().value<CallStatus>().cancelled());
        QVERIFY(lab.endReason().isEmpty());
    }

    // Issue 7: a fast reader never blocks a write > 50 ms — on flow control.
    // Two other things can hold a write that long, and the test measures
    // both instead of hiding them:
    //  - the first half second: TCP and HTTP/2 handshakes, the first
    //    SETTINGS and window updates, BDP's first pings. Left out.
    //  - the machine holding this process off the CPU (a loaded 2-core CI
    //    box, or two `yes` loops): server and client share it here, and a
    //    reader that does not run does not read. The kernel counts how long
    //    each thread sat runnable without a CPU (schedstat run_delay); a slow
    //    write that would have taken ≤ 50 ms without the longest such wait
    //    during it is the scheduler's.
    // Any other write > 50 ms fails the test. On an idle machine there are
    // none at all (longest write ≈ 3–20 ms); under load every one measured
    // was matched by a CPU wait of about its own length.
    void fastReaderNeverBlocks_data()
    {
        QTest::addColumn<bool>("defaults");
        QTest::newRow("16 KiB window") << false;
        QTest::newRow("defaults") << true;
    }
    void fastReaderNeverBlocks()
    {
#if defined(__SANITIZE_THREAD__)
        // Under TSan the reading app runs 5-15x slower: it is no longer a fast
        // reader, and the writer then blocks on flow control for real.
        QSKIP("a fast reader is not fast under TSan");
#endif
        QFETCH(bool, defaults);
        const SlowWrites w = measureSlowWrites(defaults ? FlowSettings{} : smallWindow(false));
        if (QTest::currentTestFailed())
            return;
        qInfo("fast reader (%s): %lld messages in the 2 s after warm-up; writes > 50 ms: %lld during warm-up, %d after, "
              "%d of them while the process waited for a CPU; longest write %.0f ms",
              defaults ? "defaults" : "16 KiB window", w.messages, w.warmUpSlow, w.slow, w.cpu, w.longestMs);
        QVERIFY(w.messages > 1000);
        QVERIFY2(w.slow == w.cpu, qPrintable(QStringLiteral("%1 write(s) > 50 ms on flow control").arg(w.slow - w.cpu)));
    }

    // The control for the test above: a reader that asks only every 150 ms
    // makes writes wait ~150 ms on flow control, and the same measurement
    // does not put them down to the CPU.
    void slowReaderIsNotExcused()
    {
        const SlowWrites w = measureSlowWrites(smallWindow(false, 150));
        if (QTest::currentTestFailed())
            return;
        qInfo("reader every 150 ms: writes > 50 ms after warm-up: %d, %d of them put down to the CPU", w.slow, w.cpu);
        QVERIFY(w.slow >= 8);
        QVERIFY2(w.slow - w.cpu >= w.slow / 2, qPrintable(QStringLiteral("%1 of %2").arg(w.cpu).arg(w.slow)));
    }

    // Issue 7: only the guide's option → the same onset as without it.
    // Tolerance: what completes before the stall is set by the window the
    // transport really uses, and that varies per fresh connection:
    //  - BDP on (the defaults): BDP's window, from its 4 MiB start up to its
    //    32 MiB cap, as its estimate has it. Measured over 16 runs here:
    //    defaults 4.00–7.99 MiB, the guide's option 4.00–7.99 MiB; 8.9 MiB
    //    once under TSan's slowdown.
    //  - BDP off: the default stream window (64 KiB) give or take three
    //    messages, as the first SETTINGS and window updates race the first
    //    read. Measured: 48–112 KiB with or without the guide's option.
    // So "the same" is: inside that same band, each time. The guide asks for
    // 16 KiB; lookahead_bytes = 16384 really gives it: 1 message, every run.
    void guideOptionChangesNothing_data()
    {
        QTest::addColumn<bool>("bdp");
        QTest::addColumn<qint64>("low");
        QTest::addColumn<qint64>("high");
        QTest::newRow("BDP on (defaults)") << true << (qint64(4) << 20) - 2 * wireMessage() << (qint64(32) << 20) + 2 * wireMessage();
        QTest::newRow("BDP off") << false << 3 * wireMessage() - 64 << 7 * wireMessage() + 2 * wireMessage();
    }
    void guideOptionChangesNothing()
    {
        QFETCH(bool, bdp);
        QFETCH(qint64, low);
        QFETCH(qint64, high);
        FlowSettings plain;
        plain.paused = true;
        plain.bdpProbe = bdp;
        FlowSettings guide = plain;
        guide.guideInitialWindowSize = kWindow;
        const qint64 without = pausedOnset(plain, bdp ? "defaults" : "BDP off");
        const qint64 with = pausedOnset(guide, bdp ? "guide's option 16384" : "BDP off + guide's option");
        const qint64 small = pausedOnset(smallWindow(true), "BDP off + lookahead 16384");
        QVERIFY(without > 0 && with > 0 && small > 0);
        QVERIFY2(without >= low && without <= high, qPrintable(QStringLiteral("%1 not in %2..%3").arg(without).arg(low).arg(high)));
        QVERIFY2(with >= low && with <= high, qPrintable(QStringLiteral("%1 not in %2..%3").arg(with).arg(low).arg(high)));
        QVERIFY(small <= kWindow + 2 * wireMessage());
        QVERIFY(with >= 2 * small);
    }

    // Issue 7: scenario B — a server app that reads one message a second
    // stalls the client's own writes the same way. The receiver is the
    // server, so the small window is the server's.
    void slowServerReaderBlocksTheClient()
    {
        SmallWindowServer small;
        QVERIFY(small.ok());
        Connection connection;
        QString error;
        QVERIFY(connection.connectTo(small.address(), &error));
        FlowLabCall lab(&connection);
        Collector run(lab);
        FlowSettings s;
        s.scenario = FlowScenario::ClientToServer;
        s.messageBytes = kMessage;
        s.consumerDelayMs = 1000;
        QVERIFY2(lab.start(s, &error), qPrintable(error));
        // From the second stall on, each write starts right after the
        // previous one completed, so it waits the server app's full second.
        // (The first one started a little before the server's first read,
        // by the time that message took to reach it.)
        QTRY_VERIFY_WITH_TIMEOUT(run.stalls.size() >= 2 && !run.stalls.at(1).ongoing, 60000);
        const FlowStall first = run.stalls.first();
        const FlowStall second = run.stalls.at(1);
        QVERIFY2(first.durationMs >= 500, qPrintable(QString::number(first.durationMs)));
        QVERIFY2(second.durationMs >= 900, qPrintable(QString::number(second.durationMs)));
        QVERIFY2(first.bytesBefore <= kWindow + 2 * wireMessage(), qPrintable(QString::number(first.bytesBefore)));
        QVERIFY(run.last().maxWriteMs >= 900);
        QVERIFY(run.last().consumedMessages >= 1);
        const QString text = FlowLabCall::explainStall(first, s);
        QVERIFY2(text.startsWith(QStringLiteral("The client was blocked")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("every 1000 ms")), qPrintable(text));
        qInfo("ONSET %-28s completed before the stall: %8lld B (%s), blocked %.0f ms, then %.0f ms — server window 16 KiB",
              "B, server 16 KiB window", first.bytesBefore, qPrintable(FlowLabCall::sizeText(first.bytesBefore)),
              first.durationMs, second.durationMs);
        lab.stop();
        QSignalSpy finished(&lab, &FlowLabCall::finished);
        QVERIFY(finished.wait(30000));
    }

    // The preset "slow server reader": the bundled server keeps gRPC's
    // defaults, so the client writes about a BDP window before it stalls.
    void slowServerReaderWithServerDefaults()
    {
        FlowLabCall lab(&m_connection);
        Collector run(lab);
        FlowSettings s;
        s.scenario = FlowScenario::ClientToServer;
        s.messageBytes = kMessage;
        s.consumerDelayMs = 200;
        QString error;
        QVERIFY2(lab.start(s, &error), qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(run.summary.hasFirstStall, 60000);
        const qint64 onset = run.summary.firstStallBytesBefore;
        qInfo("ONSET %-28s completed before the stall: %8lld B (%s) — predicted %s", "B, server defaults", onset,
              qPrintable(FlowLabCall::sizeText(onset)), qPrintable(FlowLabCall::predictWindow(s).text));
        QVERIFY(onset > 64 * 1024);
        lab.stop();
        QSignalSpy finished(&lab, &FlowLabCall::finished);
        QVERIFY(finished.wait(30000));
    }

    // The figures stream failing ends the run, and says why.
    void watchFailureEndsTheRun()
    {
        FlowLabCall lab(&m_connection);
        QString error;
        QVERIFY(lab.start(smallWindow(true), &error));
        QTRY_VERIFY_WITH_TIMEOUT(lab.running(), 1000);
        QSignalSpy finished(&lab, &FlowLabCall::finished);
        // Cancelling every call (what closing the window does) ends even a
        // paused reader, whose read is on hold.
        CallTracker::cancelAll();
        QVERIFY(finished.wait(30000));
        QVERIFY(!lab.running());
    }

    void cleanupTestCase()
    {
        QTRY_COMPARE_WITH_TIMEOUT(CallTracker::inFlight(), 0, 10000);
    }

private:
    test::TestServer m_server{100};
    Connection m_connection;
};

QTEST_GUILESS_MAIN(TestFlowLab)
#include "tst_flowlab.moc"
