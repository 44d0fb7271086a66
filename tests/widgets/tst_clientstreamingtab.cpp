// The client streaming tab offscreen, against a real server on loopback:
// driven through its buttons and keys as a user would (upload with Enter,
// cancel, resume, a drop, a generated test file), checking what it shows
// (the SHA-256 match mark, bytes received, the stored uploads list, clear
// messages for bad input and the server's errors) and what it remembers.
#include "ClientStreamingTab.h"
#include "Connection.h"
#include "ServerState.h"
#include "StatusBadge.h"
#include "TestFileWriter.h"
#include "TestServer.h"
#include "UploadCall.h"
#include "UploadListModel.h"

#include <QAbstractItemModelTester>
#include <QCryptographicHash>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QRandomGenerator>
#include <QSettings>
#include <QSpinBox>
#include <QTemporaryDir>
#include "RandomFile.h"

#include <QtTest>

using namespace streamlab;
using streamlab::test::TestServer;
using streamlab::test::writeRandomFile;

namespace {

constexpr int kWaitMs = 60000;


} // namespace

class TestClientStreamingTab : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void cleanup();
    void uploadWithEnterShowsTheMatchAndTheList();
    void emptyFileUploadsAsZeroBytes();
    void badInputGetsAClearMessage();
    void cancelThenResumeSendsOnlyTheRest();
    void escapeCancels();
    void dropChoosesTheFile();
    void generatedTestFileIsChosen();
    void overTheCapShowsResourceExhausted();
    void settingsRoundTrip();

private:
    template <typename T>
    T* child(const char* name) const
    {
        T* found = m_tab->findChild<T*>(QLatin1String(name));
        if (!found)
            qFatal("no child %s", name);
        return found;
    }
    QString statusText() const { return child<QLabel>("statusText")->text(); }
    QString badgeText() const { return child<StatusBadge>("uploadBadge")->text(); }

    QTemporaryDir m_files;
    std::unique_ptr<TestServer> m_server;
    std::unique_ptr<Connection> m_connection;
    std::unique_ptr<ClientStreamingTab> m_tab;
    std::unique_ptr<QAbstractItemModelTester> m_modelTester;
};

void TestClientStreamingTab::initTestCase()
{
    QVERIFY(m_files.isValid());
    m_server = std::make_unique<TestServer>(10);
    QVERIFY(m_server->start());
    m_connection = std::make_unique<Connection>();
    QString error;
    QVERIFY(m_connection->connectTo(QString::fromStdString(m_server->address()), &error));
}

void TestClientStreamingTab::cleanupTestCase()
{
    m_tab.reset();
    m_connection.reset();
    m_server->stop();
}

void TestClientStreamingTab::init()
{
    m_tab = std::make_unique<ClientStreamingTab>(m_connection.get());
    m_modelTester = std::make_unique<QAbstractItemModelTester>(m_tab->uploadsModel(),
                                                               QAbstractItemModelTester::FailureReportingMode::QtTest);
    m_tab->resize(1200, 800);
    m_tab->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_tab.get()));
}

void TestClientStreamingTab::cleanup()
{
    m_modelTester.reset();
    m_tab.reset();
}

void TestClientStreamingTab::uploadWithEnterShowsTheMatchAndTheList()
{
    const QString path = m_files.filePath(QStringLiteral("enter.bin"));
    const QString expected = writeRandomFile(path, 3 * 1000 * 1000 + 17, 1);
    auto* fileEdit = child<QLineEdit>("fileEdit");
    fileEdit->setFocus();
    QTest::keyClicks(fileEdit, path);
    QCOMPARE(m_tab->filePath(), path);
    QVERIFY(child<QLabel>("fileInfoLabel")->text().contains(QStringLiteral("3.0 MB")));
    QVERIFY(child<QPushButton>("uploadButton")->isEnabled());
    QTest::keyClick(fileEdit, Qt::Key_Return);

    QTRY_VERIFY_WITH_TIMEOUT(child<QLabel>("matchLabel")->text().contains(QStringLiteral("SHA-256 match")), kWaitMs);
    QCOMPARE(badgeText(), QStringLiteral("OK"));
    QCOMPARE(child<QLabel>("serverShaValue")->text(), expected);
    QCOMPARE(child<QLabel>("clientShaValue")->text(), expected);
    QVERIFY(child<QLabel>("receivedValue")->text().contains(QLocale().toString(3 * 1000 * 1000 + 17)));
    QCOMPARE(child<QProgressBar>("progressBar")->value(), 1000);
    QVERIFY(child<QLabel>("sentValue")->text().startsWith(QStringLiteral("3.0 MB of 3.0 MB")));
    QVERIFY(!child<QPushButton>("cancelButton")->isEnabled());
    QVERIFY(!child<QPushButton>("resumeButton")->isEnabled());
    QVERIFY(!m_tab->canResume());

    // The list follows: the new upload is there, selected.
    UploadListModel* model = m_tab->uploadsModel();
    QTRY_VERIFY_WITH_TIMEOUT(model->rowOf(m_tab->call()->uploadId()) >= 0, kWaitMs);
    const StoredUploadInfo stored = model->upload(model->rowOf(m_tab->call()->uploadId()));
    QCOMPARE(stored.name, QStringLiteral("enter.bin"));
    QCOMPARE(stored.size, 3 * 1000 * 1000 + 17);
    QCOMPARE(stored.sha256, expected);
    QVERIFY(child<QLabel>("uploadsStatus")->text().contains(QStringLiteral("upload")));
}

void TestClientStreamingTab::emptyFileUploadsAsZeroBytes()
{
    const QString path = m_files.filePath(QStringLiteral("empty.bin"));
    const QString expected = writeRandomFile(path, 0, 2);
    m_tab->setFilePath(path);
    QTest::mouseClick(child<QPushButton>("uploadButton"), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(child<QLabel>("matchLabel")->text().contains(QStringLiteral("SHA-256 match")), kWaitMs);
    QCOMPARE(child<QLabel>("serverShaValue")->text(), expected);   // SHA-256 of nothing
    QVERIFY2(child<QLabel>("receivedValue")->text().startsWith(QStringLiteral("0 bytes")),
             qPrintable(child<QLabel>("receivedValue")->text()));
    QCOMPARE(child<QProgressBar>("progressBar")->value(), 1000);
}

void TestClientStreamingTab::badInputGetsAClearMessage()
{
    auto* upload = child<QPushButton>("uploadButton");
    QVERIFY(!upload->isEnabled());   // nothing chosen yet

    const QString missing = m_files.filePath(QStringLiteral("not-there.bin"));
    m_tab->setFilePath(missing);
    QVERIFY(child<QLabel>("fileInfoLabel")->text().contains(QStringLiteral("No such file")));
    QTest::mouseClick(upload, Qt::LeftButton);
    QCOMPARE(badgeText(), QStringLiteral("CANNOT START"));
    QVERIFY2(statusText().contains(QStringLiteral("does not exist")) && statusText().contains(QStringLiteral("not-there.bin")),
             qPrintable(statusText()));
    QCOMPARE(m_tab->filePath(), missing);   // what the user typed stays
    QVERIFY(!m_tab->call()->active());

    m_tab->setFilePath(m_files.path());
    QTest::mouseClick(upload, Qt::LeftButton);
    QVERIFY2(statusText().contains(QStringLiteral("folder")), qPrintable(statusText()));
    QVERIFY(!m_tab->call()->active());
}

void TestClientStreamingTab::cancelThenResumeSendsOnlyTheRest()
{
    const qint64 size = 48 * 1000 * 1000;
    const QString path = m_files.filePath(QStringLiteral("resume.bin"));
    const QString expected = writeRandomFile(path, size, 3);
    m_tab->setFilePath(path);
    child<QSpinBox>("delaySpin")->setValue(20);   // the server reads slowly: the upload is surely mid-way
    QTest::mouseClick(child<QPushButton>("uploadButton"), Qt::LeftButton);
    QVERIFY(m_tab->call()->active());
    QCOMPARE(badgeText(), QStringLiteral("UPLOADING"));
    QVERIFY(child<QPushButton>("cancelButton")->isEnabled());
    QVERIFY(!child<QPushButton>("uploadButton")->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(m_tab->call()->progress().sentBytes >= 1'000'000, kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(child<QProgressBar>("progressBar")->value() > 0, kWaitMs);
    QVERIFY(child<QLabel>("rateValue")->text().contains(QStringLiteral("MB/s")));

    QTest::mouseClick(child<QPushButton>("cancelButton"), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(badgeText(), QStringLiteral("CANCELLED"), kWaitMs);
    QVERIFY2(statusText().contains(QStringLiteral("stored no file")), qPrintable(statusText()));
    QVERIFY(m_tab->canResume());
    QVERIFY(child<QPushButton>("resumeButton")->isEnabled());
    // The tab asks the server what it holds.
    auto* resumeLabel = child<QLabel>("resumeLabel");
    QTRY_VERIFY_WITH_TIMEOUT(resumeLabel->text().contains(QStringLiteral("The server holds")), kWaitMs);
    // The bar shows what the server keeps, which Resume starts from.
    auto* bar = child<QProgressBar>("progressBar");
    QVERIFY2(bar->text().startsWith(QStringLiteral("the server holds ")) && bar->value() > 0, qPrintable(bar->text()));
    QTRY_COMPARE_WITH_TIMEOUT(m_server->state()->stats.activeCalls(), 0u, kWaitMs);

    child<QSpinBox>("delaySpin")->setValue(0);
    QTest::mouseClick(child<QPushButton>("resumeButton"), Qt::LeftButton);
    QVERIFY(m_tab->call()->active());
    QTRY_VERIFY_WITH_TIMEOUT(child<QLabel>("matchLabel")->text().contains(QStringLiteral("SHA-256 match")), kWaitMs);
    const UploadOutcome& outcome = m_tab->call()->outcome();
    QVERIFY(outcome.resumedFrom > 0);
    QCOMPARE(outcome.bytesReceived, size - outcome.resumedFrom);
    QCOMPARE(bar->text(), QStringLiteral("100%"));
    QCOMPARE(child<QLabel>("serverShaValue")->text(), expected);
    QVERIFY2(child<QLabel>("receivedValue")->text().contains(QStringLiteral("resumed at")),
             qPrintable(child<QLabel>("receivedValue")->text()));
    QVERIFY(!m_tab->canResume());
    QVERIFY(!resumeLabel->isVisible());
}

void TestClientStreamingTab::escapeCancels()
{
    const QString path = m_files.filePath(QStringLiteral("escape.bin"));
    writeRandomFile(path, 16 * 1000 * 1000, 4);
    m_tab->setFilePath(path);
    child<QSpinBox>("delaySpin")->setValue(50);
    QTest::mouseClick(child<QPushButton>("uploadButton"), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(m_tab->call()->progress().sentBytes > 0, kWaitMs);
    QTest::keyClick(child<QPushButton>("cancelButton"), Qt::Key_Escape);
    QTRY_VERIFY_WITH_TIMEOUT(!m_tab->call()->active(), kWaitMs);
    QCOMPARE(badgeText(), QStringLiteral("CANCELLED"));
}

void TestClientStreamingTab::dropChoosesTheFile()
{
    const QString path = m_files.filePath(QStringLiteral("dropped.bin"));
    writeRandomFile(path, 1000, 5);
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(path)});
    const QPoint at(100, 100);
    QDragEnterEvent enter(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(m_tab.get(), &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(m_tab.get(), &drop);
    QVERIFY(drop.isAccepted());
    QCOMPARE(m_tab->filePath(), path);
    QVERIFY(statusText().contains(QStringLiteral("dropped.bin")));

    // Not a local file: refused.
    QMimeData web;
    web.setUrls({QUrl(QStringLiteral("https://example.com/x.bin"))});
    QDragEnterEvent refused(at, Qt::CopyAction, &web, Qt::LeftButton, Qt::NoModifier);
    refused.setAccepted(false);
    QApplication::sendEvent(m_tab.get(), &refused);
    QVERIFY(!refused.isAccepted());
}

void TestClientStreamingTab::generatedTestFileIsChosen()
{
    const QString path = m_files.filePath(QStringLiteral("generated.bin"));
    m_tab->generateTestFile(path, 5 * 1000 * 1000);
    QTRY_COMPARE_WITH_TIMEOUT(m_tab->filePath(), path, kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(!m_tab->testFileWriter()->busy(), kWaitMs);
    QCOMPARE(QFileInfo(path).size(), 5 * 1000 * 1000);
    QVERIFY(!child<QProgressBar>("generateProgress")->isVisible());
    QVERIFY(child<QLabel>("fileInfoLabel")->text().contains(QStringLiteral("Test file written")));

    // An existing file is never overwritten: a clear message instead.
    m_tab->generateTestFile(path, 10);
    QVERIFY(child<QLabel>("fileInfoLabel")->text().contains(QStringLiteral("already exists")));
    QCOMPARE(QFileInfo(path).size(), 5 * 1000 * 1000);
}

void TestClientStreamingTab::overTheCapShowsResourceExhausted()
{
    TestServer capped(10);
    capped.config.uploadCapBytes = 1 << 20;
    QVERIFY(capped.start());
    Connection connection;
    QString error;
    QVERIFY(connection.connectTo(QString::fromStdString(capped.address()), &error));
    ClientStreamingTab tab(&connection);
    tab.show();
    const QString path = m_files.filePath(QStringLiteral("over-cap.bin"));
    writeRandomFile(path, 2 << 20, 6);
    tab.setFilePath(path);
    tab.startUpload();
    auto* badge = tab.findChild<StatusBadge*>(QStringLiteral("uploadBadge"));
    QTRY_COMPARE_WITH_TIMEOUT(badge->text(), QStringLiteral("RESOURCE_EXHAUSTED"), kWaitMs);
    QCOMPARE(badge->tone(), StatusBadge::Tone::Bad);
    const QString text = tab.findChild<QLabel*>(QStringLiteral("statusText"))->text();
    // Exact sizes from the server, so its units cannot contradict the tab's "2.1 MB".
    QVERIFY2(text.contains(QStringLiteral("2097152 bytes (2.0 MiB), over the server's upload cap of 1048576 bytes (1.0 MiB)")),
             qPrintable(text));
    QVERIFY(tab.findChild<QLabel*>(QStringLiteral("matchLabel"))->text().isEmpty());
    // Resume would be refused the same way: the server's cap (from
    // GetUploadStatus) makes the tab drop the offer and say why.
    auto* status = tab.findChild<QLabel*>(QStringLiteral("statusText"));
    QTRY_VERIFY2_WITH_TIMEOUT(status->text().contains(QStringLiteral("Resume cannot help")), qPrintable(status->text()), kWaitMs);
    // Two sentences; the sizes once, as the server said them (not again in other units).
    QVERIFY2(status->text().contains(QStringLiteral(". Resume cannot help: the server takes no file this large.")),
             qPrintable(status->text()));
    QVERIFY2(!status->text().contains(QStringLiteral(" MB")), qPrintable(status->text()));
    // The bar no longer shows how far the writes got: the server kept nothing.
    auto* bar = tab.findChild<QProgressBar*>(QStringLiteral("progressBar"));
    QCOMPARE(bar->value(), 0);
    QCOMPARE(bar->text(), QStringLiteral("the server holds nothing"));
    QVERIFY(!tab.findChild<QPushButton*>(QStringLiteral("resumeButton"))->isEnabled());
    QVERIFY(!tab.findChild<QLabel*>(QStringLiteral("resumeLabel"))->isVisible());
    QVERIFY(tab.findChild<QPushButton*>(QStringLiteral("uploadButton"))->isEnabled());
    capped.stop();
}

void TestClientStreamingTab::settingsRoundTrip()
{
    const QString ini = m_files.filePath(QStringLiteral("settings.ini"));
    {
        QSettings settings(ini, QSettings::IniFormat);
        child<QSpinBox>("chunkSpin")->setValue(256);
        child<QSpinBox>("delaySpin")->setValue(150);
        child<QSpinBox>("generateSizeSpin")->setValue(42);
        m_tab->setFilePath(m_files.filePath(QStringLiteral("enter.bin")));
        m_tab->saveSettings(settings);
    }
    ClientStreamingTab restored(m_connection.get());
    QSettings settings(ini, QSettings::IniFormat);
    restored.restoreSettings(settings);
    QCOMPARE(restored.findChild<QSpinBox*>(QStringLiteral("chunkSpin"))->value(), 256);
    QCOMPARE(restored.findChild<QSpinBox*>(QStringLiteral("delaySpin"))->value(), 150);
    QCOMPARE(restored.findChild<QSpinBox*>(QStringLiteral("generateSizeSpin"))->value(), 42);
    QCOMPARE(restored.filePath(), m_files.filePath(QStringLiteral("enter.bin")));
    QVERIFY(!restored.canResume());

    // An interrupted upload survives a restart of the app.
    settings.setValue(QStringLiteral("clientStreaming/pending/uploadId"), QStringLiteral("abc-123"));
    settings.setValue(QStringLiteral("clientStreaming/pending/path"), m_files.filePath(QStringLiteral("enter.bin")));
    settings.setValue(QStringLiteral("clientStreaming/pending/name"), QStringLiteral("enter.bin"));
    settings.setValue(QStringLiteral("clientStreaming/pending/size"), 3000017);
    ClientStreamingTab again(m_connection.get());
    again.restoreSettings(settings);
    QVERIFY(again.canResume());
    QCOMPARE(again.pendingUploadId(), QStringLiteral("abc-123"));
    QVERIFY(again.findChild<QPushButton*>(QStringLiteral("resumeButton"))->isEnabled());
}

QTEST_MAIN(TestClientStreamingTab)
#include "tst_clientstreamingtab.moc"
