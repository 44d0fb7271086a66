#pragma once
// Keeps a ServerAdmin.WatchServer stream open to the server the app uses, so
// the connection bar can show what that server says about itself (product,
// version, clients). The open stream is also what makes this app count as a
// connected client on that server. Restarts itself after a failure.

#include <QObject>
#include <QString>
#include <QTimer>

#include <memory>

namespace streamlab {

class Connection;

struct ServerSummary {
    bool known = false;
    QString product;
    QString version;
    QString instanceId;
    QString listenAddress;
    int clients = 0;
    int activeCalls = 0;
    int chatParticipants = 0;
    // Not known: why, when the watch ended with an error worth showing
    // ("Cannot reach localhost:1: connection refused").
    QString problem;
};

class ServerWatcher : public QObject {
    Q_OBJECT
public:
    explicit ServerWatcher(Connection* connection, QObject* parent = nullptr);
    ~ServerWatcher() override;
    ServerSummary summary() const { return m_summary; }

    struct Shared;   // shared with the stream's reactor (ServerWatcher.cpp)

Q_SIGNALS:
    void summaryChanged(const streamlab::ServerSummary& summary);

private:
    void restart();
    void poll();

    Connection* m_connection;
    std::shared_ptr<Shared> m_shared;
    ServerSummary m_summary;
    QTimer m_poll;
    int m_idleTicks = 0;
};

} // namespace streamlab

Q_DECLARE_METATYPE(streamlab::ServerSummary)
