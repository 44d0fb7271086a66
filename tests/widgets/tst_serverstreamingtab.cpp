// The server streaming tab, offscreen, against a real server: start → rows
// appear → OK; follow → Stop → CANCELLED with the rows kept; Escape stops
// too; a bad `after` shows the server's INVALID_ARGUMENT message; no type
// checked is refused before any call; pause shows the server's blocked write;
// auto-scroll follows the newest row unless the user scrolled up; export;
// settings round trip.

#include "CallTimelineModel.h"
#include "CallTimelineWidget.h"
#include "Connection.h"
#include "ServerState.h"
#include "ServerStreamingTab.h"
#include "TestServer.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QSpinBox>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QScrollBar>
#include <QSettings>
#include <QSignalSpy>
#include <QTableView>
#include <QtTest>

using namespace streamlab;
using namespace streamlab::test;

class TestServerStreamingTab : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void startShowsRowsThenOk();
    void stopCancelsAndKeepsRows();
    void escapeStops();
    void badAfterShowsServerMessage();
    void serverGoingAwayShowsUnavailableAndKeepsRows();
    void noTypeCheckedIsRefused();
    void typeFilterAndCap();
    void pauseShowsServerBlockedWrite();
    void followsNewestUnlessScrolledUp();
    void exportWritesFileAndReportsErrors();
    void settingsRoundTrip();
    void typesListScrollsOnlyInAShortWindow();

private:
    QPushButton* button(const char* name) const { return m_tab->findChild<QPushButton*>(QLatin1String(name)); }
    qint64 history() const { return m_server->state()->events->count(); }

    std::unique_ptr<TestServer> m_server;
    std::unique_ptr<Connection> m_connection;
    std::unique_ptr<ServerStreamingTab> m_tab;
};

void TestServerStreamingTab::initTestCase()
{
    m_server = std::make_unique<TestServer>(3000);
    m_server->config.eventRatePerSecond = 200;
    QVERIFY(m_server->start());
    m_connection = std::make_unique<Connection>();
    QString error;
    QVERIFY(m_connection->connectTo(QString::fromStdString(m_server->address()), &error));
}

void TestServerStreamingTab::init()
{
    m_tab = std::make_unique<ServerStreamingTab>(m_connection.get());
    m_tab->resize(1100, 750);
    m_tab->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_tab.get()));
}

void TestServerStreamingTab::cleanup()
{
    if (m_tab && m_tab->stream()->active()) {
        m_tab->stopStream();
        QTRY_VERIFY_WITH_TIMEOUT(!m_tab->stream()->active(), 10000);
    }
    m_tab.reset();
    // Every call of the test has ended on the server too.
    QTRY_COMPARE_WITH_TIMEOUT(m_server->state()->stats.activeCalls(), 0u, 10000);
}

void TestServerStreamingTab::startShowsRowsThenOk()
{
    const qint64 expected = history();
    m_tab->setFilter(QStringLiteral("2024-01-01T00:00"), {}, false);
    QTest::mouseClick(button("startButton"), Qt::LeftButton);
    QVERIFY(m_tab->stream()->active());
    QVERIFY(!button("startButton")->isEnabled());
    QVERIFY(button("stopButton")->isEnabled());
    QCOMPARE(m_tab->statusCode(), QStringLiteral("STREAMING"));
    QTRY_COMPARE_WITH_TIMEOUT(m_tab->statusCode(), QStringLiteral("OK"), 30000);
    QCOMPARE(qint64(m_tab->model()->rowCount()), expected);
    QVERIFY2(m_tab->statusMessage().contains(QLocale().toString(expected)), qPrintable(m_tab->statusMessage()));
    QVERIFY(button("startButton")->isEnabled());
    QVERIFY(!button("stopButton")->isEnabled());
    QVERIFY(!button("pauseButton")->isEnabled());
    // Counters and the call timeline.
    auto* received = m_tab->findChild<QLabel*>(QStringLiteral("receivedValue"));
    QVERIFY(received->text().contains(QLocale().toString(expected)));
    auto* first = m_tab->findChild<QLabel*>(QStringLiteral("firstValue"));
    QVERIFY2(first->text().startsWith(QStringLiteral("after")), qPrintable(first->text()));
    auto* timeline = m_tab->findChild<CallTimelineWidget*>();
    QVERIFY(timeline->model()->rowCount() >= 3);   // started, received, finished
    QVERIFY(timeline->summaryText().contains(QStringLiteral("ListEvents")));
    // The newest row is in view.
    QTableView* view = m_tab->view();
    QTRY_COMPARE(view->verticalScrollBar()->value(), view->verticalScrollBar()->maximum());
    QVERIFY(m_tab->isFollowingNewest());
}

void TestServerStreamingTab::stopCancelsAndKeepsRows()
{
    const qint64 stored = history();
    m_tab->setFilter(QStringLiteral("2024-01-01T00:00"), {}, true);
    QTest::keyClick(m_tab->findChild<QLineEdit*>(QStringLiteral("afterEdit")), Qt::Key_Return);   // Enter starts
    QTRY_VERIFY_WITH_TIMEOUT(m_tab->model()->rowCount() > stored + 10, 30000);   // history, then live
    QVERIFY(m_tab->model()->rowAt(m_tab->model()->rowCount() - 1).live);
    QTest::mouseClick(button("stopButton"), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(m_tab->statusCode(), QStringLiteral("CANCELLED"), 10000);
    QVERIFY(m_tab->model()->rowCount() > stored + 10);
    QVERIFY2(m_tab->statusMessage().contains(QStringLiteral("kept")), qPrintable(m_tab->statusMessage()));
    QVERIFY(!m_tab->stream()->active());
    QVERIFY(button("startButton")->isEnabled());
}

void TestServerStreamingTab::escapeStops()
{
    m_tab->setFilter(QStringLiteral("2024-01-01"), {}, true);
    m_tab->startStream();
    QTRY_VERIFY_WITH_TIMEOUT(m_tab->model()->rowCount() > 0, 30000);
    m_tab->view()->setFocus();
    QTest::keyClick(m_tab->view(), Qt::Key_Escape);
    QTRY_COMPARE_WITH_TIMEOUT(m_tab->statusCode(), QStringLiteral("CANCELLED"), 10000);
}

void TestServerStreamingTab::badAfterShowsServerMessage()
{
    m_tab->setFilter(QStringLiteral("2024-13-45"), {}, false);
    m_tab->startStream();
    QTRY_COMPARE_WITH_TIMEOUT(m_tab->statusCode(), QStringLiteral("INVALID_ARGUMENT"), 10000);
    const QString message = m_tab->statusMessage();
    QVERIFY2(message.contains(QStringLiteral("2024-13-45")) && message.contains(QStringLiteral("ISO 8601")), qPrintable(message));
    QCOMPARE(m_tab->model()->rowCount(), 0);
    QVERIFY(button("startButton")->isEnabled());
}

void TestServerStreamingTab::serverGoingAwayShowsUnavailableAndKeepsRows()
{
    TestServer doomed(2000);
    doomed.config.eventRatePerSecond = 100;
    QVERIFY(doomed.start());
    Connection connection;
    QString error;
    QVERIFY(connection.connectTo(QString::fromStdString(doomed.address()), &error));
    ServerStreamingTab tab(&connection);
    tab.show();
    tab.setFilter(QStringLiteral("2024-01-01"), {}, true);
    tab.startStream();
    QTRY_VERIFY_WITH_TIMEOUT(tab.model()->rowCount() > 2000, 30000);
    doomed.stop();
    QTRY_COMPARE_WITH_TIMEOUT(tab.statusCode(), QStringLiteral("UNAVAILABLE"), 15000);
    QVERIFY(tab.model()->rowCount() > 2000);
    QVERIFY2(tab.statusMessage().contains(QStringLiteral("unavailable")) && tab.statusMessage().contains(QStringLiteral("kept")),
             qPrintable(tab.statusMessage()));
    QVERIFY(!tab.stream()->active());
}

void TestServerStreamingTab::noTypeCheckedIsRefused()
{
    auto* types = m_tab->findChild<QListWidget*>(QStringLiteral("typesList"));
    for (int i = 0; i < types->count(); ++i)
        types->item(i)->setCheckState(Qt::Unchecked);
    m_tab->startStream();
    QVERIFY(!m_tab->stream()->active());
    QCOMPARE(m_tab->statusCode(), QStringLiteral("CHECK FILTER"));
    QVERIFY(m_tab->statusMessage().contains(QStringLiteral("at least one")));
}

void TestServerStreamingTab::typeFilterAndCap()
{
    m_tab->setCapacity(100);
    m_tab->setFilter(QStringLiteral("2024-01-01"), {QStringLiteral("user.login"), QStringLiteral("sensor.reading")}, false);
    m_tab->startStream();
    QTRY_COMPARE_WITH_TIMEOUT(m_tab->statusCode(), QStringLiteral("OK"), 30000);
    const qint64 received = m_tab->stream()->counters().received;
    QVERIFY(received > 100);
    QCOMPARE(m_tab->model()->rowCount(), 100);   // the newest 100 kept
    QCOMPARE(m_tab->model()->droppedRows(), received - 100);
    for (int row = 0; row < m_tab->model()->rowCount(); ++row) {
        const QString type = m_tab->model()->rowAt(row).type;
        QVERIFY2(type == QStringLiteral("user.login") || type == QStringLiteral("sensor.reading"), qPrintable(type));
    }
    auto* rows = m_tab->findChild<QLabel*>(QStringLiteral("rowsValue"));
    QVERIFY2(rows->text().contains(QStringLiteral("dropped")), qPrintable(rows->text()));
}

void TestServerStreamingTab::pauseShowsServerBlockedWrite()
{
    // A small window, so that the live stream (200 events/s) fills it in well under a second.
    m_tab->setReceiveWindow(4096);
    m_tab->setFilter(QDateTime::currentDateTimeUtc().toString(Qt::ISODate), {}, true);
    m_tab->startStream();
    QTRY_VERIFY_WITH_TIMEOUT(m_tab->model()->rowCount() > 5, 30000);
    QTest::mouseClick(button("pauseButton"), Qt::LeftButton);
    QVERIFY(m_tab->stream()->isPaused());
    QCOMPARE(button("pauseButton")->text(), QStringLiteral("&Resume"));
    QCOMPARE(m_tab->statusCode(), QStringLiteral("PAUSED"));
    QTRY_VERIFY_WITH_TIMEOUT(!m_tab->stallText().isEmpty(), 10000);
    // Measured on the server: the blocked write, shown as it climbs.
    QTRY_VERIFY2_WITH_TIMEOUT(m_tab->stallText().contains(QStringLiteral("Server write blocked for")), qPrintable(m_tab->stallText()), 15000);
    QVERIFY(m_tab->stallText().contains(QStringLiteral("flow-control window is full because the app stopped reading")));
    const ServerWriteState blocked = m_tab->stream()->serverWriteState();
    QVERIFY(blocked.writePending);
    QTRY_VERIFY_WITH_TIMEOUT(m_tab->stream()->serverWriteState().currentWriteBlockedMs >= blocked.currentWriteBlockedMs + 300, 15000);
    const int rowsWhilePaused = m_tab->model()->rowCount();

    QTest::mouseClick(button("pauseButton"), Qt::LeftButton);   // resume
    QVERIFY(!m_tab->stream()->isPaused());
    QCOMPARE(button("pauseButton")->text(), QStringLiteral("&Pause"));
    QVERIFY(m_tab->stallText().isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(m_tab->model()->rowCount() > rowsWhilePaused + 20, 15000);   // the backlog drains
    m_tab->stopStream();
    QTRY_COMPARE_WITH_TIMEOUT(m_tab->statusCode(), QStringLiteral("CANCELLED"), 10000);
}

void TestServerStreamingTab::followsNewestUnlessScrolledUp()
{
    const qint64 stored = history();
    m_tab->setFilter(QStringLiteral("2024-01-01"), {}, true);
    m_tab->startStream();
    QTableView* view = m_tab->view();
    QScrollBar* bar = view->verticalScrollBar();
    QTRY_VERIFY_WITH_TIMEOUT(m_tab->model()->rowCount() > stored, 30000);
    QTRY_COMPARE(bar->value(), bar->maximum());
    // The user scrolls up: the view stays where they are while rows keep coming.
    bar->setValue(10);
    QVERIFY(!m_tab->isFollowingNewest());
    const qint64 topId = m_tab->model()->rowAt(view->rowAt(0)).id;
    const int rows = m_tab->model()->rowCount();
    QTRY_VERIFY_WITH_TIMEOUT(m_tab->model()->rowCount() > rows + 10, 10000);
    QCOMPARE(m_tab->model()->rowAt(view->rowAt(0)).id, topId);
    // Back at the bottom: following again.
    bar->setValue(bar->maximum());
    QVERIFY(m_tab->isFollowingNewest());
    const int now = m_tab->model()->rowCount();
    QTRY_VERIFY_WITH_TIMEOUT(m_tab->model()->rowCount() > now + 10, 10000);
    QTRY_COMPARE(bar->value(), bar->maximum());
}

void TestServerStreamingTab::exportWritesFileAndReportsErrors()
{
    m_tab->setFilter(QStringLiteral("2024-01-01"), {QStringLiteral("alert.raised")}, false);
    m_tab->startStream();
    QTRY_COMPARE_WITH_TIMEOUT(m_tab->statusCode(), QStringLiteral("OK"), 30000);
    const int rows = m_tab->model()->rowCount();
    QVERIFY(rows > 0);
    QTemporaryDir dir;
    QSignalSpy done(m_tab.get(), &ServerStreamingTab::exportFinished);
    const QString csv = dir.filePath(QStringLiteral("alerts.csv"));
    m_tab->exportTo(csv, EventTableModel::ExportFormat::Csv);
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 10000);
    QCOMPARE(done.at(0).at(0).toString(), QString());
    QFile file(csv);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll().count('\n'), rows + 1);   // header + one line per row
    auto* status = m_tab->findChild<QLabel*>(QStringLiteral("exportStatus"));
    QVERIFY2(status->text().contains(QStringLiteral("Exported")), qPrintable(status->text()));

    // An unwritable place: a clear message, the rows still there.
    const QString bad = dir.filePath(QStringLiteral("missing/folder/alerts.json"));
    m_tab->exportTo(bad, EventTableModel::ExportFormat::Json);
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 2, 10000);
    const QString error = done.at(1).at(0).toString();
    QVERIFY2(error.contains(QStringLiteral("Could not write")) && error.contains(bad), qPrintable(error));
    QCOMPARE(status->text(), error);
    QCOMPARE(m_tab->model()->rowCount(), rows);
    QVERIFY(button("exportJsonButton")->isEnabled());
}

// Every type in view where there is room; in a laptop's short window four
// of them and a scroll bar, so the tab itself need not scroll.
void TestServerStreamingTab::typesListScrollsOnlyInAShortWindow()
{
    QWidget window;   // a child widget gets exactly the size it is given
    ServerStreamingTab tab(m_connection.get(), &window);
    window.resize(1160, 900);
    tab.resize(1160, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto* types = tab.findChild<QListWidget*>(QStringLiteral("typesList"));
    QVERIFY(types && types->count() >= 5);
    const int row = types->sizeHintForRow(0);
    QTRY_VERIFY(!types->verticalScrollBar()->isVisible());
    QVERIFY2(types->viewport()->height() >= row * types->count(), qPrintable(QString::number(types->viewport()->height())));

    tab.resize(1160, 600);
    QApplication::processEvents();
    QVERIFY2(tab.minimumSizeHint().height() <= 600, qPrintable(QString::number(tab.minimumSizeHint().height())));
    QTRY_VERIFY(types->verticalScrollBar()->isVisible());
    QVERIFY2(types->viewport()->height() >= row * 4, qPrintable(QString::number(types->viewport()->height())));
}

void TestServerStreamingTab::settingsRoundTrip()
{
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("settings.ini"));
    m_tab->setFilter(QStringLiteral("2024-06-01T12:00"), {QStringLiteral("order.created")}, true);
    m_tab->setCapacity(5000);
    m_tab->setReceiveWindow(16384);
    {
        QSettings settings(file, QSettings::IniFormat);
        m_tab->saveSettings(settings);
    }
    ServerStreamingTab other(m_connection.get());
    QSettings settings(file, QSettings::IniFormat);
    other.restoreSettings(settings);
    EventQuery query;
    QString error;
    QVERIFY(other.buildQuery(&query, &error));
    QCOMPARE(query.after, QStringLiteral("2024-06-01T12:00"));
    QCOMPARE(query.types, QStringList{QStringLiteral("order.created")});
    QVERIFY(query.follow);
    QCOMPARE(query.receiveWindowBytes, 16384);
    QCOMPARE(other.findChild<QSpinBox*>(QStringLiteral("capSpin"))->value(), 5000);
}

QTEST_MAIN(TestServerStreamingTab)
#include "tst_serverstreamingtab.moc"
