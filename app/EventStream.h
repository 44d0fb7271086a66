#pragma once
// The server-streaming call object: StreamingExamples.ListEvents read with
// grpc++'s callback API (a ClientReadReactor), delivered to the GUI thread in
// batches once per frame (StreamCall), with real backpressure:
//
//  - pause() stops asking for the next message (no next StartRead). Nothing is
//    buffered in the app: the stream's HTTP/2 window fills and the server's
//    write blocks. resume() asks again and the backlog drains.
//  - The same happens on its own when the GUI thread falls behind: the reader
//    stops asking while kMaxPendingRows rows wait for the GUI, so the app's
//    memory stays bounded however fast the server is.
//
// While the call runs, a second reactor reads FlowLab.Watch for the call's
// probe id: the server's own view of its writes (how long the pending write
// has been blocked). That is how the tab shows a stall measured on the server.

#include "EventRow.h"
#include "StreamCall.h"

#include <QElapsedTimer>
#include <QList>
#include <QStringList>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace streamlab {

class Connection;
struct EventStreamShared;   // EventStream.cpp: what the reactors and the call object share
struct EventWatchShared;
class Event;

struct EventQuery {
    QString after;            // ISO 8601 date or date-time, sent as typed (the server checks it)
    QStringList types;        // empty: every type
    bool follow = false;      // stay open for live events after the history
    qint64 afterId = 0;       // only events with a larger id (continue an earlier stream)
    quint64 limit = 0;        // 0: no limit
    bool watchServer = true;  // observe the server's writes (probe + FlowLab.Watch)
    // The stream's receive window. 0: the connection's channel, gRPC's
    // default (BDP probing grows the window to MBs, so a paused stream stalls
    // the server only after MBs). > 0: a channel of its own with BDP probing
    // off and this window (GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES): a paused
    // stream stalls the server after that many bytes (DESIGN.md §4).
    int receiveWindowBytes = 0;
    qint64 deadlineMs = 0;    // 0: kOpenStreamDeadlineMs
};

// The server's figures for this call's writes (FlowLab ProbeSample as a Qt value).
struct ServerWriteState {
    bool valid = false;               // at least one sample arrived
    qint64 elapsedMs = 0;             // since the server's call started
    quint64 messagesWritten = 0;      // writes that passed flow control
    quint64 bytesWritten = 0;
    bool writePending = false;        // a write is in flight now
    quint32 currentWriteBlockedMs = 0;  // how long it has waited
    quint32 lastWriteMs = 0;
    quint32 maxWriteMs = 0;
    quint64 stalledWrites = 0;        // completed writes that took > 50 ms
    bool finished = false;            // the server's call has ended
    QString finalStatus;              // the server's words for how it ended
};

// How the reading is going, as of the last frame.
struct EventStreamCounters {
    qint64 received = 0;          // events
    qint64 bytes = 0;             // protobuf bytes of those events
    double firstEventMs = -1;     // time from the start to the first event; -1: none yet
    bool paused = false;          // the user paused reading
    int throttledTimes = 0;       // how often the reader stopped because the GUI had a backlog
    qint64 receivedAtStop = 0;    // `received` when the reading last stopped (pause or backlog)
};

class EventStream : public StreamCall {
    Q_OBJECT
public:
    // Rows waiting for the GUI beyond which the reader stops asking for more.
    static constexpr int kMaxPendingRows = 20000;
    // How often the server is sampled while the call runs.
    static constexpr int kWatchIntervalMs = 100;
    // A frame with this many rows waiting is a flood: rows then go to the GUI
    // at most every kFloodIntervalMs (about every other frame).
    static constexpr int kFloodRows = 1000;
    static constexpr int kFloodIntervalMs = 30;
    // At most this many rows go to the GUI in one frame (the last frame of a call excepted).
    static constexpr int kMaxRowsPerFrame = 8000;

    explicit EventStream(Connection* connection, QObject* parent = nullptr);
    ~EventStream() override;

    // Starts ListEvents (a call still in flight is cancelled first).
    void start(const EventQuery& query);
    // Stops the call: TryCancel. A paused reader is released so the call can
    // end (its final status is CANCELLED).
    void stop();
    void pause();
    void resume();
    bool isPaused() const { return m_paused; }

    EventStreamCounters counters() const;
    ServerWriteState serverWriteState() const { return m_server; }
    QString probeId() const { return m_probeId; }
    // The event types the server knows (the product's fixed list).
    static QStringList knownTypes();

Q_SIGNALS:
    // Once per frame with new events (never one signal per event).
    void eventsReceived(const QList<streamlab::EventRow>& rows);
    // Once per frame while the call runs, and once at its end.
    void countersChanged(const streamlab::EventStreamCounters& counters);
    void serverWriteStateChanged(const streamlab::ServerWriteState& state);
    void pausedChanged(bool paused);

protected:
    void onFrame() override;
    void onFinished(const CallStatus& status) override;

private:
    void takeServerSample();
    void resumeIfThrottled();
    QString typeName(const std::string& type);

    std::shared_ptr<EventStreamShared> m_shared;
    std::shared_ptr<EventWatchShared> m_watch;
    ServerWriteState m_server;
    QString m_probeId;
    bool m_paused = false;
    int m_throttledTimes = 0;
    QElapsedTimer m_sinceDelivery;   // since rows were last handed to the GUI
    std::vector<std::pair<std::string, QString>> m_types;
    std::vector<Event> m_backlog;    // taken from the inbox, not yet handed to the GUI
    size_t m_backlogNext = 0;
};

} // namespace streamlab

Q_DECLARE_METATYPE(streamlab::ServerWriteState)
Q_DECLARE_METATYPE(streamlab::EventStreamCounters)
