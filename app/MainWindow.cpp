#include "MainWindow.h"

#include "BidiChatTab.h"
#include "CallTracker.h"
#include "ClientStreamingTab.h"
#include "ConnectionBar.h"
#include "FlowLabTab.h"
#include "ScrollPage.h"
#include "ServerStreamingTab.h"
#include "UnaryTab.h"
#include "ui_mainwindow.h"

#include <grpcpp/grpcpp.h>

#include <QCloseEvent>
#include <QDialog>
#include <QDialogButtonBox>
#include <QTextBrowser>
#include <QVBoxLayout>
#include <QDesktopServices>
#include <QDir>
#include <QElapsedTimer>
#include <QInputDialog>
#include <QLineEdit>
#include <QMessageBox>
#include <QSettings>
#include <QShortcut>
#include <QStandardPaths>
#include <QThread>
#include <QUrl>

namespace streamlab {

MainWindow::MainWindow(const StartOptions& options, QWidget* parent)
    : QMainWindow(parent), m_ui(std::make_unique<Ui::MainWindow>()), m_options(options)
{
    m_ui->setupUi(this);
    if (m_options.dataDir.isEmpty())
        m_options.dataDir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);

    // One tab per pattern, in the guide's order, then the lab.
    m_unaryTab = new UnaryTab(&m_connection, this);
    addLabTab(m_unaryTab, tr("Unary · GetUser"));
    addLabTab(new ServerStreamingTab(&m_connection, this), tr("Server streaming · ListEvents"));
    addLabTab(new ClientStreamingTab(&m_connection, this), tr("Client streaming · UploadChunks"));
    addLabTab(new BidiChatTab(&m_connection, this), tr("Bidirectional · Chat"));
    addLabTab(new FlowLabTab(&m_connection, this), tr("Flow control"));

    ConnectionBar* bar = m_ui->connectionBar;
    connect(bar, &ConnectionBar::connectRequested, this, &MainWindow::connectTo);
    connect(bar, &ConnectionBar::bundledRequested, this, &MainWindow::useBundledServer);
    connect(m_ui->bundledAction, &QAction::triggered, this, &MainWindow::useBundledServer);
    connect(&m_connection, &Connection::stateChanged, bar, &ConnectionBar::setChannelState);
    connect(&m_connection, &Connection::targetChanged, bar, &ConnectionBar::setTarget);
    connect(&m_connection, &Connection::targetChanged, this, &MainWindow::updateWindowTitle);
    connect(&m_watcher, &ServerWatcher::summaryChanged, bar, &ConnectionBar::setServerSummary);
    connect(&m_bundled, &BundledServer::started, this, &MainWindow::onBundledStarted);
    connect(&m_bundled, &BundledServer::stopped, this, [this] {
        refreshBundledLabel();
        if (m_restartPending) {
            m_restartPending = false;
            startBundledServer();
        }
    });
    connect(m_ui->listenAllAction, &QAction::triggered, this, &MainWindow::setListenOnAllInterfaces);
    connect(m_ui->tokenAction, &QAction::triggered, this, &MainWindow::editToken);
    connect(m_ui->openDataDirAction, &QAction::triggered, this, [this] {
        QDesktopServices::openUrl(QUrl::fromLocalFile(m_options.dataDir));
    });
    connect(m_ui->quitAction, &QAction::triggered, this, &QWidget::close);
    connect(m_ui->aboutAction, &QAction::triggered, this, &MainWindow::showAbout);
    connect(m_ui->helpAction, &QAction::triggered, this, &MainWindow::showHelp);
    connect(m_ui->aboutQtAction, &QAction::triggered, qApp, &QApplication::aboutQt);

    // The bundled server's client count changes with every call: show it live.
    m_refresh.setInterval(500);
    connect(&m_refresh, &QTimer::timeout, this, &MainWindow::refreshBundledLabel);
    m_refresh.start();

    loadSettings();
    if (!m_options.connectTarget.isEmpty()) {
        connectTo(m_options.connectTarget);
        m_bundledNote = tr("not started (--connect)");
    } else if (m_options.noServer) {
        m_bundledNote = tr("not started (--no-server)");
    } else {
        startBundledServer();
    }
    refreshBundledLabel();
}

MainWindow::~MainWindow() = default;

void MainWindow::startBundledServer()
{
    BundledServerOptions options;
    options.host = m_listenAll ? QStringLiteral("0.0.0.0") : QStringLiteral("127.0.0.1");
    options.port = m_options.port;
    options.dataDir = m_options.dataDir;
    options.token = m_token;
    m_bundledNote = tr("starting…");
    statusBar()->showMessage(tr("Starting the bundled server on port %1…").arg(options.port));
    m_bundled.start(options);
    refreshBundledLabel();
}

void MainWindow::onBundledStarted(const BundledStartResult& result)
{
    m_joinedOther = result.outcome == BundledStartResult::Outcome::JoinedOther;
    if (result.outcome == BundledStartResult::Outcome::Failed) {
        m_bundledAddress.clear();
        m_bundledNote = tr("failed to start");
        m_ui->connectionBar->showMessage(result.message, true);
        statusBar()->showMessage(result.message);
        qWarning("streamlab: %s", qPrintable(result.message));
        refreshBundledLabel();
        return;
    }
    m_bundledAddress = result.address;
    m_bundledNote = m_joinedOther ? tr("not started, joined the Streamlab at %1").arg(result.address)
                                  : (m_listenAll ? tr("all interfaces") : QString());
    qInfo("streamlab: %s", qPrintable(result.message));
    statusBar()->showMessage(result.message, 10000);
    connectTo(result.address);
    refreshBundledLabel();
    Q_EMIT serverReady(result.address);
}

void MainWindow::connectTo(const QString& address)
{
    QString error;
    if (!m_connection.connectTo(address, &error)) {
        m_ui->connectionBar->showMessage(error, true);
        return;
    }
    m_ui->connectionBar->showMessage(QString(), false);
    statusBar()->showMessage(tr("Using the server at %1").arg(m_connection.target()), 5000);
}

void MainWindow::useBundledServer()
{
    if (!m_bundledAddress.isEmpty()) {
        connectTo(m_bundledAddress);
        return;
    }
    if (!m_bundled.busy())
        startBundledServer();
}

void MainWindow::setListenOnAllInterfaces(bool enabled)
{
    if (enabled == m_listenAll)
        return;
    if (enabled) {
        const auto answer = QMessageBox::warning(
            this, tr("Listen on all interfaces?"),
            tr("Other machines that can reach this one will be able to use the bundled server: look up users, read "
               "events, upload files into its data folder and chat. Traffic is not encrypted.\n\n"
               "Only do this on a network you trust. Continue?"),
            QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
        if (answer != QMessageBox::Yes) {
            m_ui->listenAllAction->setChecked(false);
            return;
        }
    }
    m_listenAll = enabled;
    restartBundledServer();
}

void MainWindow::restartBundledServer()
{
    if (m_joinedOther || (!m_bundled.running() && !m_bundled.busy())) {
        statusBar()->showMessage(tr("The setting applies when this app's own server starts."), 8000);
        return;
    }
    m_restartPending = true;
    m_bundledAddress.clear();
    m_bundled.stop();
}

void MainWindow::editToken()
{
    bool ok = false;
    const QString token = QInputDialog::getText(
        this, tr("Shared token"),
        tr("A secret every client must send (as \"authorization: Bearer …\"). The bundled server will require it "
           "and this app sends it to any server. Leave empty for none."),
        QLineEdit::Password, m_token, &ok);
    if (!ok || token.trimmed() == m_token)
        return;
    m_token = token.trimmed();
    m_connection.setToken(m_token);
    statusBar()->showMessage(m_token.isEmpty() ? tr("No token: the bundled server accepts every client.")
                                               : tr("Token set: the bundled server now requires it."), 8000);
    restartBundledServer();
}

void MainWindow::refreshBundledLabel()
{
    const bool own = m_bundled.running();
    m_ui->connectionBar->setBundledServer(own ? m_bundled.address() : QString(), m_bundled.clients(),
                                          own ? m_bundledNote : (m_bundledNote.isEmpty() ? QString() : tr("Bundled server: %1").arg(m_bundledNote)));
    updateWindowTitle();
}

void MainWindow::updateWindowTitle()
{
    // Qt appends " — Streamlab" (the application's display name) on Linux.
    const QString target = m_connection.target();
    if (target.isEmpty())
        setWindowTitle(QStringLiteral("Streamlab"));
    else if (target != m_bundledAddress)
        setWindowTitle(target);
    else if (m_joinedOther)
        setWindowTitle(tr("%1 (another copy's server)").arg(target));
    else
        setWindowTitle(m_bundled.running() ? tr("%1 (bundled server)").arg(target) : target);
}

void MainWindow::loadSettings()
{
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    m_ui->connectionBar->setHistory(settings.value(QStringLiteral("connection/history")).toStringList());
    m_listenAll = settings.value(QStringLiteral("server/listenAll"), false).toBool();
    // STREAMLAB_TOKEN wins over the remembered token (scripts, tests).
    m_token = qEnvironmentVariableIsSet("STREAMLAB_TOKEN") ? qEnvironmentVariable("STREAMLAB_TOKEN").trimmed()
                                                            : settings.value(QStringLiteral("server/token")).toString();
    m_connection.setToken(m_token);
    m_ui->listenAllAction->setChecked(m_listenAll);
    m_ui->tabs->setCurrentIndex(settings.value(QStringLiteral("window/tab"), 0).toInt());
    for (LabTab* tab : m_labTabs)
        tab->restoreSettings(settings);
}

void MainWindow::saveSettings()
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("window/tab"), m_ui->tabs->currentIndex());
    settings.setValue(QStringLiteral("connection/history"), m_ui->connectionBar->history());
    settings.setValue(QStringLiteral("connection/lastTarget"), m_connection.target());
    settings.setValue(QStringLiteral("server/listenAll"), m_listenAll);
    settings.setValue(QStringLiteral("server/token"), m_token);
    for (LabTab* tab : m_labTabs)
        tab->saveSettings(settings);
}

void MainWindow::addLabTab(LabTab* tab, const QString& title)
{
    m_labTabs.append(tab);
    // A tab scrolls when the window is smaller than what it holds, rather
    // than hold the window that large: it then fits a 1366×768 screen, and
    // two copies fit side by side on a 1920-pixel one (chat between them).
    const int index = m_ui->tabs->addTab(new ScrollPage(tab, m_ui->tabs), title);
    // Ctrl+1 … Ctrl+9: straight to a tab, as in browsers and terminals.
    if (index < 9) {
        auto* shortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + index)), this);
        connect(shortcut, &QShortcut::activated, this, [this, index] { m_ui->tabs->setCurrentIndex(index); });
        m_ui->tabs->setTabToolTip(index, tr("%1 (Ctrl+%2)").arg(title).arg(index + 1));
    }
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    saveSettings();
    // Every call in flight is cancelled; gRPC ends them on its own threads.
    // The server shuts down on a worker; the window waits at most ~1 s in all.
    QElapsedTimer clock;
    clock.start();
    CallTracker::cancelAll();
    CallTracker::waitForAll(std::chrono::milliseconds(300));
    m_bundled.stopAndWait(int(std::max<qint64>(100, 900 - clock.elapsed())));
    event->accept();
}

void MainWindow::showHelp()
{
    auto* dialog = new QDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Streamlab help"));
    auto* layout = new QVBoxLayout(dialog);
    auto* browser = new QTextBrowser(dialog);
    browser->setSource(QUrl(QStringLiteral("qrc:/help/index.html")));
    browser->setOpenExternalLinks(true);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
    connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::close);
    layout->addWidget(browser);
    layout->addWidget(buttons);
    dialog->resize(640, 560);
    dialog->show();
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About Streamlab"),
                       tr("<h3>Streamlab %1</h3><p>A lab for the four gRPC patterns — unary, server streaming, client "
                          "streaming and bidirectional — with a real gRPC server inside.</p>"
                          "<p>Qt %2 · gRPC %3</p>")
                           .arg(QCoreApplication::applicationVersion(), QString::fromLatin1(qVersion()),
                                QString::fromStdString(grpc::Version())));
}

} // namespace streamlab
