// Scenario "upload": UploadChunks throughput of the tab's upload path
// (UploadCall: reader thread + bounded queue + client-side SHA-256 +
// callback writer with one write in flight, progress on the GUI thread's
// event loop, here offscreen, watched by GuiGapMeter) against a bare grpc++
// sync ClientWriter loop that reads the same file with the same chunk size
// and writes it to the same server. One result line per chunk size (64 KiB,
// 1 MiB). Each line also carries the peak RSS of a 1 GB upload through
// UploadCall with that chunk size, run in a fresh process (this program
// again, with --upload-client) and sent to a streamlab-server in a third
// one, so that the figure is the client's alone whatever ran before it.
//
// Both sides send the same first-chunk metadata (upload_id, name, size), so
// the server does the same work for both (it writes, hashes and fsyncs the
// file). The app path also hashes the file on the client; the baseline does
// not (reported as app_hashes_client_side). A third series, the bare loop
// hashing each chunk too (bare_hashing_mbps, app_vs_bare_hashing_ratio),
// tells the hash's cost apart from that of the app's own machinery.
#include "Bench.h"

#include "Connection.h"
#include "ServerState.h"
#include "Sha256.h"
#include "UploadCall.h"
#include "WorkerPriority.h"
#include "streaming_examples.grpc.pb.h"

#include <QCoreApplication>
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTimer>
#include <QUuid>

#include <thread>

#include <sys/resource.h>
#include <time.h>

namespace streamlab::bench {

namespace {

// `size` pseudo-random bytes (splitmix64), written in 1 MiB blocks.
bool writeTestFile(const QString& path, qint64 size)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    std::vector<quint64> block((1 << 20) / 8);
    quint64 state = 0x5eed;
    for (qint64 done = 0; done < size;) {
        for (quint64& word : block) {
            quint64 z = (state += 0x9E3779B97F4A7C15ULL);
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
            word = z ^ (z >> 31);
        }
        const qint64 n = std::min<qint64>(1 << 20, size - done);
        if (file.write(reinterpret_cast<const char*>(block.data()), n) != n)
            return false;
        done += n;
    }
    return file.flush();
}

// The server keeps what it stores: remove it, so runs do not fill the disk.
void removeStored(Environment& env, const QString& storedName)
{
    if (storedName.isEmpty())
        return;
    const auto dir = env.server().state()->uploads->directory();
    QFile::remove(QString::fromStdString((dir / storedName.toStdString()).string()));
}

// The GUI thread's own CPU time (ms), to tell its work from its waiting.
double guiThreadCpuMs()
{
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return double(now.tv_sec) * 1e3 + double(now.tv_nsec) / 1e6;
}

// Page faults the GUI thread has taken (minor ones included): on this VM a
// fault on memory the guest had handed back to the host is served by the
// host, slowly, and shows as CPU time of the thread and as steal.
long guiThreadFaults()
{
    rusage usage{};
    getrusage(RUSAGE_THREAD, &usage);
    return usage.ru_minflt + usage.ru_majflt;
}

// CPU time of the whole process (client and in-process server), in ms.
double processCpuMs()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto ms = [](const timeval& t) { return double(t.tv_sec) * 1e3 + double(t.tv_usec) / 1e3; };
    return ms(usage.ru_utime) + ms(usage.ru_stime);
}

// Beside GuiGapMeter: every 5 ms, how much CPU the GUI thread used since the
// last tick. A gap far longer than that work was spent waiting for a CPU.
struct GuiWork {
    QTimer timer;
    QElapsedTimer wall;
    double lastWallMs = 0, lastCpuMs = 0;
    double maxWorkMs = 0, longestGapMs = 0, workInLongestGapMs = 0;
    long startFaults = 0, lastFaults = 0, faultsInLongestGap = 0;

    GuiWork()
    {
        timer.setTimerType(Qt::PreciseTimer);
        timer.setInterval(5);
        QObject::connect(&timer, &QTimer::timeout, [this] { tick(); });
    }
    void start()
    {
        wall.start();
        lastWallMs = 0;
        lastCpuMs = guiThreadCpuMs();
        startFaults = lastFaults = guiThreadFaults();
        timer.start();
    }
    void tick()
    {
        const double nowWall = double(wall.nsecsElapsed()) / 1e6, nowCpu = guiThreadCpuMs();
        const long nowFaults = guiThreadFaults();
        const double work = nowCpu - lastCpuMs;
        maxWorkMs = std::max(maxWorkMs, work);
        if (nowWall - lastWallMs > longestGapMs) {
            longestGapMs = nowWall - lastWallMs;
            workInLongestGapMs = work;
            faultsInLongestGap = nowFaults - lastFaults;
        }
        lastWallMs = nowWall;
        lastCpuMs = nowCpu;
        lastFaults = nowFaults;
    }
    long faults() const { return lastFaults - startFaults; }
};

struct AppRun {
    bool ok = false;
    double mbps = 0;
    double writeMbps = 0;   // until the last chunk had passed flow control (no server commit)
    double guiGapMs = 0;
    double peakRssMb = 0;
    double guiMaxWorkMs = 0;           // the GUI thread's CPU between two 5 ms ticks, at most
    double guiWorkInLongestGapMs = 0;  // ... within the longest gap
    SlowestGuiEvent guiSlowestEvent;   // the GUI thread's longest single event dispatch
    long guiFaults = 0;                // page faults of the GUI thread during the upload
    long guiFaultsInLongestGap = 0;    // ... within the longest gap
    double stealMs = 0;                // CPU time the hypervisor took meanwhile (all CPUs)
    QString error;
};

// `env`: the server whose store the upload is removed from afterwards (none: leave it).
AppRun appUpload(Environment* env, Connection& connection, const QString& path, qint64 size, int chunkSize)
{
    AppRun run;
    UploadCall call(&connection);
    bool finished = false;
    QObject::connect(&call, &UploadCall::uploadFinished, [&] { finished = true; });
    UploadRequest request;
    request.filePath = path;
    request.chunkSize = chunkSize;
    // A real event loop, as in the app: the GUI thread sleeps until there is
    // something to do (a busy processEvents() loop would take a core from
    // the upload on a small machine).
    QEventLoop loop;
    QObject::connect(&call, &UploadCall::uploadFinished, &loop, &QEventLoop::quit);
    QTimer timeout;
    timeout.setSingleShot(true);
    QObject::connect(&timeout, &QTimer::timeout, &loop, &QEventLoop::quit);
    QTimer rss;
    QObject::connect(&rss, &QTimer::timeout, [&] { run.peakRssMb = std::max(run.peakRssMb, currentRssMb()); });
    GuiWork work;
    work.start();
    resetSlowestGuiEvent();
    GuiGapMeter gaps;
    gaps.start();
    QElapsedTimer clock;
    clock.start();
    const double stealBefore = hostStealMs();
    QString error;
    if (!call.start(request, &error)) {
        run.error = error;
        return run;
    }
    timeout.start(10 * 60 * 1000);
    rss.start(10);
    loop.exec();
    const double seconds = double(clock.nsecsElapsed()) / 1e9;
    gaps.stop();
    work.timer.stop();
    run.stealMs = hostStealMs() - stealBefore;
    run.peakRssMb = std::max(run.peakRssMb, currentRssMb());
    run.guiGapMs = gaps.maxGapMs();
    run.guiMaxWorkMs = work.maxWorkMs;
    run.guiWorkInLongestGapMs = work.workInLongestGapMs;
    run.guiSlowestEvent = slowestGuiEvent();
    run.guiFaults = work.faults();
    run.guiFaultsInLongestGap = work.faultsInLongestGap;
    const UploadOutcome& outcome = call.outcome();
    if (env)
        removeStored(*env, outcome.storedName);
    if (!finished || !outcome.hashesMatch() || outcome.bytesReceived != size) {
        run.error = finished ? outcome.text() : QStringLiteral("no answer in 10 minutes");
        if (finished && outcome.ok() && !outcome.hashesMatch())
            run.error = QStringLiteral("SHA-256 mismatch");
        return run;
    }
    run.ok = true;
    run.mbps = double(size) / 1e6 / seconds;
    if (outcome.writingMs > 0)
        run.writeMbps = double(size) / 1e6 / (outcome.writingMs / 1000.0);
    return run;
}

// The bare loop: read a chunk, Write it, on a thread of its own. With
// `hashToo`, it also hashes each chunk between reading and writing it — the
// simplest loop that does what the app must (a client-side SHA-256), to tell
// the hash's cost apart from the cost of the app's own machinery.
double baselineUpload(Environment& env, const std::shared_ptr<grpc::Channel>& channel, const QString& path, qint64 size,
                      int chunkSize, QString* error, double* writeMbps = nullptr, bool hashToo = false)
{
    double mbps = 0;
    double writeSeconds = 0;
    QString storedName;
    std::thread worker([&] {
        WorkerPriority::lowerCurrentThread();   // a worker, as the app's own are
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly | QIODevice::Unbuffered)) {
            *error = file.errorString();
            return;
        }
        auto stub = StreamingExamples::NewStub(channel);
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
        UploadResult result;
        QElapsedTimer clock;
        clock.start();
        auto writer = stub->UploadChunks(&context, &result);
        Chunk chunk;
        chunk.set_upload_id(QUuid::createUuid().toString(QUuid::WithoutBraces).toStdString());
        chunk.set_name(QFileInfo(path).fileName().toStdString());
        chunk.set_size(size);
        Sha256 hash;
        bool first = true;
        qint64 sent = 0;
        while (first || sent < size) {
            // Read straight into the message: no copy the app path does not make.
            const qint64 n = std::min<qint64>(chunkSize, size - sent);
            std::string* data = chunk.mutable_data();
            data->resize(size_t(n));
            if (n > 0 && file.read(data->data(), n) != n) {
                *error = QStringLiteral("read failed");
                context.TryCancel();
                break;
            }
            if (hashToo)
                hash.add(*data);
            if (!writer->Write(chunk))
                break;
            sent += n;
            if (first) {
                chunk.clear_upload_id();   // metadata rides on the first chunk only
                chunk.clear_name();
                chunk.clear_size();
                first = false;
            }
        }
        if (hashToo)
            hash.hexDigest();
        writer->WritesDone();
        writeSeconds = double(clock.nsecsElapsed()) / 1e9;
        const grpc::Status status = writer->Finish();
        const double seconds = double(clock.nsecsElapsed()) / 1e9;
        if (!status.ok()) {
            if (error->isEmpty())
                *error = QString::fromStdString(status.error_message());
            return;
        }
        storedName = QString::fromStdString(result.stored_name());
        if (result.bytes_received() != size) {
            *error = QStringLiteral("the server received %1 of %2 bytes").arg(result.bytes_received()).arg(size);
            return;
        }
        mbps = double(size) / 1e6 / seconds;
        if (writeMbps)
            *writeMbps = double(size) / 1e6 / writeSeconds;
    });
    worker.join();
    removeStored(env, storedName);
    return error->isEmpty() ? mbps : 0;
}

// streamlab-server in a process of its own, so that the bench process's RSS
// is the client's alone. Found next to the bench in the build tree (or at
// $STREAMLAB_SERVER_EXE); stopped on destruction.
class ChildServer {
public:
    bool start(const QString& dataDir, QString* why)
    {
        QString exe = qEnvironmentVariable("STREAMLAB_SERVER_EXE");
        if (exe.isEmpty())
            exe = QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("../../server/streamlab-server"));
        if (!QFileInfo(exe).isExecutable()) {
            *why = QStringLiteral("no streamlab-server at %1").arg(QDir::cleanPath(exe));
            return false;
        }
        m_process.setProgram(exe);
        m_process.setArguments({QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"), QStringLiteral("--data-dir"), dataDir,
                                QStringLiteral("--quiet")});
        m_process.start();
        if (!m_process.waitForStarted(10000)) {
            *why = m_process.errorString();
            return false;
        }
        const QRegularExpression ready(QStringLiteral("ready on (\\S+:\\d+)"));
        QByteArray log;
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < 30000 && m_process.state() == QProcess::Running) {
            m_process.waitForReadyRead(100);
            log += m_process.readAllStandardError();
            const auto match = ready.match(QString::fromUtf8(log));
            if (match.hasMatch()) {
                m_address = match.captured(1);
                return true;
            }
        }
        *why = QStringLiteral("streamlab-server did not start: %1").arg(QString::fromUtf8(log).trimmed());
        return false;
    }
    ~ChildServer()
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        m_process.terminate();
        if (!m_process.waitForFinished(10000)) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }
    QString address() const { return m_address; }

private:
    QProcess m_process;
    QString m_address;
};

// The 1 GB upload's run, in a process that does nothing else: this program
// again, as `--upload-client ADDRESS,CHUNK,FILE` (runUploadClient below),
// which answers with one JSON line. Then the RSS is the client's own — Qt,
// gRPC and UploadCall — and not what earlier scenarios left in this
// process's heap (the events scenario's 100,000 rows, freed but not returned).
bool uploadInFreshProcess(const QString& address, const QString& path, int chunkSize, AppRun* run, double* rssBefore, QString* why)
{
    QProcess child;
    child.setProgram(QCoreApplication::applicationFilePath());
    child.setArguments({QStringLiteral("--upload-client"), QStringLiteral("%1,%2,%3").arg(address).arg(chunkSize).arg(path)});
    child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    child.start();
    if (!child.waitForFinished(15 * 60 * 1000)) {
        *why = QStringLiteral("the upload client did not finish: %1").arg(child.errorString());
        child.kill();
        child.waitForFinished(5000);
        return false;
    }
    const QList<QByteArray> lines = child.readAllStandardOutput().trimmed().split('\n');
    const QJsonObject answer = QJsonDocument::fromJson(lines.value(lines.size() - 1)).object();
    if (answer.isEmpty() || !answer.value(QStringLiteral("ok")).toBool()) {
        *why = answer.value(QStringLiteral("error")).toString(QStringLiteral("the upload client exited with %1").arg(child.exitCode()));
        return false;
    }
    run->ok = true;
    run->mbps = answer.value(QStringLiteral("mbps")).toDouble();
    run->peakRssMb = answer.value(QStringLiteral("peak_rss_mb")).toDouble();
    run->guiGapMs = answer.value(QStringLiteral("gui_max_gap_ms")).toDouble();
    run->guiMaxWorkMs = answer.value(QStringLiteral("gui_max_work_ms")).toDouble();
    *rssBefore = answer.value(QStringLiteral("rss_before_mb")).toDouble();
    return true;
}

// What hashing alone costs here: SHA-256 of the file (from the page cache),
// as the app's reader does it, in MB/s.
double sha256Mbps(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Unbuffered))
        return 0;
    Sha256 hash;
    std::string block(1 << 20, '\0');
    qint64 total = 0;
    QElapsedTimer clock;
    clock.start();
    for (qint64 n; (n = file.read(block.data(), qint64(block.size()))) > 0; total += n)
        hash.add(block.data(), size_t(n));
    hash.hexDigest();
    return double(total) / 1e6 / (double(clock.nsecsElapsed()) / 1e9);
}

QJsonArray toJson(const std::vector<double>& values)
{
    QJsonArray array;
    for (double v : values)
        array.append(std::round(v * 10) / 10);
    return array;
}

QList<Result> runUploadScenario(Environment& env, const Options& options)
{
    const qint64 runBytes = options.quick ? 32'000'000 : 256'000'000;
    const qint64 bigBytes = options.quick ? 128'000'000 : 1'000'000'000;
    QTemporaryDir dir(QDir::tempPath() + QStringLiteral("/streamlab-bench-upload-XXXXXX"));   // removed at the end, files and all
    const QString runFile = dir.filePath(QStringLiteral("run.bin"));
    const QString bigFile = dir.filePath(QStringLiteral("big.bin"));
    if (!dir.isValid() || !writeTestFile(runFile, runBytes) || !writeTestFile(bigFile, bigBytes)) {
        std::fprintf(stderr, "upload: cannot write the test files in %s\n", qPrintable(dir.path()));
        return {};
    }
    const std::vector<int> chunkSizes{64 * 1024, 1024 * 1024};

    // Memory: a 1 GB upload per chunk size, from a fresh process to a
    // streamlab-server in another one. Without a streamlab-server to start,
    // from this process to the in-process server (client and server
    // together: an upper bound).
    struct BigRun {
        AppRun run;
        double rssBefore = 0;
        bool separateServer = false;
        QString why;
    };
    std::vector<BigRun> bigRuns;
    for (const int chunkSize : chunkSizes) {
        BigRun big;
        QTemporaryDir childData(dir.filePath(QStringLiteral("server-XXXXXX")));
        ChildServer child;
        QString why;
        big.separateServer = child.start(childData.path(), &why)
            && uploadInFreshProcess(child.address(), bigFile, chunkSize, &big.run, &big.rssBefore, &why);
        if (!big.separateServer) {
            big.why = why;
            Connection target;
            target.connectTo(QString::fromStdString(env.address()), &why);
            big.rssBefore = currentRssMb();
            big.run = appUpload(&env, target, bigFile, bigBytes, chunkSize);
        }
        if (!big.run.ok) {
            std::fprintf(stderr, "upload: %lld-byte run failed: %s\n", bigBytes, qPrintable(big.run.error));
            return {};
        }
        bigRuns.push_back(big);
    }

    Connection connection;
    QString error;
    connection.connectTo(QString::fromStdString(env.address()), &error);
    auto bare = env.newChannel();

    QList<Result> results;
    for (size_t i = 0; i < chunkSizes.size(); ++i) {
        const int chunkSize = chunkSizes[i];
        const BigRun& big = bigRuns[i];
        // Warm both paths up (connections, page cache, allocator).
        appUpload(&env, connection, runFile, runBytes, chunkSize);
        QString baseError;
        baselineUpload(env, bare, runFile, runBytes, chunkSize, &baseError);

        std::vector<double> app, base, baseHashing, gaps, appWrite, baseWrite, guiWork, guiWorkInGap, steal, guiFaults,
            guiFaultsInGap, appCpu, baseCpu, baseHashingCpu;
        std::vector<double> slowestEventMs;
        QStringList slowestEvents;
        // CPU time of the process (client and server) per GB uploaded.
        const double gigabytes = double(runBytes) / 1e9;
        for (int run = 0; run < options.runs; ++run) {
            // Alternate which side goes first.
            auto one = [&](bool appSide) -> bool {
                const double cpuBefore = processCpuMs();
                if (appSide) {
                    const AppRun r = appUpload(&env, connection, runFile, runBytes, chunkSize);
                    appCpu.push_back((processCpuMs() - cpuBefore) / gigabytes);
                    if (!r.ok) {
                        std::fprintf(stderr, "upload: app run failed: %s\n", qPrintable(r.error));
                        return false;
                    }
                    app.push_back(r.mbps);
                    appWrite.push_back(r.writeMbps);
                    gaps.push_back(r.guiGapMs);
                    guiWork.push_back(r.guiMaxWorkMs);
                    guiWorkInGap.push_back(r.guiWorkInLongestGapMs);
                    slowestEventMs.push_back(r.guiSlowestEvent.ms);
                    slowestEvents.append(r.guiSlowestEvent.what);
                    steal.push_back(r.stealMs);
                    guiFaults.push_back(double(r.guiFaults));
                    guiFaultsInGap.push_back(double(r.guiFaultsInLongestGap));
                } else {
                    QString e;
                    double writeMbps = 0;
                    const double mbps = baselineUpload(env, bare, runFile, runBytes, chunkSize, &e, &writeMbps);
                    if (!e.isEmpty()) {
                        std::fprintf(stderr, "upload: baseline run failed: %s\n", qPrintable(e));
                        return false;
                    }
                    base.push_back(mbps);
                    baseWrite.push_back(writeMbps);
                    baseCpu.push_back((processCpuMs() - cpuBefore) / gigabytes);
                    // Right after it, the same loop hashing too (a third series).
                    const double hashingCpuBefore = processCpuMs();
                    const double hashing = baselineUpload(env, bare, runFile, runBytes, chunkSize, &e, nullptr, true);
                    if (!e.isEmpty()) {
                        std::fprintf(stderr, "upload: hashing baseline run failed: %s\n", qPrintable(e));
                        return false;
                    }
                    baseHashing.push_back(hashing);
                    baseHashingCpu.push_back((processCpuMs() - hashingCpuBefore) / gigabytes);
                }
                return true;
            };
            const bool appFirst = run % 2 == 0;
            if (!one(appFirst) || !one(!appFirst))
                return {};
        }

        Result result;
        result.scenario = QStringLiteral("upload");
        result.unit = QStringLiteral("MB/s");
        result.app = median(app);
        result.baseline = median(base);
        result.higherIsBetter = true;
        result.guiMaxGapMs = std::max(*std::max_element(gaps.begin(), gaps.end()), big.run.guiGapMs);
        result.rssMb = big.run.peakRssMb;
        result.extra.insert(QStringLiteral("chunk_bytes"), chunkSize);
        result.extra.insert(QStringLiteral("bytes_per_run"), runBytes);
        result.extra.insert(QStringLiteral("runs"), options.runs);
        result.extra.insert(QStringLiteral("app_runs"), toJson(app));
        result.extra.insert(QStringLiteral("baseline_runs"), toJson(base));
        result.extra.insert(QStringLiteral("gui_gaps_ms"), toJson(gaps));
        // How much of each run's longest gap was the GUI thread's own work (the
        // rest: waiting for a CPU), and its most work between two 5 ms ticks.
        result.extra.insert(QStringLiteral("gui_work_in_longest_gap_ms"), toJson(guiWorkInGap));
        // Each run's longest single event on the GUI thread, and what it was.
        result.extra.insert(QStringLiteral("gui_slowest_event_ms"), toJson(slowestEventMs));
        result.extra.insert(QStringLiteral("gui_slowest_event"), QJsonArray::fromStringList(slowestEvents));
        // A shared VM: CPU time the host took during each app run (thread CPU
        // clocks, the GUI thread's above included, keep running meanwhile).
        result.extra.insert(QStringLiteral("host_steal_ms"), toJson(steal));
        // CPU seconds per GB, client and server together (medians): the two
        // cores are the limit here, so this is what decides the ratio.
        result.extra.insert(QStringLiteral("app_cpu_s_per_gb"), std::round(median(appCpu)) / 1000);
        result.extra.insert(QStringLiteral("baseline_cpu_s_per_gb"), std::round(median(baseCpu)) / 1000);
        result.extra.insert(QStringLiteral("bare_hashing_cpu_s_per_gb"), std::round(median(baseHashingCpu)) / 1000);
        // The GUI thread's page faults in each app run, and within its longest gap.
        result.extra.insert(QStringLiteral("gui_page_faults"), toJson(guiFaults));
        result.extra.insert(QStringLiteral("gui_page_faults_in_longest_gap"), toJson(guiFaultsInGap));
        result.extra.insert(QStringLiteral("gui_max_work_ms"),
                            std::round(std::max(*std::max_element(guiWork.begin(), guiWork.end()), big.run.guiMaxWorkMs) * 100) / 100);
        // The same runs timed to the last chunk written (WritesDone), without
        // the server's commit (fsync + rename), which both sides wait for alike.
        result.extra.insert(QStringLiteral("app_write_phase_mbps"), std::round(median(appWrite) * 10) / 10);
        result.extra.insert(QStringLiteral("baseline_write_phase_mbps"), std::round(median(baseWrite) * 10) / 10);
        result.extra.insert(QStringLiteral("write_phase_ratio"),
                            median(baseWrite) > 0 ? std::round(median(appWrite) / median(baseWrite) * 1000) / 1000 : 0.0);
        result.extra.insert(QStringLiteral("app_hashes_client_side"), true);
        result.extra.insert(QStringLiteral("bare_hashing_mbps"), std::round(median(baseHashing) * 10) / 10);
        result.extra.insert(QStringLiteral("bare_hashing_runs"), toJson(baseHashing));
        result.extra.insert(QStringLiteral("app_vs_bare_hashing_ratio"), std::round(median(app) / median(baseHashing) * 1000) / 1000);
        result.extra.insert(QStringLiteral("client_sha256_alone_mbps"), std::round(sha256Mbps(runFile)));
        result.extra.insert(QStringLiteral("big_upload_bytes"), bigBytes);
        result.extra.insert(QStringLiteral("big_upload_mbps"), std::round(big.run.mbps * 10) / 10);
        result.extra.insert(QStringLiteral("big_upload_gui_max_gap_ms"), std::round(big.run.guiGapMs * 10) / 10);
        result.extra.insert(QStringLiteral("rss_before_mb"), std::round(big.rssBefore * 10) / 10);
        result.extra.insert(QStringLiteral("rss_growth_mb"), std::round((big.run.peakRssMb - big.rssBefore) * 10) / 10);
        result.extra.insert(QStringLiteral("rss_note"),
                            big.separateServer
                                ? QStringLiteral("peak VmRSS of a fresh process that only runs the big upload (Qt, gRPC, UploadCall), "
                                                 "sent to streamlab-server in another process")
                                : QStringLiteral("peak VmRSS of the bench process during the big upload to the in-process server "
                                                 "(client and server together; %1)").arg(big.why));
        results.append(result);
    }
    return results;
}

} // namespace

int runUploadClient(const QString& spec)
{
    // ADDRESS,CHUNK,FILE (the file last: a path may hold commas).
    const QString address = spec.section(QLatin1Char(','), 0, 0);
    const int chunkSize = spec.section(QLatin1Char(','), 1, 1).toInt();
    const QString path = spec.section(QLatin1Char(','), 2);
    QJsonObject answer;
    auto reply = [&answer](bool ok) {
        answer.insert(QStringLiteral("ok"), ok);
        std::printf("%s\n", QJsonDocument(answer).toJson(QJsonDocument::Compact).constData());
        return ok ? 0 : 1;
    };
    Connection connection;
    QString why;
    if (chunkSize <= 0 || !QFileInfo(path).isFile() || !connection.connectTo(address, &why)) {
        answer.insert(QStringLiteral("error"), why.isEmpty() ? QStringLiteral("usage: --upload-client ADDRESS,CHUNK,FILE") : why);
        return reply(false);
    }
    const double rssBefore = currentRssMb();
    const AppRun run = appUpload(nullptr, connection, path, QFileInfo(path).size(), chunkSize);
    answer.insert(QStringLiteral("error"), run.error);
    answer.insert(QStringLiteral("mbps"), run.mbps);
    answer.insert(QStringLiteral("peak_rss_mb"), run.peakRssMb);
    answer.insert(QStringLiteral("rss_before_mb"), rssBefore);
    answer.insert(QStringLiteral("gui_max_gap_ms"), run.guiGapMs);
    answer.insert(QStringLiteral("gui_max_work_ms"), run.guiMaxWorkMs);
    return reply(run.ok);
}

STREAMLAB_BENCH_SCENARIO(upload, QStringLiteral("upload"),
                         QStringLiteral("UploadChunks MB/s: UploadCall (reader thread, client SHA-256, callback writer) vs a bare "
                                        "ClientWriter loop, 64 KiB and 1 MiB chunks; peak RSS of a 1 GB upload"),
                         runUploadScenario);

} // namespace streamlab::bench
