#pragma once
// SIGINT and SIGTERM (Ctrl+C in the terminal, `kill`, the session ending) as
// a Qt signal on the GUI thread, so the app can close its windows the normal
// way — settings saved, calls cancelled, the bundled server stopped — instead
// of dying where it stands (Qt does not handle them; the default action ends
// the process at once).
//
// A signal handler may do almost nothing: it writes the signal's number to a
// pipe and restores the default action, so a second Ctrl+C while the app is
// closing ends it at once. A QSocketNotifier on the pipe's other end emits
// received() from the event loop. One instance at a time.

#include <QObject>

class QSocketNotifier;

namespace streamlab {

class StopSignals : public QObject {
    Q_OBJECT
public:
    // Installs the handlers for SIGINT and SIGTERM.
    explicit StopSignals(QObject* parent = nullptr);
    // Restores the previous handlers.
    ~StopSignals() override;

    bool installed() const { return m_installed; }

Q_SIGNALS:
    void received(int signal);

private:
    void readPipe();

    QSocketNotifier* m_notifier = nullptr;
    bool m_installed = false;
};

} // namespace streamlab
