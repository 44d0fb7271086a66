#pragma once
// The flow-control lab's client core (tab "Flow control").
//
// A run opens a FRESH channel with the chosen HTTP/2 arguments (its own TCP
// connection: local subchannel pool), so every run starts from the same
// windows, and runs one of two calls on it:
//   A  FlowLab.Produce — the server writes as fast as flow control lets it;
//      the client app asks for the next message only every D ms (Pause: not
//      at all). The delay is a timer on the lab's scheduler thread that calls
//      StartRead under a hold: reactions never sleep.
//   B  FlowLab.Consume — the client writes as fast as it can and times each
//      of its own writes (StartWrite → OnWriteDone); the server app reads one
//      message every D ms.
// The sender's figures come from FlowLab.Watch on the probe id, on the app's
// MAIN connection: a separate TCP connection, so the figures never wait
// behind the lab's stall. Each watch sample is combined with the client's own
// figures into a FlowSample; samples, stalls and the run's summary reach the
// UI once per frame (StreamCall::onFrame).

#include "FlowSample.h"
#include "StreamCall.h"

#include <grpcpp/support/channel_arguments.h>

#include <QStringList>

#include <memory>
#include <optional>

namespace grpc {
class Channel;
}

namespace streamlab {

// Turns the stream of samples into stalls: a write that has waited at least
// kThresholdMs is a stall, from the moment that write started until it
// completes. Pure logic, on the GUI thread.
class FlowStallDetector {
public:
    static constexpr double kThresholdMs = 100;

    void reset();
    // The stalls this sample started, updated or ended (oldest first).
    QList<FlowStall> feed(const FlowSample& sample, bool readerPaused, int consumerDelayMs);
    // The stall in progress is over (the run ended): returns it, ended.
    std::optional<FlowStall> endActive();
    const FlowRunSummary& summary() const { return m_summary; }
    bool stalled() const { return m_active.has_value(); }

private:
    void account(const FlowStall& stall);

    std::optional<FlowStall> m_active;
    FlowRunSummary m_summary;
    double m_previousMaxWriteMs = 0;
};

class FlowLabCall : public StreamCall {
    Q_OBJECT
public:
    // The server's limits (FlowLabReactors.cpp).
    static constexpr int kMaxMessageBytes = (4 << 20) - 1024;
    static constexpr int kMaxDelayMs = 10000;
    static constexpr int kWatchIntervalMs = 40;

    explicit FlowLabCall(Connection* connection, QObject* parent = nullptr);
    ~FlowLabCall() override;

    // Starts a run on a fresh channel (a run in progress is stopped first).
    // False, with a message for a person, when it cannot start.
    bool start(const FlowSettings& settings, QString* error);
    // Ends the run: cancels both calls (and lets go of a paused reader).
    void stop();
    bool running() const { return active(); }

    // Live: the receiving app's pace (A: the client; B: the server, from the
    // next message written) and, in A, pausing the client app's reads.
    void setConsumerDelayMs(int ms);
    void setPaused(bool paused);

    const FlowSettings& settings() const { return m_settings; }
    FlowRunSummary summary() const { return m_detector.summary(); }
    // Why the run ended when it was not the user's doing ("" otherwise).
    QString endReason() const;
    QString probeId() const { return m_probeId; }
    int runNumber() const { return m_runs; }

    // What a run's settings mean, for the UI and the tests.
    static QString validate(const FlowSettings& settings);
    static grpc::ChannelArguments labChannelArguments(const FlowSettings& settings);
    // The HTTP/2 arguments set on the lab channel, one "name = value" each.
    static QStringList channelArgumentLines(const FlowSettings& settings);
    static FlowWindowPrediction predictWindow(const FlowSettings& settings);
    // A plain sentence with the stall's numbers.
    static QString explainStall(const FlowStall& stall, const FlowSettings& settings);
    // The same, for a marker placed when the stall is first seen.
    static QString describeStallOnset(const FlowStall& stall, const FlowSettings& settings);
    static QString sizeText(qint64 bytes);

Q_SIGNALS:
    // A fresh channel was opened for this run (what it was set up with).
    void channelOpened(const QString& description);
    // Once per frame while samples or stalls come in.
    void batch(const streamlab::FlowBatch& batch);

protected:
    void onFrame() override;
    void onFinished(const CallStatus& status) override;

public:
    struct Shared;   // what the reactors share with this object (FlowLab.cpp)

private:
    std::shared_ptr<Shared> m_shared;
    std::shared_ptr<grpc::Channel> m_labChannel;
    FlowSettings m_settings;
    FlowStallDetector m_detector;
    QString m_probeId;
    int m_runs = 0;
};

} // namespace streamlab
