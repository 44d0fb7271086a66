#pragma once
// The bar above the tabs: which server the app talks to, the channel's live
// state, and the bundled server's address and clients.

#include "Connection.h"
#include "ServerWatcher.h"

#include <QWidget>

#include <memory>

namespace Ui {
class ConnectionBar;
}

namespace streamlab {

class ConnectionBar : public QWidget {
    Q_OBJECT
public:
    explicit ConnectionBar(QWidget* parent = nullptr);
    ~ConnectionBar() override;

    void setTarget(const QString& target);
    QString enteredTarget() const;
    void setHistory(const QStringList& targets);
    QStringList history() const;
    void setChannelState(ChannelState state);
    // `address` empty: no bundled server (not started, joined another, or stopped).
    void setBundledServer(const QString& address, int clients, const QString& note = {});
    void showMessage(const QString& text, bool error);
    // What the connected server says about itself, or why it cannot be
    // reached (in red); shown while no error of showMessage's is.
    void setServerSummary(const streamlab::ServerSummary& summary);

Q_SIGNALS:
    void connectRequested(const QString& address);
    void bundledRequested();

private:
    void remember(const QString& target);
    void paintMessage(const QString& text, bool error);
    std::unique_ptr<Ui::ConnectionBar> m_ui;
    QString m_summary;
    bool m_summaryIsProblem = false;   // m_summary says why the server is out of reach
    bool m_showingError = false;
};

} // namespace streamlab
