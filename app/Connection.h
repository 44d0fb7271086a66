#pragma once
// The app's link to a server: the target, one gRPC channel with the app's
// arguments (keepalive for long chats across machines, quick reconnects), and
// a watcher that reports the channel's connectivity state to the UI.

#include <QObject>
#include <QString>

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/channel_arguments.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

namespace streamlab {

enum class ChannelState { Idle, Connecting, Ready, TransientFailure, Shutdown };
QString channelStateName(ChannelState state);

// "host:port", "[v6]:port" → normalised target, or an error for a person.
struct TargetCheck {
    bool ok = false;
    QString target;
    QString error;
};
TargetCheck checkTarget(const QString& text);

class Connection : public QObject {
    Q_OBJECT
public:
    explicit Connection(QObject* parent = nullptr);
    ~Connection() override;

    // Validates the address and opens a fresh channel to it. False (with a
    // message) when the address is not one; the current channel stays.
    bool connectTo(const QString& address, QString* error);
    QString target() const;
    // Thread-safe; nullptr before the first connectTo.
    std::shared_ptr<grpc::Channel> channel() const;
    ChannelState state() const { return m_state.load(); }

    // Shared secret sent as "authorization: Bearer <token>" (empty: none).
    void setToken(const QString& token);
    QString token() const;
    // Deadline (ms from now) and the app's metadata on a call's context. Thread-safe.
    void prepare(grpc::ClientContext& context, qint64 deadlineMs) const;

    // Keepalive and reconnect settings every app channel uses (DESIGN.md §4).
    static grpc::ChannelArguments channelArguments();

Q_SIGNALS:
    void targetChanged(const QString& target);
    void stateChanged(streamlab::ChannelState state);

private:
    void stopWatcher();
    void watch(std::shared_ptr<grpc::Channel> channel, uint64_t generation);

    mutable std::mutex m_mutex;
    QString m_target;
    std::string m_token;
    std::shared_ptr<grpc::Channel> m_channel;
    std::atomic<ChannelState> m_state{ChannelState::Idle};
    std::atomic<bool> m_stopWatcher{false};
    std::atomic<uint64_t> m_generation{0};
    std::thread m_watcher;
};

} // namespace streamlab

Q_DECLARE_METATYPE(streamlab::ChannelState)
