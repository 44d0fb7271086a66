// The main window: the bundled server starts by default and the app connects
// to it; closing with a call in flight cancels it and exits promptly; the
// deadline and the server history are remembered.
#include "BidiChatTab.h"
#include "CallTracker.h"
#include "ChatSession.h"
#include "ClientStreamingTab.h"
#include "ElidedLabel.h"
#include "FlowLabTab.h"
#include "LabTab.h"
#include "MainWindow.h"
#include "StatusBadge.h"
#include "ServerStreamingTab.h"
#include "UnaryTab.h"
#include "UserLookup.h"

#include <QComboBox>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSplitter>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTabWidget>
#include <QtTest>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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
        const StartOptions options = startOptions();
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
        const StartOptions options = startOptions();
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
        QVERIFY(writeFile(path, qint64(64) << 20));
        const StartOptions options = startOptions();
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

    void unreachableServerIsExplained()
    {
        MainWindow window(startOptions());
        QSignalSpy ready(&window, &MainWindow::serverReady);
        window.show();
        QVERIFY(ready.wait(20000));
        auto* message = window.findChild<ElidedLabel*>(QStringLiteral("messageLabel"));
        auto* target = window.findChild<QComboBox*>(QStringLiteral("targetCombo"));
        auto* bundled = window.findChild<QPushButton*>(QStringLiteral("bundledButton"));
        QVERIFY(message && target && bundled);
        QTRY_VERIFY_WITH_TIMEOUT(message->text().contains(QStringLiteral("connected")), 10000);

        // A port nothing listens on, entered as a user does: the bar says why
        // in a few words, and no longer describes the bundled server.
        const QString closed = closedLoopbackAddress();
        QVERIFY(!closed.isEmpty());
        target->setCurrentText(closed);
        QTest::keyClick(target->lineEdit(), Qt::Key_Return);
        QTRY_VERIFY_WITH_TIMEOUT(message->text().contains(QStringLiteral("connection refused")), 10000);
        QVERIFY2(message->text().contains(closed), qPrintable(message->text()));
        QVERIFY2(!message->text().contains(QStringLiteral("last error")), qPrintable(message->text()));

        // Back on the bundled server: its description returns.
        QTest::mouseClick(bundled, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(message->text().contains(QStringLiteral("connected")), 10000);
        window.close();
    }

    void windowTitleSaysWhichServer()
    {
        MainWindow first(startOptions());
        QSignalSpy ready(&first, &MainWindow::serverReady);
        first.show();
        QVERIFY(ready.wait(20000));
        const QString address = ready.at(0).at(0).toString();
        QCOMPARE(first.windowTitle(), QStringLiteral("%1 (bundled server)").arg(address));

        // A second copy started on the same port joins the first's server:
        // the two windows tell themselves apart.
        QTemporaryDir otherData;
        StartOptions options = startOptions();
        options.port = address.section(QLatin1Char(':'), -1).toInt();
        options.dataDir = otherData.path();
        MainWindow second(options);
        QSignalSpy secondReady(&second, &MainWindow::serverReady);
        second.show();
        QVERIFY(secondReady.wait(20000));
        QCOMPARE(second.windowTitle(), QStringLiteral("%1 (another copy's server)").arg(address));

        // Any other server: its address.
        const QString closed = closedLoopbackAddress();
        auto* target = second.findChild<QComboBox*>(QStringLiteral("targetCombo"));
        target->setCurrentText(closed);
        QTest::keyClick(target->lineEdit(), Qt::Key_Return);
        QTRY_COMPARE(second.windowTitle(), closed);
        second.close();
        first.close();
    }

    void remembersDeadlineAndServers()
    {
        const StartOptions options = startOptions();
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
        MainWindow window(startOptions(false));
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

    // 1366×768 less a panel and a title bar, and two windows side by side on
    // a 1920-pixel screen: the window goes that small, its tabs scroll rather
    // than squeeze, and the connection bar's lines elide without overlapping.
    void fitsSmallScreens()
    {
        MainWindow window(startOptions(false));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        const QSize minimum = window.minimumSizeHint();
        QVERIFY2(minimum.width() <= 940 && minimum.height() <= 680,
                 qPrintable(QStringLiteral("minimum %1×%2").arg(minimum.width()).arg(minimum.height())));

        const QSize small(std::max(minimum.width(), 700), 600);
        window.resize(small);
        QTRY_COMPARE(window.size(), small);
        auto* tabs = window.findChild<QTabWidget*>(QStringLiteral("tabs"));
        for (int i = 0; i < tabs->count(); ++i) {
            tabs->setCurrentIndex(i);
            auto* scroll = qobject_cast<QScrollArea*>(tabs->widget(i));
            QVERIFY2(scroll && qobject_cast<LabTab*>(scroll->widget()), qPrintable(tabs->tabText(i)));
            QWidget* content = scroll->widget();
            QTRY_VERIFY(content->isVisible());
            // Not squeezed below what it needs: the tab scrolls instead; and
            // where it fits, no scrolling (the page has no frame: its size is the room).
            const QSize needs = content->minimumSizeHint();
            if (needs.width() <= scroll->width() && needs.height() <= scroll->height())
                QTRY_COMPARE(content->size(), scroll->size());
            auto sizes = [&] {
                return tabs->tabText(i) + QStringLiteral(": %1×%2, needs %3×%4").arg(content->width()).arg(content->height())
                                              .arg(content->minimumSizeHint().width()).arg(content->minimumSizeHint().height());
            };
            QTRY_VERIFY2(content->height() >= content->minimumSizeHint().height() && content->width() >= content->minimumSizeHint().width(),
                         qPrintable(sizes()));
            // Up and down only: a tab whose parts sit side by side stacks them.
            QTRY_VERIFY2(!scroll->horizontalScrollBar()->isVisible(), qPrintable(sizes()));
            // Nor is any part of it, however deep (wrapped text takes more
            // height when narrow; a splitter does not ask for it).
            QTRY_VERIFY2(squeezedParts(content).isEmpty(),
                         qPrintable(tabs->tabText(i) + QStringLiteral(": ") + squeezedParts(content).join(QStringLiteral("; "))));
        }
        // The upload tab stacks its form and progress only when they do not fit side by side.
        auto* upload = window.findChild<ClientStreamingTab*>();
        tabs->setCurrentWidget(upload->parentWidget()->parentWidget());   // its page (a tab's size follows only while shown)
        QVERIFY(upload->stacked());
        window.resize(1180, 800);
        QTRY_VERIFY(!upload->stacked());
        QTRY_VERIFY(squeezedParts(upload).isEmpty());
        window.resize(small);
        QTRY_VERIFY(upload->stacked());

        // The widest state the badge shows must not widen the window.
        window.connection()->connectTo(QStringLiteral("127.0.0.1:1"), nullptr);
        QWidget* bar = window.findChild<QWidget*>(QStringLiteral("connectionBar"));
        auto* badge = bar->findChild<StatusBadge*>(QStringLiteral("stateBadge"));
        QTRY_COMPARE_WITH_TIMEOUT(badge->text(), QStringLiteral("TRANSIENT_FAILURE"), 10000);
        QVERIFY2(window.minimumSizeHint().width() <= small.width(), qPrintable(QString::number(window.minimumSizeHint().width())));
        QRect previous;
        for (const char* name : {"targetCombo", "connectButton", "bundledButton", "stateBadge", "messageLabel", "bundledLabel"}) {
            auto* widget = bar->findChild<QWidget*>(QString::fromLatin1(name));
            QVERIFY2(widget, name);
            QVERIFY2(!widget->geometry().intersects(previous), name);
            QVERIFY2(widget->geometry().right() < bar->width(), name);
            previous = widget->geometry();
        }
        window.close();
    }

    // In a short window the upload tab is stacked and its result below the
    // fold: when the upload ends, the page shows the match mark, and focus
    // is on Upload (Qt would have passed it from the disabled Cancel down
    // to the stored uploads).
    void uploadResultInViewInAShortWindow()
    {
        QTemporaryDir files;
        QVERIFY(files.isValid());
        const QString path = files.filePath(QStringLiteral("short-window.bin"));
        QVERIFY(writeFile(path, 300 * 1024));
        MainWindow window(startOptions());
        QSignalSpy ready(&window, &MainWindow::serverReady);
        window.resize(700, 560);
        window.show();
        QVERIFY(QTest::qWaitForWindowActive(&window));
        QTRY_VERIFY_WITH_TIMEOUT(!ready.isEmpty(), 20000);   // maybe while the window was activated
        QTRY_COMPARE_WITH_TIMEOUT(window.connection()->state(), ChannelState::Ready, 10000);
        auto* tabs = window.findChild<QTabWidget*>(QStringLiteral("tabs"));
        auto* upload = window.findChild<ClientStreamingTab*>();
        auto* page = qobject_cast<QScrollArea*>(upload->parentWidget()->parentWidget());
        tabs->setCurrentWidget(page);
        QTRY_VERIFY(upload->stacked());
        auto* mark = upload->findChild<QLabel*>(QStringLiteral("matchLabel"));
        auto inView = [&] {
            const QRect shown(mark->mapTo(page->viewport(), QPoint(0, 0)), mark->size());
            return page->viewport()->rect().contains(shown);
        };
        QVERIFY(!inView());   // below the fold to begin with, or this proves nothing
        upload->setFilePath(path);
        upload->startUpload();
        QTRY_VERIFY_WITH_TIMEOUT(!mark->text().isEmpty(), 20000);
        QVERIFY2(mark->text().contains(QStringLiteral("match")), qPrintable(mark->text()));
        QTRY_VERIFY(inView());
        QVERIFY(upload->findChild<QPushButton*>(QStringLiteral("uploadButton"))->hasFocus());
        window.close();
    }

private:
    // A file of `bytes` bytes, written a MiB at a time.
    static bool writeFile(const QString& path, qint64 bytes)
    {
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly))
            return false;
        const QByteArray block(1 << 20, 'u');
        for (qint64 left = bytes; left > 0; left -= block.size()) {
            const qint64 n = std::min<qint64>(left, block.size());
            if (file.write(block.constData(), n) != n)
                return false;
        }
        return true;
    }

    // Widgets under `root` that their layout (or splitter) gave less height
    // than they need at their width, or that overlap a sibling: what a user
    // sees as a cut-off or overdrawn part.
    static QStringList squeezedParts(QWidget* root)
    {
        QStringList found;
        auto name = [](const QWidget* w) {
            return w->objectName().isEmpty() ? QString::fromLatin1(w->metaObject()->className()) : w->objectName();
        };
        std::function<void(QLayout*, QList<QWidget*>*)> collect = [&](QLayout* layout, QList<QWidget*>* out) {
            for (int i = 0; i < layout->count(); ++i) {
                QLayoutItem* item = layout->itemAt(i);
                if (item->widget())
                    out->append(item->widget());
                else if (item->layout())
                    collect(item->layout(), out);
            }
        };
        std::function<void(QWidget*)> visit = [&](QWidget* parent) {
            QList<QWidget*> managed;
            if (parent->layout())
                collect(parent->layout(), &managed);
            if (auto* splitter = qobject_cast<QSplitter*>(parent))
                for (int i = 0; i < splitter->count(); ++i)
                    managed.append(splitter->widget(i));
            QList<QWidget*> shown;
            for (QWidget* w : managed)
                if (w->isVisibleTo(parent))
                    shown.append(w);
            for (int a = 0; a < shown.size(); ++a) {
                QWidget* w = shown[a];
                // As layouts count it: a set minimum height wins over the hint.
                int needs = w->minimumHeight() > 0 ? w->minimumHeight() : w->minimumSizeHint().height();
                if (w->layout() && w->layout()->hasHeightForWidth())   // the least it can do with at this width
                    needs = std::max(needs, w->layout()->totalMinimumHeightForWidth(w->width()));
                else if (qobject_cast<QLabel*>(w) && w->hasHeightForWidth())   // word-wrapped text (a text box scrolls)
                    needs = std::max(needs, w->heightForWidth(w->width()));
                needs = std::min(needs, w->maximumHeight());
                if (w->sizePolicy().verticalPolicy() != QSizePolicy::Ignored && w->height() < needs)
                    found << QStringLiteral("%1 is %2 px high, needs %3").arg(name(w)).arg(w->height()).arg(needs);
                const int needsWidth = std::min(w->minimumWidth() > 0 ? w->minimumWidth() : w->minimumSizeHint().width(), w->maximumWidth());
                if (w->sizePolicy().horizontalPolicy() != QSizePolicy::Ignored && w->width() < needsWidth)
                    found << QStringLiteral("%1 is %2 px wide, needs %3").arg(name(w)).arg(w->width()).arg(needsWidth);
                for (int b = a + 1; b < shown.size(); ++b)
                    if (w->geometry().intersects(shown[b]->geometry()))
                        found << QStringLiteral("%1 overlaps %2").arg(name(w), name(shown[b]));
                visit(w);
            }
        };
        visit(root);
        return found;
    }

    // Any free port, this test's data directory; the bundled server or none.
    // 127.0.0.1 and a port the kernel just handed out and nothing listens on.
    static QString closedLoopbackAddress()
    {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        const bool ok = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0
            && ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
        if (fd >= 0)
            ::close(fd);
        return ok ? QStringLiteral("127.0.0.1:%1").arg(ntohs(address.sin_port)) : QString();
    }

    StartOptions startOptions(bool withServer = true) const
    {
        StartOptions options;
        options.port = 0;
        options.dataDir = m_data.path();
        options.noServer = !withServer;
        return options;
    }

    QTemporaryDir m_data;
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
