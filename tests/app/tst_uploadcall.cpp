// UploadCall against a real server on loopback: round trips of random files
// with three SHA-256 (the client's, the server's, the stored file's) checked
// against a fourth computed here with QCryptographicHash; cancel, resume after
// cancel and after a server restart on the same data dir (counting the bytes
// each call sent); flow control stalls; bad input and server-side faults.
#include "ChunkFrame.h"
#include "Connection.h"
#include "ServerState.h"
#include "TestFileWriter.h"
#include "TestServer.h"
#include "UploadAdmin.h"
#include "UploadCall.h"
#include "UploadProgress.h"
#include "streaming_examples.pb.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include "RandomFile.h"

#include <QtTest>

#include <csignal>
#include <cstring>
#include <sys/resource.h>
#include <unistd.h>

using namespace streamlab;
using streamlab::test::TestServer;
using streamlab::test::writeRandomFile;

namespace {

constexpr int kWaitMs = 60000;   // generous: a loaded machine may be slow; a passing test never waits this long


QString sha256OfFile(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return QStringLiteral("<cannot read %1>").arg(path);
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(&file);
    return QString::fromLatin1(hash.result().toHex());
}

// Regular files in a folder (the hidden .partial folder is not one).
QStringList storedFiles(const QString& dataDir)
{
    return QDir(dataDir + QStringLiteral("/uploads")).entryList(QDir::Files | QDir::NoDotAndDotDot);
}

QString partialPath(const QString& dataDir, const QString& uploadId)
{
    return dataDir + QStringLiteral("/uploads/.partial/") + uploadId + QStringLiteral(".part");
}

// Runs one upload to its end and returns the outcome.
UploadOutcome runUpload(UploadCall& call, const UploadRequest& request, QString* startError = nullptr)
{
    QSignalSpy done(&call, &UploadCall::uploadFinished);
    QString error;
    if (!call.start(request, &error)) {
        if (startError)
            *startError = error;
        UploadOutcome failed;
        failed.localError = error;
        return failed;
    }
    if (!done.wait(kWaitMs) && done.isEmpty())
        qWarning("upload did not finish within %d ms", kWaitMs);
    return call.outcome();
}

bool connectTo(Connection& connection, const TestServer& server)
{
    QString error;
    return connection.connectTo(QString::fromStdString(server.address()), &error);
}

} // namespace

class TestUploadCall : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void progressMeter();
    void formatting();
    void roundTrip_data();
    void roundTrip();
    void theEndArrivesWithoutWaitingForAFrame();
    void badInputIsRefusedClearly();
    void cancelLeavesNothingAndResumeSendsTheRest();
    void resumeAfterServerRestart();
    void resumeOfAStoredUploadIsAlreadyExists();
    void readDelayStallsWritesAndCanChangeLive();
    void fileShrinkingMidUploadIsALocalError();
    void overTheCapIsResourceExhausted();
    void fullDiskShowsTheServersError();
    void uploadAdminListsAndReportsStatus();
    void testFileWriter();
    void chunkFrameIsAChunkWithoutACopy();
    void chunkBufferPoolReusesItsBuffers();

private:
    QTemporaryDir m_files;
    std::unique_ptr<TestServer> m_server;
    Connection m_connection;
    QStringList m_storedIds;
};

void TestUploadCall::initTestCase()
{
    QVERIFY(m_files.isValid());
    m_server = std::make_unique<TestServer>(100);
    QVERIFY(m_server->start());
    QVERIFY(connectTo(m_connection, *m_server));
}

void TestUploadCall::cleanupTestCase()
{
    if (m_server)
        m_server->stop();
}

void TestUploadCall::progressMeter()
{
    UploadProgressMeter meter(2000);
    meter.start(1000, 100, 0);   // 100 bytes already held (a resume)
    QCOMPARE(meter.done(), 100);
    QCOMPARE(meter.bytesPerSecond(0), 0.0);
    QCOMPARE(meter.etaSeconds(0), -1.0);
    meter.update(600, 1000);     // 500 bytes in 1 s
    QCOMPARE(meter.transferred(), 500);
    QCOMPARE(meter.bytesPerSecond(1000), 500.0);
    QCOMPARE(meter.etaSeconds(1000), 0.8);   // 400 left at 500 B/s
    meter.update(500, 1500);     // never backwards
    QCOMPARE(meter.done(), 600);
    meter.update(1000, 2000);
    QCOMPARE(meter.etaSeconds(2000), 0.0);

    UploadProgress p;
    p.totalBytes = 0;
    QCOMPARE(p.fraction(), 0.0);
    p.phase = UploadProgress::Phase::Done;
    QCOMPARE(p.fraction(), 1.0);   // an empty file is complete when done
    p.totalBytes = 200;
    p.sentBytes = 50;
    QCOMPARE(p.fraction(), 0.25);
}

void TestUploadCall::formatting()
{
    QCOMPARE(formatDuration(-1), QStringLiteral("—"));
    QCOMPARE(formatDuration(3), QStringLiteral("0:03"));
    QCOMPARE(formatDuration(252), QStringLiteral("4:12"));
    QCOMPARE(formatDuration(3907), QStringLiteral("1:05:07"));
    QVERIFY(formatBytes(1).contains(QStringLiteral("1 byte")));
    QVERIFY(formatBytes(17).contains(QStringLiteral("17 bytes")));
    QVERIFY(formatBytes(1500000).contains(QStringLiteral("MB")));
}

void TestUploadCall::roundTrip_data()
{
    QTest::addColumn<qint64>("size");
    QTest::addColumn<int>("chunkSize");
    QTest::newRow("0 B") << qint64(0) << 64 * 1024;
    QTest::newRow("1 B") << qint64(1) << 64 * 1024;
    QTest::newRow("64 KiB - 1") << qint64(64 * 1024 - 1) << 64 * 1024;
    QTest::newRow("64 KiB") << qint64(64 * 1024) << 64 * 1024;
    QTest::newRow("64 KiB + 1") << qint64(64 * 1024 + 1) << 64 * 1024;
    QTest::newRow("3 MB, odd chunk size") << qint64(3000001) << 7777;
    QTest::newRow("100 MB, 64 KiB chunks") << qint64(100'000'000) << 64 * 1024;
    QTest::newRow("100 MB, largest chunks") << qint64(100'000'000) << UploadCall::kMaxChunkSize;
}

void TestUploadCall::roundTrip()
{
    QFETCH(qint64, size);
    QFETCH(int, chunkSize);
    const QString path = m_files.filePath(QStringLiteral("round-%1-%2.bin").arg(size).arg(chunkSize));
    const QString expected = writeRandomFile(path, size, quint32(size + chunkSize));
    QVERIFY(!expected.isEmpty());

    UploadCall call(&m_connection);
    QSignalSpy progress(&call, &UploadCall::progressChanged);
    UploadRequest request;
    request.filePath = path;
    request.chunkSize = chunkSize;
    const UploadOutcome outcome = runUpload(call, request);

    QVERIFY2(outcome.ok(), qPrintable(outcome.text()));
    QCOMPARE(outcome.status.codeName, QStringLiteral("OK"));
    QCOMPARE(outcome.bytesReceived, size);
    QCOMPARE(outcome.resumedFrom, 0);
    QCOMPARE(outcome.storedSize, size);
    QCOMPARE(outcome.sentBytes, size);
    QCOMPARE(outcome.totalBytes, size);
    QCOMPARE(outcome.uploadId, call.uploadId());
    QCOMPARE(outcome.fileName, QFileInfo(path).fileName());
    // Four digests agree: this test's, the client's, the server's, the stored file's.
    QCOMPARE(outcome.clientSha256, expected);
    QCOMPARE(outcome.serverSha256, expected);
    QVERIFY(outcome.hashesMatch());
    QVERIFY(!outcome.storedName.isEmpty());
    const QString stored = m_server->dataDir() + QStringLiteral("/uploads/") + outcome.storedName;
    QCOMPARE(QFileInfo(stored).size(), size);
    QCOMPARE(sha256OfFile(stored), expected);
    QVERIFY(!QFileInfo::exists(partialPath(m_server->dataDir(), outcome.uploadId)));
    m_storedIds << outcome.uploadId;

    // Progress: ends at the whole file, never goes back, at most ~30 updates a second.
    QVERIFY(!progress.isEmpty());
    const auto last = progress.constLast().at(0).value<UploadProgress>();
    QCOMPARE(last.phase, UploadProgress::Phase::Done);
    QCOMPARE(last.sentBytes, size);
    QCOMPARE(last.fraction(), 1.0);
    const qint64 messages = size == 0 ? 1 : (size + chunkSize - 1) / chunkSize;
    QCOMPARE(last.chunksSent, messages);
    qint64 previous = 0;
    for (const auto& args : progress) {
        const auto p = args.at(0).value<UploadProgress>();
        QVERIFY(p.sentBytes >= previous);
        previous = p.sentBytes;
    }
    const double seconds = last.elapsedMs / 1000.0;
    QVERIFY2(progress.size() <= int(seconds * 1000.0 / UploadCall::kProgressIntervalMs) + 3,
             qPrintable(QStringLiteral("%1 updates in %2 s").arg(progress.size()).arg(seconds)));
    qInfo("%lld bytes in chunks of %d: %.0f ms, max blocked write %.1f ms", size, chunkSize, outcome.sendingMs, outcome.maxWriteMs);
}

void TestUploadCall::theEndArrivesWithoutWaitingForAFrame()
{
    // Progress is batched per frame (~16 ms); the end of the call is not: the
    // record posts the call object a wake-up when it finishes, so the outcome
    // is delivered by posted events alone, with no frame timer firing.
    const QString path = m_files.filePath(QStringLiteral("end-at-once.bin"));
    QVERIFY(writeRandomFile(path, 1000, 77).size() > 0);
    UploadCall call(&m_connection);
    QSignalSpy done(&call, &UploadCall::uploadFinished);
    UploadRequest request;
    request.filePath = path;
    QString error;
    QVERIFY2(call.start(request, &error), qPrintable(error));
    // Wait off the event loop (timers do not fire) until gRPC has finished the call.
    QElapsedTimer waited;
    waited.start();
    while (!call.record()->isFinished() && waited.elapsed() < kWaitMs)
        QThread::msleep(1);
    QVERIFY(call.record()->isFinished());
    QVERIFY(done.isEmpty());
    QCoreApplication::sendPostedEvents();   // posted events only: no timer runs here
    QCOMPARE(done.count(), 1);
    QVERIFY2(call.outcome().hashesMatch(), qPrintable(call.outcome().text()));
    m_storedIds << call.outcome().uploadId;
}

void TestUploadCall::badInputIsRefusedClearly()
{
    UploadCall call(&m_connection);
    QSignalSpy started(&call, &StreamCall::started);
    QString error;
    UploadRequest request;

    QVERIFY(!call.start(request, &error));
    QVERIFY2(error.contains(QStringLiteral("Choose a file")), qPrintable(error));

    request.filePath = m_files.filePath(QStringLiteral("no-such-file.bin"));
    QVERIFY(!call.start(request, &error));
    QVERIFY2(error.contains(QStringLiteral("does not exist")) && error.contains(QStringLiteral("no-such-file.bin")), qPrintable(error));

    request.filePath = m_files.path();
    QVERIFY(!call.start(request, &error));
    QVERIFY2(error.contains(QStringLiteral("folder")), qPrintable(error));

    const QString small = m_files.filePath(QStringLiteral("small.bin"));
    writeRandomFile(small, 10, 1);
    request.filePath = small;
    request.chunkSize = UploadCall::kMaxChunkSize + 1;
    QVERIFY(!call.start(request, &error));
    QVERIFY2(error.contains(QStringLiteral("chunk size")), qPrintable(error));
    request.chunkSize = 0;
    QVERIFY(!call.start(request, &error));

    if (::geteuid() != 0) {   // root reads any file
        const QString locked = m_files.filePath(QStringLiteral("locked.bin"));
        writeRandomFile(locked, 10, 2);
        QVERIFY(QFile::setPermissions(locked, QFileDevice::WriteOwner));
        request.filePath = locked;
        request.chunkSize = 1024;
        QVERIFY(!call.start(request, &error));
        QVERIFY2(error.contains(QStringLiteral("Cannot read")), qPrintable(error));
    }

    Connection unconnected;
    UploadCall orphan(&unconnected);
    request.filePath = small;
    request.chunkSize = 1024;
    QVERIFY(!orphan.start(request, &error));
    QVERIFY2(error.contains(QStringLiteral("Not connected")), qPrintable(error));

    QCOMPARE(started.size(), 0);   // nothing was called
}

void TestUploadCall::cancelLeavesNothingAndResumeSendsTheRest()
{
    const qint64 size = 48 * 1000 * 1000;
    const QString path = m_files.filePath(QStringLiteral("cancel-me.bin"));
    const QString expected = writeRandomFile(path, size, 77);
    const QStringList storedBefore = storedFiles(m_server->dataDir());

    // The server reads slowly, so the upload is surely mid-way when cancelled.
    UploadCall call(&m_connection);
    UploadRequest request;
    request.filePath = path;
    request.chunkSize = 64 * 1024;
    request.serverReadDelayMs = 20;
    QSignalSpy done(&call, &UploadCall::uploadFinished);
    QList<CallTraceEntry> trace;
    connect(&call, &StreamCall::trace, this, [&](const QList<CallTraceEntry>& entries) { trace += entries; });
    QString error;
    QVERIFY2(call.start(request, &error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(call.progress().sentBytes >= 1'000'000, kWaitMs);
    call.cancel();
    QVERIFY(done.wait(kWaitMs) || !done.isEmpty());
    UploadOutcome outcome = call.outcome();
    QVERIFY(!outcome.ok());
    QCOMPARE(outcome.status.codeName, QStringLiteral("CANCELLED"));
    // The timeline's last line says it once ("CANCELLED", not "CANCELLED: CANCELLED").
    QVERIFY(!trace.isEmpty());
    QCOMPARE(trace.constLast().kind, CallTraceEntry::Kind::Finished);
    QCOMPARE(trace.constLast().detail, QStringLiteral("CANCELLED"));
    QVERIFY(outcome.localError.isEmpty());
    QVERIFY(!outcome.hasResult);
    QVERIFY(outcome.sentBytes > 0 && outcome.sentBytes < size);
    QCOMPARE(call.progress().phase, UploadProgress::Phase::Done);

    // No stored file; the partial data stays for the resume.
    QTRY_COMPARE_WITH_TIMEOUT(m_server->state()->stats.activeCalls(), 0u, kWaitMs);
    QCOMPARE(storedFiles(m_server->dataDir()), storedBefore);
    grpc::ClientContext context;
    const UploadStatusReply held = UploadAdmin::fetchStatus(&m_connection, call.uploadId(), 5000, &context);
    QVERIFY2(held.status.ok(), qPrintable(held.status.text));
    QVERIFY(held.state.exists);
    QVERIFY(!held.state.completed);
    QVERIFY(held.state.offset > 0 && held.state.offset < size);
    grpc::ClientContext listContext;
    const UploadListReply list = UploadAdmin::fetchList(&m_connection, 1000, 5000, &listContext);
    QVERIFY(list.status.ok());
    for (const StoredUploadInfo& info : list.uploads)
        QVERIFY(info.uploadId != call.uploadId());

    // Resume: only the rest goes, and the digest covers the whole file.
    UploadCall resumed(&m_connection);
    request.uploadId = call.uploadId();
    request.resume = true;
    request.serverReadDelayMs = 0;
    outcome = runUpload(resumed, request);
    QVERIFY2(outcome.ok(), qPrintable(outcome.text()));
    QCOMPARE(outcome.uploadId, call.uploadId());
    QCOMPARE(outcome.resumedFrom, held.state.offset);
    QCOMPARE(outcome.bytesReceived, size - held.state.offset);
    QCOMPARE(outcome.storedSize, size);
    QCOMPARE(outcome.clientSha256, expected);
    QCOMPARE(outcome.serverSha256, expected);
    QCOMPARE(sha256OfFile(m_server->dataDir() + QStringLiteral("/uploads/") + outcome.storedName), expected);
    QCOMPARE(resumed.progress().resumedFrom, held.state.offset);
    QCOMPARE(resumed.progress().sentBytes, size);
    m_storedIds << outcome.uploadId;
}

void TestUploadCall::resumeAfterServerRestart()
{
    QTemporaryDir dataDir;
    QVERIFY(dataDir.isValid());
    const qint64 size = 40 * 1000 * 1000;
    const QString path = m_files.filePath(QStringLiteral("restart.bin"));
    const QString expected = writeRandomFile(path, size, 99);

    Connection connection;
    auto first = std::make_unique<TestServer>(10, dataDir.path());
    QVERIFY(first->start());
    QVERIFY(connectTo(connection, *first));

    UploadCall call(&connection);
    UploadRequest request;
    request.filePath = path;
    request.chunkSize = 64 * 1024;
    request.serverReadDelayMs = 20;
    QSignalSpy done(&call, &UploadCall::uploadFinished);
    QString error;
    QVERIFY2(call.start(request, &error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(partialPath(dataDir.path(), call.uploadId())).size() >= 500'000, kWaitMs);

    first->stop();   // the server goes away mid-upload
    QVERIFY(done.wait(kWaitMs) || !done.isEmpty());
    QVERIFY(!call.outcome().ok());
    qInfo("interrupted by the server stopping: %s: %s", qPrintable(call.outcome().status.codeName), qPrintable(call.outcome().text()));
    first.reset();
    const qint64 held = QFileInfo(partialPath(dataDir.path(), call.uploadId())).size();
    QVERIFY(held > 0 && held < size);
    QVERIFY(storedFiles(dataDir.path()).isEmpty());

    // A new server on the same data dir (a new port), the connection follows it.
    TestServer second(10, dataDir.path());
    QVERIFY(second.start());
    QVERIFY(connectTo(connection, second));
    UploadCall resumed(&connection);
    request.uploadId = call.uploadId();
    request.resume = true;
    request.serverReadDelayMs = 0;
    const UploadOutcome outcome = runUpload(resumed, request);
    QVERIFY2(outcome.ok(), qPrintable(outcome.text()));
    QCOMPARE(outcome.resumedFrom, held);
    QCOMPARE(outcome.bytesReceived, size - held);
    QCOMPARE(outcome.storedSize, size);
    QCOMPARE(outcome.clientSha256, expected);
    QCOMPARE(outcome.serverSha256, expected);
    QCOMPARE(storedFiles(dataDir.path()), QStringList{QStringLiteral("restart.bin")});
    QCOMPARE(sha256OfFile(dataDir.path() + QStringLiteral("/uploads/restart.bin")), expected);
    QVERIFY(!QFileInfo::exists(partialPath(dataDir.path(), call.uploadId())));
    second.stop();
}

void TestUploadCall::resumeOfAStoredUploadIsAlreadyExists()
{
    QVERIFY(!m_storedIds.isEmpty());
    const QString path = m_files.filePath(QStringLiteral("round-1-65536.bin"));
    QVERIFY(QFileInfo::exists(path));
    UploadCall call(&m_connection);
    UploadRequest request;
    request.filePath = path;
    request.uploadId = m_storedIds.first();
    request.resume = true;
    const UploadOutcome outcome = runUpload(call, request);
    QCOMPARE(outcome.status.codeName, QStringLiteral("ALREADY_EXISTS"));
    QVERIFY2(outcome.text().contains(QStringLiteral("already stored")), qPrintable(outcome.text()));
    QVERIFY(!outcome.hasResult);
}

void TestUploadCall::readDelayStallsWritesAndCanChangeLive()
{
    // A server of its own, so a new connection: its flow-control windows have
    // not been grown by the fast uploads before (BDP probing), and a 32 MB
    // upload cannot fit in flight.
    TestServer server(10);
    QVERIFY(server.start());
    Connection connection;
    QVERIFY(connectTo(connection, server));
    const qint64 size = 32 * 1000 * 1000;
    const QString path = m_files.filePath(QStringLiteral("slow.bin"));
    const QString expected = writeRandomFile(path, size, 5);
    UploadCall call(&connection);
    UploadRequest request;
    request.filePath = path;
    request.chunkSize = 1 << 20;
    request.serverReadDelayMs = 300;
    QSignalSpy done(&call, &UploadCall::uploadFinished);
    QString error;
    QVERIFY2(call.start(request, &error), qPrintable(error));
    // The server reads a chunk every 300 ms: once the stream window is full,
    // each write waits for it (StartWrite → OnWriteDone).
    QTRY_VERIFY_WITH_TIMEOUT(call.progress().writePending && call.progress().currentWriteMs >= 200, kWaitMs);
    QVERIFY(call.progress().sentBytes < size);
    call.setServerReadDelay(0);   // the next chunks tell the server to read at once
    QVERIFY(done.wait(kWaitMs) || !done.isEmpty());
    const UploadOutcome outcome = call.outcome();
    QVERIFY2(outcome.ok(), qPrintable(outcome.text()));
    QCOMPARE(outcome.serverSha256, expected);
    QVERIFY2(outcome.maxWriteMs >= 150, qPrintable(QString::number(outcome.maxWriteMs)));
    QVERIFY(call.progress().maxWriteMs >= 150);
    QVERIFY(call.progress().blockedMs >= call.progress().maxWriteMs);
    server.stop();
}

void TestUploadCall::fileShrinkingMidUploadIsALocalError()
{
    TestServer server(10);   // a fresh connection: see readDelayStallsWritesAndCanChangeLive
    QVERIFY(server.start());
    Connection connection;
    QVERIFY(connectTo(connection, server));
    const qint64 size = 64 * 1000 * 1000;
    const QString path = m_files.filePath(QStringLiteral("shrinks.bin"));
    writeRandomFile(path, size, 6);
    UploadCall call(&connection);
    UploadRequest request;
    request.filePath = path;
    request.chunkSize = 1 << 20;
    request.serverReadDelayMs = 300;
    QSignalSpy done(&call, &UploadCall::uploadFinished);
    QString error;
    QVERIFY2(call.start(request, &error), qPrintable(error));
    // Stalled by the server: the reader is far from the end of the file.
    QTRY_VERIFY_WITH_TIMEOUT(call.progress().writePending && call.progress().currentWriteMs >= 200, kWaitMs);
    QVERIFY(QFile::resize(path, 1000));
    call.setServerReadDelay(0);
    QVERIFY(done.wait(kWaitMs) || !done.isEmpty());
    const UploadOutcome outcome = call.outcome();
    QVERIFY(!outcome.ok());
    QVERIFY2(outcome.localError.contains(QStringLiteral("got shorter")), qPrintable(outcome.localError));
    QCOMPARE(outcome.text(), outcome.localError);
    QCOMPARE(outcome.status.codeName, QStringLiteral("CANCELLED"));
    QTRY_COMPARE_WITH_TIMEOUT(server.state()->stats.activeCalls(), 0u, kWaitMs);
    QVERIFY(storedFiles(server.dataDir()).isEmpty());
    server.stop();
}

void TestUploadCall::overTheCapIsResourceExhausted()
{
    TestServer capped(10);
    capped.config.uploadCapBytes = 1 << 20;
    QVERIFY(capped.start());
    Connection connection;
    QVERIFY(connectTo(connection, capped));
    const QString path = m_files.filePath(QStringLiteral("too-big.bin"));
    writeRandomFile(path, 2 << 20, 8);
    UploadCall call(&connection);
    UploadRequest request;
    request.filePath = path;
    const UploadOutcome outcome = runUpload(call, request);
    QCOMPARE(outcome.status.codeName, QStringLiteral("RESOURCE_EXHAUSTED"));
    QVERIFY2(outcome.text().contains(QStringLiteral("cap")), qPrintable(outcome.text()));
    QVERIFY(!outcome.hasResult);
    QVERIFY(storedFiles(capped.dataDir()).isEmpty());
    capped.stop();
}

void TestUploadCall::fullDiskShowsTheServersError()
{
#ifndef STREAMLAB_SERVER_EXE
    QSKIP("built without the streamlab-server path");
#else
    // A data dir with its database made, then streamlab-server with every
    // file it writes limited to 2 MiB: writes past that fail as on a full disk.
    QTemporaryDir dir;
    {
        TestServer seed(10, dir.path());
        QVERIFY(seed.start());
    }
    QProcess child;
    child.setProgram(QStringLiteral(STREAMLAB_SERVER_EXE));
    child.setArguments({QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"), QStringLiteral("--data-dir"), dir.path()});
    child.setChildProcessModifier([] {
        const rlimit limit{2 << 20, 2 << 20};
        ::setrlimit(RLIMIT_FSIZE, &limit);
        ::signal(SIGXFSZ, SIG_IGN);   // EFBIG from write() instead of a signal
    });
    child.start();
    QVERIFY2(child.waitForStarted(10000), qPrintable(child.errorString()));
    struct Stopper {
        QProcess& process;
        ~Stopper()
        {
            if (process.state() == QProcess::NotRunning)
                return;
            process.terminate();
            if (!process.waitForFinished(10000)) {
                process.kill();
                process.waitForFinished(5000);
            }
        }
    } stopper{child};
    QString address;
    QByteArray log;
    const QRegularExpression ready(QStringLiteral("ready on (127\\.0\\.0\\.1:\\d+)"));
    QElapsedTimer clock;
    clock.start();
    while (address.isEmpty() && clock.elapsed() < 30000 && child.state() == QProcess::Running) {
        child.waitForReadyRead(100);
        log += child.readAllStandardError();
        const auto match = ready.match(QString::fromUtf8(log));
        if (match.hasMatch())
            address = match.captured(1);
    }
    QVERIFY2(!address.isEmpty(), log.constData());

    Connection connection;
    QString error;
    QVERIFY(connection.connectTo(address, &error));
    const QString path = m_files.filePath(QStringLiteral("disk-full.bin"));
    const QString expected = writeRandomFile(path, 6 << 20, 9);
    UploadCall call(&connection);
    UploadRequest request;
    request.filePath = path;
    UploadOutcome outcome = runUpload(call, request);
    QCOMPARE(outcome.status.codeName, QStringLiteral("RESOURCE_EXHAUSTED"));
    QVERIFY2(outcome.text().contains(QStringLiteral("cannot store more data")), qPrintable(outcome.text()));
    qInfo("full disk: %s", qPrintable(outcome.text()));
    QVERIFY(!outcome.hasResult);
    QVERIFY(storedFiles(dir.path()).isEmpty());
    grpc::ClientContext context;
    const UploadListReply list = UploadAdmin::fetchList(&connection, 100, 5000, &context);
    QVERIFY2(list.status.ok(), qPrintable(list.status.text));
    QVERIFY(list.uploads.isEmpty());

    // The server still works: a small file fits.
    const QString small = m_files.filePath(QStringLiteral("fits.bin"));
    const QString smallSha = writeRandomFile(small, 1000, 10);
    UploadCall second(&connection);
    request.filePath = small;
    outcome = runUpload(second, request);
    QVERIFY2(outcome.ok(), qPrintable(outcome.text()));
    QCOMPARE(outcome.serverSha256, smallSha);
    QCOMPARE(storedFiles(dir.path()), QStringList{QStringLiteral("fits.bin")});
#endif
}

void TestUploadCall::uploadAdminListsAndReportsStatus()
{
    QVERIFY(!m_storedIds.isEmpty());
    UploadAdmin admin(&m_connection);
    QSignalSpy listed(&admin, &UploadAdmin::listReady);
    admin.refreshList();
    QVERIFY(admin.listBusy());
    admin.refreshList();   // ignored while one runs
    QVERIFY(listed.wait(kWaitMs) || !listed.isEmpty());
    QCOMPARE(listed.size(), 1);
    const auto reply = listed.first().at(0).value<UploadListReply>();
    QVERIFY2(reply.status.ok(), qPrintable(reply.status.text));
    QStringList ids;
    for (const StoredUploadInfo& info : reply.uploads) {
        ids << info.uploadId;
        QCOMPARE(info.sha256.size(), 64);
        QVERIFY(info.storedAt.isValid());
        QVERIFY(!info.name.isEmpty());
    }
    for (const QString& id : m_storedIds)
        QVERIFY2(ids.contains(id), qPrintable(id));

    QSignalSpy status(&admin, &UploadAdmin::statusReady);
    admin.queryStatus(m_storedIds.last());
    QVERIFY(status.wait(kWaitMs) || !status.isEmpty());
    auto state = status.takeFirst().at(0).value<UploadStatusReply>();
    QVERIFY(state.status.ok());
    QVERIFY(state.state.completed);
    QCOMPARE(state.state.sha256.size(), 64);

    admin.queryStatus(QStringLiteral("never-heard-of-it"));
    QVERIFY(status.wait(kWaitMs) || !status.isEmpty());
    state = status.takeFirst().at(0).value<UploadStatusReply>();
    QVERIFY(state.status.ok());
    QVERIFY(!state.state.exists);
    QVERIFY(!state.state.completed);
    QCOMPARE(state.state.offset, 0);
}

void TestUploadCall::testFileWriter()
{
    TestFileWriter writer;
    QSignalSpy finished(&writer, &TestFileWriter::finished);
    QSignalSpy progress(&writer, &TestFileWriter::progress);
    const qint64 size = 3 * 1000 * 1000 + 5;
    const QString path = TestFileWriter::suggestedPath(m_files.path(), size);
    QVERIFY(path.startsWith(m_files.path()));
    QString error;
    QVERIFY2(writer.start(path, size, &error), qPrintable(error));
    QVERIFY(!writer.start(path, size, &error));   // busy
    QVERIFY(finished.wait(kWaitMs) || !finished.isEmpty());
    auto result = finished.takeFirst().at(0).value<TestFileResult>();
    QVERIFY2(result.ok, qPrintable(result.error));
    QCOMPARE(QFileInfo(path).size(), size);
    QCOMPARE(progress.constLast().at(0).toLongLong(), size);
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray head = file.read(4096);
    QVERIFY(head.count('\0') < 100);   // random, not zeros

    // Never overwrites; a new name is offered instead.
    QVERIFY(!writer.start(path, 10, &error));
    QVERIFY2(error.contains(QStringLiteral("already exists")), qPrintable(error));
    QVERIFY(TestFileWriter::suggestedPath(m_files.path(), size) != path);

    // Cancel removes the partial file.
    const QString big = m_files.filePath(QStringLiteral("cancelled-test-file.bin"));
    QVERIFY2(writer.start(big, 4LL << 30, &error) || error.contains(QStringLiteral("Not enough room")), qPrintable(error));
    if (writer.busy()) {
        writer.cancel();
        QVERIFY(finished.wait(kWaitMs) || !finished.isEmpty());
        result = finished.takeFirst().at(0).value<TestFileResult>();
        QVERIFY(result.cancelled);
        QVERIFY(!result.ok);
        QVERIFY(!QFileInfo::exists(big));
    }
    QVERIFY(!writer.start(m_files.filePath(QStringLiteral("no-such-folder/x.bin")), 10, &error));
    QVERIFY2(error.contains(QStringLiteral("does not exist")), qPrintable(error));
}

void TestUploadCall::chunkFrameIsAChunkWithoutACopy()
{
    auto pool = ChunkBufferPool::create(70000, 1);
    // Data lengths whose varint takes 1, 2 and 3 bytes; with metadata (a
    // first chunk) and with none (a later one, read delay 0: only data).
    for (const size_t size : {size_t(0), size_t(1), size_t(127), size_t(128), size_t(70000)}) {
        for (const bool first : {true, false}) {
            char* bytes = nullptr;
            const grpc::Slice data = pool->take(size, &bytes);
            QCOMPARE(data.size(), size);
            for (size_t i = 0; i < size; ++i)
                bytes[i] = char(i * 7 + 1);
            Chunk fields;
            if (first) {
                fields.set_upload_id("upload-é");
                fields.set_name("name.bin");
                fields.set_size(123456789012);
                fields.set_offset(65536);
                fields.set_probe_id("probe");
                fields.set_server_read_delay_ms(300);
            }
            const grpc::ByteBuffer frame = ChunkFrame::encode(fields, data);

            std::vector<grpc::Slice> slices;
            QVERIFY(frame.Dump(&slices).ok());
            std::string wire;
            for (const grpc::Slice& slice : slices)
                wire.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
            Chunk parsed;
            QVERIFY(parsed.ParseFromString(wire));
            Chunk expected = fields;
            expected.set_data(std::string(bytes, size));
            // Protobuf reads it as the Chunk it is, no bigger than its own encoding.
            QCOMPARE(parsed.SerializeAsString(), expected.SerializeAsString());
            QCOMPARE(frame.Length(), expected.ByteSizeLong());
            // The data is the reader's buffer itself, not a copy.
            if (size > 0) {
                QCOMPARE(slices.size(), size_t(2));
                QCOMPARE(slices[1].begin(), data.begin());
            }
        }
    }
}

void TestUploadCall::chunkBufferPoolReusesItsBuffers()
{
    auto pool = ChunkBufferPool::create(1024, 2);
    char* a = nullptr;
    char* b = nullptr;
    grpc::Slice first = pool->take(1024, &a);
    grpc::Slice second = pool->take(10, &b);
    QCOMPARE(second.size(), size_t(10));
    QVERIFY(a != b);
    QCOMPARE(pool->freeCount(), size_t(0));
    QCOMPARE(pool->extraCount(), size_t(0));
    {
        // All out: a buffer of its own, freed when let go.
        char* c = nullptr;
        const grpc::Slice third = pool->take(1024, &c);
        std::memset(c, 3, 1024);
        QVERIFY(c != a && c != b);
        QCOMPARE(pool->extraCount(), size_t(1));
    }
    QCOMPARE(pool->freeCount(), size_t(0));
    std::memset(a, 1, 1024);
    first = grpc::Slice();   // gRPC let go of it: back in the pool
    QCOMPARE(pool->freeCount(), size_t(1));
    char* again = nullptr;
    grpc::Slice reused = pool->take(512, &again);
    QCOMPARE(again, a);

    // The upload may end while gRPC still holds its last writes: the slices
    // keep the pool alive, and the last one to go frees it.
    const std::weak_ptr<ChunkBufferPool> alive = pool;
    pool.reset();
    QVERIFY(!alive.expired());
    std::memset(b, 2, 10);
    second = grpc::Slice();
    QVERIFY(!alive.expired());
    reused = grpc::Slice();
    QVERIFY(alive.expired());
}

QTEST_GUILESS_MAIN(TestUploadCall)
#include "tst_uploadcall.moc"
