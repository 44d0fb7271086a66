#pragma once
// The main window: the connection bar, one tab per pattern, the bundled
// server's life cycle, and the settings that outlive a session.

#include "BundledServer.h"
#include "Connection.h"
#include "ServerWatcher.h"

#include <QMainWindow>
#include <QTimer>

#include <memory>

namespace Ui {
class MainWindow;
}

namespace streamlab {

class LabTab;
class UnaryTab;

struct StartOptions {
    QString connectTarget;   // --connect: use this server, start none
    int port = 50051;        // --port: the bundled server's port
    QString dataDir;         // --data-dir
    bool noServer = false;   // --no-server
};

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(const StartOptions& options, QWidget* parent = nullptr);
    ~MainWindow() override;

    Connection* connection() { return &m_connection; }
    BundledServer* bundledServer() { return &m_bundled; }
    UnaryTab* unaryTab() const { return m_unaryTab; }

Q_SIGNALS:
    // The bundled server started (or this instance joined another's); `address` is what we connected to.
    void serverReady(const QString& address);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void startBundledServer();
    void onBundledStarted(const BundledStartResult& result);
    void connectTo(const QString& address);
    void useBundledServer();
    void setListenOnAllInterfaces(bool enabled);
    void editToken();
    void restartBundledServer();
    void refreshBundledLabel();
    // "127.0.0.1:50051 (bundled server)" (— Streamlab): which window is
    // which when two copies run side by side.
    void updateWindowTitle();
    void loadSettings();
    void saveSettings();
    void showAbout();
    void showHelp();
    void addLabTab(LabTab* tab, const QString& title);

    std::unique_ptr<Ui::MainWindow> m_ui;
    StartOptions m_options;
    Connection m_connection;
    BundledServer m_bundled;
    ServerWatcher m_watcher{&m_connection};
    UnaryTab* m_unaryTab = nullptr;
    QList<LabTab*> m_labTabs;
    QString m_bundledAddress;    // where the bundled (or joined) server answers
    QString m_bundledNote;
    bool m_joinedOther = false;
    bool m_listenAll = false;
    QString m_token;             // shared token: required by the bundled server, sent by this app
    bool m_restartPending = false;
    QTimer m_refresh;
};

} // namespace streamlab
