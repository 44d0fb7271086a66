// The real `streamlab` executable stops cleanly on SIGTERM and on SIGINT
// (Ctrl+C in its terminal) while calls are in flight, within 1 s.
//
// The app runs under the offscreen platform with its bundled server (port 0,
// a temporary data dir, settings in a temporary XDG_CONFIG_HOME). Calls in
// flight when the signal comes: the app's own WatchServer stream (the
// connection bar's server summary) and, on its bundled server, a follow
// event stream, a joined chat, an upload the server reads slowly and a
// lookup the server answers only after 30 s, all from this test process.
// Then the signal → the process exits with 0 within 1 s, having closed its
// window the normal way (its settings file is written), and every outside
// call ends instead of hanging.
#include "ServerProcess.h"   // kTimingScale

#include "ChatSession.h"
#include "Connection.h"
#include "EventStream.h"
#include "UploadCall.h"
#include "UserLookup.h"
#include "streamlab_lab.grpc.pb.h"

#include <grpcpp/grpcpp.h>

#include <QDateTime>
#include <QFile>
#include <QProcess>

#include <cstdio>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>

using namespace streamlab;
using namespace streamlab::test;

namespace {

constexpr int kWaitMs = 30000 * kTimingScale;
constexpr qint64 kExitWithinMs = 1000 * kTimingScale;

ServerInfo serverInfo(const QString& address)
{
    auto stub = ServerAdmin::NewStub(grpc::CreateChannel(address.toStdString(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ServerInfo info;
    const grpc::Status status = stub->GetServerInfo(&context, ServerInfoRequest(), &info);
    if (!status.ok())
        qWarning("GetServerInfo: %s", status.error_message().c_str());
    return info;
}

} // namespace

class TestAppQuit : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void quitsCleanlyOnSignal_data();
    void quitsCleanlyOnSignal();
};

void TestAppQuit::quitsCleanlyOnSignal_data()
{
    QTest::addColumn<int>("signalNumber");
    QTest::newRow("SIGTERM") << int(SIGTERM);
    QTest::newRow("SIGINT") << int(SIGINT);
}

void TestAppQuit::quitsCleanlyOnSignal()
{
    QFETCH(int, signalNumber);
    QTemporaryDir data, config, files;
    QVERIFY(data.isValid() && config.isValid() && files.isValid());

    QProcess app;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), config.path());   // not the user's own settings
    app.setProcessEnvironment(env);
    app.setProgram(QStringLiteral(STREAMLAB_APP_EXE));
    app.setArguments({QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--data-dir"), data.path()});
    app.start();
    QVERIFY2(app.waitForStarted(10000), qPrintable(app.errorString()));
    struct Stopper {
        QProcess& process;
        ~Stopper()
        {
            if (process.state() != QProcess::NotRunning) {
                process.kill();
                process.waitForFinished(5000);
            }
        }
    } stopper{app};

    QString log;
    const QRegularExpression listening(QStringLiteral("Bundled server listening on (127\\.0\\.0\\.1:\\d+)"));
    QElapsedTimer clock;
    clock.start();
    while (!listening.match(log).hasMatch() && clock.elapsed() < kWaitMs && app.state() == QProcess::Running) {
        app.waitForReadyRead(100);
        log += QString::fromUtf8(app.readAllStandardError());
    }
    const QString address = listening.match(log).captured(1);
    QVERIFY2(!address.isEmpty(), qPrintable(log));

    // Calls from outside on the app's server.
    Connection connection;
    QString error;
    QVERIFY2(connection.connectTo(address, &error), qPrintable(error));
    EventStream events(&connection);
    QSignalSpy eventsDone(&events, &EventStream::finished);
    EventQuery query;
    query.follow = true;
    query.after = QDateTime::currentDateTimeUtc().toString(Qt::ISODate);
    events.start(query);
    ChatSession chat(&connection);
    QVERIFY2(chat.join(QStringLiteral("outsider"), &error), qPrintable(error));
    const QString path = files.filePath(QStringLiteral("slow.bin"));
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QVERIFY(file.write(QByteArray(16 << 20, 'x')) == (16 << 20));
    }
    UploadCall upload(&connection);
    QSignalSpy uploadDone(&upload, &UploadCall::finished);
    UploadRequest request;
    request.filePath = path;
    request.serverReadDelayMs = 200;
    QVERIFY2(upload.start(request, &error), qPrintable(error));
    UserLookup lookup(&connection);
    QSignalSpy lookupDone(&lookup, &UserLookup::finished);
    lookup.lookup(QStringLiteral("42"), 60000, 30000);

    QTRY_VERIFY_WITH_TIMEOUT(events.counters().received > 0, kWaitMs);   // the bundled server makes 3 a second
    QTRY_COMPARE_WITH_TIMEOUT(chat.state(), ChatSession::State::Joined, kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(upload.progress().sentBytes > 0, kWaitMs);
    QVERIFY(lookup.busy() && upload.active() && events.active());
    // The server sees them, and the app itself as a second client (its WatchServer stream).
    ServerInfo info;
    bool seen = false;
    QTRY_VERIFY_WITH_TIMEOUT(seen || (seen = (info = serverInfo(address)).active_calls() >= 6 && info.clients() >= 2), kWaitMs);
    qInfo("before the signal: %u calls in flight on the app's server, from %u clients", info.active_calls(), info.clients());

    const QString settingsFile = config.filePath(QStringLiteral("Streamlab/streamlab.conf"));
    QVERIFY(!QFile::exists(settingsFile));   // written when the window closes

    clock.restart();
    QCOMPARE(::kill(pid_t(app.processId()), signalNumber), 0);
    const bool exited = app.waitForFinished(10000 * kTimingScale);
    const qint64 took = clock.elapsed();
    log += QString::fromUtf8(app.readAllStandardError());
    QVERIFY2(exited, qPrintable(log));
    qInfo("%s → exit %d after %lld ms", signalNumber == SIGTERM ? "SIGTERM" : "SIGINT", app.exitCode(), took);
    QCOMPARE(app.exitStatus(), QProcess::NormalExit);   // not killed by the signal
    if (app.exitCode() != 0)
        std::fputs(qPrintable(log), stderr);   // all of it: QtTest cuts long messages
    QVERIFY2(app.exitCode() == 0, qPrintable(QStringLiteral("exit code %1 (the app's log is above)").arg(app.exitCode())));
    QVERIFY2(took < kExitWithinMs, qPrintable(QStringLiteral("exit took %1 ms").arg(took)));
    QVERIFY2(log.contains(signalNumber == SIGTERM ? QStringLiteral("SIGTERM received, closing")
                                                  : QStringLiteral("SIGINT received, closing")),
             qPrintable(log));

    // Closed the normal way: the window saved its settings.
    QVERIFY(QFile::exists(settingsFile));
    QSettings saved(settingsFile, QSettings::IniFormat);
    QVERIFY(saved.contains(QStringLiteral("window/geometry")));
    QVERIFY(saved.contains(QStringLiteral("connection/lastTarget")));

    // The calls from outside end (the server went away) instead of hanging.
    QTRY_VERIFY_WITH_TIMEOUT(!eventsDone.isEmpty() && !uploadDone.isEmpty() && !lookupDone.isEmpty(), kWaitMs);
    const auto eventsEnd = eventsDone.constLast().at(0).value<CallStatus>();
    const auto uploadEnd = uploadDone.constLast().at(0).value<CallStatus>();
    const auto lookupEnd = lookupDone.constLast().at(0).value<LookupResult>().status;
    qInfo("outside calls ended: events %s, upload %s, lookup %s", qPrintable(eventsEnd.codeName),
          qPrintable(uploadEnd.codeName), qPrintable(lookupEnd.codeName));
    QVERIFY(!eventsEnd.ok() && !uploadEnd.ok() && !lookupEnd.ok());
    QTRY_VERIFY_WITH_TIMEOUT(chat.state() == ChatSession::State::Reconnecting || chat.state() == ChatSession::State::Connecting,
                             kWaitMs);
    chat.leave();
    QTRY_COMPARE_WITH_TIMEOUT(chat.state(), ChatSession::State::Offline, kWaitMs);
}

QTEST_GUILESS_MAIN(TestAppQuit)
#include "tst_appquit.moc"
