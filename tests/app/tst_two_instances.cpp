// Two processes chat both ways, and two copies of the real app find each
// other.
//
// peersChatBothWays: two chat_peer processes (the app's ChatSession, headless)
// against one server; each sends its lines and waits for every line of the
// other, exactly, then leaves with OK.
//
// secondInstanceJoinsTheFirst: the real `streamlab` executable twice under the
// offscreen platform. The first starts its bundled server (on a free port) and
// says so; the second, told to use that port, finds another Streamlab there
// and joins its server. Then two chat peers chat through the first app's
// bundled server. Both apps are terminated at the end.
#include "TestServer.h"

#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

namespace {

QProcessEnvironment childEnvironment(const QString& configDir)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    // The apps must not read or write the user's own settings.
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), configDir);
    return env;
}

// Reads the process's stderr until `pattern` matches (or it exits / time runs out).
QRegularExpressionMatch waitForLine(QProcess& process, QString& seen, const QRegularExpression& pattern, int timeoutMs)
{
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < timeoutMs) {
        const QRegularExpressionMatch match = pattern.match(seen);
        if (match.hasMatch())
            return match;
        if (process.state() == QProcess::NotRunning)
            break;
        process.waitForReadyRead(100);
        seen += QString::fromUtf8(process.readAllStandardError());
    }
    seen += QString::fromUtf8(process.readAllStandardError());
    return pattern.match(seen);
}

void stopApp(QProcess& process)
{
    if (process.state() == QProcess::NotRunning)
        return;
    process.terminate();
    if (!process.waitForFinished(10000)) {
        process.kill();
        process.waitForFinished(5000);
    }
}

struct Peer {
    QProcess process;
    void start(const QString& server, const QString& name, const QString& other, int lines)
    {
        process.setProgram(QStringLiteral(CHAT_PEER_EXE));
        process.setArguments({QStringLiteral("--server"), server, QStringLiteral("--name"), name,
                              QStringLiteral("--send"), QString::number(lines), QStringLiteral("--expect-from"), other,
                              QStringLiteral("--expect"), QString::number(lines), QStringLiteral("--timeout"), QStringLiteral("60000")});
        process.start();
    }
};

void chatBothWays(const QString& server, int lines)
{
    Peer ada, bob;
    ada.start(server, QStringLiteral("ada"), QStringLiteral("bob"), lines);
    bob.start(server, QStringLiteral("bob"), QStringLiteral("ada"), lines);
    QVERIFY2(ada.process.waitForStarted(10000), qPrintable(ada.process.errorString()));
    QVERIFY2(bob.process.waitForStarted(10000), qPrintable(bob.process.errorString()));
    const bool adaDone = ada.process.waitForFinished(90000);
    const bool bobDone = bob.process.waitForFinished(90000);
    const QString adaOut = QString::fromUtf8(ada.process.readAllStandardOutput() + ada.process.readAllStandardError());
    const QString bobOut = QString::fromUtf8(bob.process.readAllStandardOutput() + bob.process.readAllStandardError());
    if (!adaDone)
        ada.process.kill();
    if (!bobDone)
        bob.process.kill();
    ada.process.waitForFinished(5000);
    bob.process.waitForFinished(5000);
    QVERIFY2(adaDone && ada.process.exitStatus() == QProcess::NormalExit && ada.process.exitCode() == 0, qPrintable(adaOut));
    QVERIFY2(bobDone && bob.process.exitStatus() == QProcess::NormalExit && bob.process.exitCode() == 0, qPrintable(bobOut));
    qInfo("%s", qPrintable(adaOut.trimmed()));
    qInfo("%s", qPrintable(bobOut.trimmed()));
    QVERIFY2(adaOut.contains(QStringLiteral("received %1 from bob").arg(lines)), qPrintable(adaOut));
    QVERIFY2(bobOut.contains(QStringLiteral("received %1 from ada").arg(lines)), qPrintable(bobOut));
}

} // namespace

class TestTwoInstances : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void peersChatBothWays();
    void secondInstanceJoinsTheFirst();
};

void TestTwoInstances::peersChatBothWays()
{
    streamlab::test::TestServer server;
    QVERIFY(server.start());
    chatBothWays(QString::fromStdString(server.address()), 25);
}

void TestTwoInstances::secondInstanceJoinsTheFirst()
{
    QTemporaryDir dataA, dataB, config;
    QVERIFY(dataA.isValid() && dataB.isValid() && config.isValid());

    QProcess first;
    first.setProcessEnvironment(childEnvironment(config.path()));
    first.setProgram(QStringLiteral(STREAMLAB_APP_EXE));
    first.setArguments({QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--data-dir"), dataA.path()});
    first.start();
    QVERIFY2(first.waitForStarted(10000), qPrintable(first.errorString()));
    QString firstLog;
    // BundledServer's message, logged by MainWindow::onBundledStarted with qInfo.
    const auto listening = waitForLine(first, firstLog,
                                       QRegularExpression(QStringLiteral("streamlab: Bundled server listening on 127\\.0\\.0\\.1:(\\d+)")), 60000);
    if (!listening.hasMatch())
        stopApp(first);
    QVERIFY2(listening.hasMatch(), qPrintable(firstLog));
    const QString port = listening.captured(1);
    QVERIFY(port.toInt() > 0);

    QProcess second;
    second.setProcessEnvironment(childEnvironment(config.path()));
    second.setProgram(QStringLiteral(STREAMLAB_APP_EXE));
    second.setArguments({QStringLiteral("--port"), port, QStringLiteral("--data-dir"), dataB.path()});
    second.start();
    QVERIFY2(second.waitForStarted(10000), qPrintable(second.errorString()));
    QString secondLog;
    const auto joined = waitForLine(second, secondLog,
                                    QRegularExpression(QStringLiteral("streamlab: Port %1 is served by another Streamlab: joined its server at 127\\.0\\.0\\.1:%1\\.")
                                                           .arg(port)), 30000);
    if (!joined.hasMatch()) {
        stopApp(second);
        stopApp(first);
    }
    QVERIFY2(joined.hasMatch(), qPrintable(secondLog));
    // The second one did not start a server of its own.
    QVERIFY2(!secondLog.contains(QStringLiteral("Bundled server listening")), qPrintable(secondLog));

    // Chat through the first app's bundled server, both ways.
    chatBothWays(QStringLiteral("127.0.0.1:%1").arg(port), 10);
    const bool chatted = !QTest::currentTestFailed();

    QVERIFY(first.state() == QProcess::Running && second.state() == QProcess::Running);
    stopApp(second);
    stopApp(first);
    QCOMPARE(first.state(), QProcess::NotRunning);
    QCOMPARE(second.state(), QProcess::NotRunning);
    QVERIFY(chatted);
}

QTEST_GUILESS_MAIN(TestTwoInstances)
#include "tst_two_instances.moc"
