// The main window: the bundled server starts by default and the app connects
// to it; closing with a call in flight cancels it and exits promptly; the
// deadline and the server history are remembered.
#include "BidiChatTab.h"
#include "CallTracker.h"
#include "ChatSession.h"
#include "ClientStreamingTab.h"
#include "FlowLabTab.h"
#include "MainWindow.h"
#include "ServerStreamingTab.h"
#include "UnaryTab.h"
#include "UserLookup.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTabWidget>
#include <QtTest>

using namespace streamlab;

class TestMainWindow : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);   // settings go to a test location
        QCoreApplication::setOrganizationName(QStringLiteral("StreamlabTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_mainwindow"));
        QSettings().clear();
    }

    void startsTheBundledServerAndConnects()
    {
        StartOptions options;
        options.port = 0;
        options.dataDir = m_data.path();
        MainWindow window(options);
        QSignalSpy ready(&window, &MainWindow::serverReady);
        window.show();
        QVERIFY(ready.wait(20000));
        QVERIFY(window.bundledServer()->running());
        QCOMPARE(window.connection()->target(), window.bundledServer()->address());
        QTRY_COMPARE_WITH_TIMEOUT(window.connection()->state(), ChannelState::Ready, 10000);
        window.close();
    }

    void closingWithACallInFlightExitsPromptly()
    {
        StartOptions options;
        options.port = 0;
        options.dataDir = m_data.path();
        auto window = std::make_unique<MainWindow>(options);
        QSignalSpy ready(window.get(), &MainWindow::serverReady);
        window->show();
        QVERIFY(ready.wait(20000));
        // A lookup the server answers only after 30 s.
        window->unaryTab()->lookup()->lookup(QStringLiteral("42"), 60000, 30000);
        QTRY_VERIFY(CallTracker::inFlight() > 0);
        QElapsedTimer clock;
        clock.start();
        window->close();
        window.reset();
        const qint64 took = clock.elapsed();
        QVERIFY2(took < 1000, qPrintable(QStringLiteral("closing took %1 ms").arg(took)));
        QVERIFY(CallTracker::waitForAll(std::chrono::milliseconds(1000)));
    }

    // Every tab busy at once (issue 8): a unary lookup the server answers in
    // 30 s, a follow event stream, an upload the server reads slowly, a
    // joined chat and a flow-lab run with a paused reader → close() and the
    // window's destruction take under 1 s, and no call is left behind.
    void closingWithEveryTabBusyExitsWithinASecond()
    {
        QTemporaryDir files;
        QVERIFY(files.isValid());
        const QString path = files.filePath(QStringLiteral("busy-upload.bin"));
        {
            QFile file(path);
            QVERIFY(file.open(QIODevice::WriteOnly));
            const QByteArray block(1 << 20, 'u');
            for (int i = 0; i < 64; ++i)
                QCOMPARE(file.write(block), qint64(block.size()));
        }
        StartOptions options;
        options.port = 0;
        options.dataDir = m_data.path();
        auto window = std::make_unique<MainWindow>(options);
        QSignalSpy ready(window.get(), &MainWindow::serverReady);
        window->show();
        QVERIFY(ready.wait(20000));
        QTRY_COMPARE_WITH_TIMEOUT(window->connection()->state(), ChannelState::Ready, 10000);
        const int before = CallTracker::inFlight();   // the server watcher's stream

        window->unaryTab()->lookup()->lookup(QStringLiteral("42"), 60000, 30000);
        auto* events = window->findChild<ServerStreamingTab*>();
        auto* uploads = window->findChild<ClientStreamingTab*>();
        auto* chat = window->findChild<BidiChatTab*>();
        auto* lab = window->findChild<FlowLabTab*>();
        QVERIFY(events && uploads && chat && lab);
        events->setFilter(QDateTime::currentDateTimeUtc().toString(Qt::ISODate), {}, true);
        events->startStream();
        uploads->setFilePath(path);
        uploads->findChild<QSpinBox*>(QStringLiteral("delaySpin"))->setValue(200);
        uploads->startUpload();
        chat->findChild<QLineEdit*>(QStringLiteral("nameEdit"))->setText(QStringLiteral("ada"));
        chat->joinRoom();
        const QList<FlowPreset> presets = FlowLabTab::presets();
        const auto paused = std::find_if(presets.cbegin(), presets.cend(), [](const FlowPreset& preset) {
            return preset.settings.paused && preset.settings.scenario == FlowScenario::ServerToClient;
        });
        QVERIFY(paused != presets.cend());
        lab->runPreset(int(paused - presets.cbegin()));

        QVERIFY(window->unaryTab()->lookup()->busy());
        // A live event has arrived (the bundled server makes 3 a second) and upload chunks have gone.
        QTRY_VERIFY_WITH_TIMEOUT(events->stream()->counters().received > 0 && uploads->call()->progress().sentBytes > 0,
                                 20000);
        QVERIFY(events->stream()->active());
        QTRY_COMPARE_WITH_TIMEOUT(chat->session()->state(), ChatSession::State::Joined, 20000);
        QTRY_VERIFY_WITH_TIMEOUT(lab->lab()->running() && lab->lab()->summary().senderBytes > 0, 20000);
        QVERIFY(uploads->call()->active());
        // Lookup, events, upload, chat, lab (Produce + its Watch) on top of what ran before.
        QVERIFY2(CallTracker::inFlight() >= before + 6, qPrintable(QString::number(CallTracker::inFlight())));

        QElapsedTimer clock;
        clock.start();
        window->close();
        window.reset();
        const qint64 took = clock.elapsed();
        qInfo("closing with every tab busy took %lld ms", took);
        QVERIFY2(took < 1000, qPrintable(QStringLiteral("closing took %1 ms").arg(took)));
        QVERIFY(CallTracker::waitForAll(std::chrono::milliseconds(1000)));
    }

    void remembersDeadlineAndServers()
    {
        StartOptions options;
        options.port = 0;
        options.dataDir = m_data.path();
        {
            MainWindow window(options);
            QSignalSpy ready(&window, &MainWindow::serverReady);
            window.show();
            QVERIFY(ready.wait(20000));
            window.unaryTab()->findChild<QSpinBox*>(QStringLiteral("deadlineSpin"))->setValue(1234);
            window.close();
        }
        MainWindow again(options);
        QCOMPARE(again.unaryTab()->findChild<QSpinBox*>(QStringLiteral("deadlineSpin"))->value(), 1234);
        QVERIFY(!QSettings().value(QStringLiteral("connection/history")).toStringList().isEmpty());
        again.close();
    }

    void ctrlDigitSwitchesTabs()
    {
        StartOptions options;
        options.port = 0;
        options.dataDir = m_data.path();
        options.noServer = true;
        MainWindow window(options);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto* tabs = window.findChild<QTabWidget*>(QStringLiteral("tabs"));
        QVERIFY(tabs);
        QCOMPARE(tabs->count(), 5);
        for (int i : {2, 4, 0, 3, 1}) {
            QTest::keyClick(&window, Qt::Key(Qt::Key_1 + i), Qt::ControlModifier);
            QCOMPARE(tabs->currentIndex(), i);
        }
        window.close();
    }

private:
    QTemporaryDir m_data;
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
