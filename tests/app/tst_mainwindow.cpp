// The main window: the bundled server starts by default and the app connects
// to it; closing with a call in flight cancels it and exits promptly; the
// deadline and the server history are remembered.
#include "CallTracker.h"
#include "MainWindow.h"
#include "UnaryTab.h"
#include "UserLookup.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
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

private:
    QTemporaryDir m_data;
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
