#pragma once
// The flow-control lab's value types, as the UI sees them (no protobuf):
// what a run is set to, one combined sample of the sender's and the
// receiver's figures, one stall, and what a run has measured so far.

#include <QList>
#include <QMetaType>
#include <QString>

namespace streamlab {

enum class FlowScenario {
    ServerToClient,   // A: FlowLab.Produce — the server writes, the client app reads every D ms
    ClientToServer,   // B: FlowLab.Consume — the client writes, the server app reads every D ms
};

struct FlowSettings {
    FlowScenario scenario = FlowScenario::ServerToClient;
    int messageBytes = 16 * 1024;   // payload bytes per message
    int consumerDelayMs = 0;        // the receiving app takes one message every D ms (0: as fast as it can)
    bool paused = false;            // A: the client app asks for no next message (starting paused: it asks for the first only)
    // Channel-level (the lab's own channel; A's receive window is the client's):
    int lookaheadBytes = 0;         // grpc.http2.lookahead_bytes; 0 = gRPC's default
    bool bdpProbe = true;           // grpc.http2.bdp_probe
    int guideInitialWindowSize = 0; // "grpc.http2.initial_window_size" as the guide writes it; 0 = not set

    bool sameChannelAs(const FlowSettings& other) const
    {
        return lookaheadBytes == other.lookaheadBytes && bdpProbe == other.bdpProbe
            && guideInitialWindowSize == other.guideInitialWindowSize;
    }
};

// The receive window a run's settings predict (DESIGN.md §4, measured on grpc 1.51).
struct FlowWindowPrediction {
    qint64 bytes = 0;       // the window itself
    bool approximate = false; // BDP probing: a starting point that may grow
    QString text;           // "16 KiB (lookahead_bytes, BDP off)"
};

// One moment of a run: the sender's figures and the receiving app's, taken
// together. Time is seconds since the lab call started (client clock).
struct FlowSample {
    double tSeconds = 0;
    qint64 senderMessages = 0;   // writes the sender has completed (passed flow control)
    qint64 senderBytes = 0;
    qint64 consumedMessages = 0; // messages the receiving app has taken
    qint64 consumedBytes = 0;
    qint64 inFlightBytes = 0;    // senderBytes − consumedBytes (≥ 0): bounded by the window
    bool writePending = false;   // the sender has a write waiting now
    double blockedMs = 0;        // how long that write has waited so far (0 when none)
    double lastWriteMs = 0;      // how long the last completed write took
    double maxWriteMs = 0;       // the longest completed write
    qint64 slowWrites = 0;       // completed writes that took longer than 50 ms
};

// A write that waited at least FlowStallDetector::kThresholdMs.
struct FlowStall {
    int index = 0;                // 1, 2, ... within the run
    double onsetSeconds = 0;      // when the blocked write started
    double durationMs = 0;        // so far while ongoing
    bool ongoing = true;
    qint64 bytesBefore = 0;       // bytes the sender had completed before this write
    qint64 messagesBefore = 0;
    qint64 inFlightAtOnset = 0;
    bool readerPaused = false;    // A: the client app was paused when it was seen
    int consumerDelayMs = 0;      // the receiving app's delay when it was seen
};

// What a run has measured so far.
struct FlowRunSummary {
    int stalls = 0;
    double longestStallMs = 0;
    bool hasFirstStall = false;
    qint64 firstStallBytesBefore = 0;   // the measured stall onset
    double firstStallSeconds = 0;
    qint64 maxInFlightBytes = 0;
    qint64 senderBytes = 0;
    qint64 consumedBytes = 0;
    double maxWriteMs = 0;
    qint64 slowWrites = 0;
};

// One frame's delivery to the UI.
struct FlowBatch {
    QList<FlowSample> samples;
    QList<FlowStall> stalls;   // stalls that started or changed in this frame, oldest first
    FlowRunSummary summary;
};

} // namespace streamlab

Q_DECLARE_METATYPE(streamlab::FlowSettings)
Q_DECLARE_METATYPE(streamlab::FlowSample)
Q_DECLARE_METATYPE(streamlab::FlowStall)
Q_DECLARE_METATYPE(streamlab::FlowBatch)
