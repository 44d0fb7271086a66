#include "EventStream.h"

#include "Connection.h"
#include "Inbox.h"
#include "SeedData.h"
#include "streaming_examples.grpc.pb.h"
#include "streamlab_lab.grpc.pb.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <QThreadPool>
#include <QTimer>
#include <QUuid>

#include <algorithm>
#include <atomic>
#include <iterator>
#include <mutex>
#include <optional>
#include <utility>

namespace streamlab {

namespace {

// Operations on a call from outside its own reactions — starting it, a read
// asked for by resume(), releasing a paused reader on stop() — run on this
// one thread, never on the GUI thread. None of them blocks (each only queues
// work for gRPC); one thread keeps them in the order they were asked for.
QThreadPool& callStarter()
{
    static QThreadPool pool;
    static const bool configured = [] {
        pool.setMaxThreadCount(1);
        pool.setExpiryTimeout(10000);
        return true;
    }();
    Q_UNUSED(configured)
    return pool;
}

ServerWriteState toServerWriteState(const ProbeSample& sample)
{
    ServerWriteState s;
    s.valid = true;
    s.elapsedMs = sample.elapsed_ms();
    s.messagesWritten = sample.messages_written();
    s.bytesWritten = sample.bytes_written();
    s.writePending = sample.write_pending();
    s.currentWriteBlockedMs = sample.current_write_blocked_ms();
    s.lastWriteMs = sample.last_write_ms();
    s.maxWriteMs = sample.max_write_ms();
    s.stalledWrites = sample.stalled_writes();
    s.finished = sample.finished();
    s.finalStatus = QString::fromStdString(sample.final_status());
    return s;
}

class EventReader;

} // namespace

// What the events reactor (gRPC threads) and EventStream (GUI thread) share.
//
// Pausing means not calling StartRead, so a read may later be started from
// outside the reactions (resume, stop). A reactor with no operation in flight
// would be destroyed by gRPC as soon as the call's status arrives, under such
// a late StartRead; so the reactor takes one hold before StartCall
// (ClientReadReactor::AddHold) and removes it only when a read comes back
// not-ok — the stream is over and no read will be started again. Every read
// started from outside goes through requestRead(), under `mutex`, and only
// when `reading` is false; the reactor sets `reading` false only under the
// same mutex, when it decides to stop (reading on needs no lock: `reading`
// stays true). So there is always exactly one read in flight or none, and
// never one on a finished reactor.
//
// A reaction only moves the message into the inbox and asks for the next one:
// the rows are made on the GUI thread, once per frame. gRPC runs the
// reactions of every callback-API call of the process — an in-process
// server's too — on a couple of shared threads; the less a reaction does, the
// more those threads are free for the stream itself.
struct EventStreamShared {
    Inbox<Event> inbox;
    std::atomic<qint64> received{0};
    std::atomic<qint64> bytes{0};
    std::atomic<qint64> pending{0};          // read, not yet handed to the GUI (the backlog)
    std::atomic<bool> pausedFlag{false};     // `paused`, for the reader's check without the mutex
    std::atomic<qint64> firstEventUs{-1};

    std::mutex mutex;             // guards what follows
    bool paused = false;          // the user asked to stop reading
    bool throttled = false;       // the reader stopped itself: the GUI has a backlog
    bool closing = false;         // stop() or a fault: read to the end, never stop again
    bool reading = false;         // a read is in flight
    bool holdReleased = false;    // the stream is over: no read may be started any more
    qint64 receivedAtStop = 0;    // `received` when the reading last stopped
    EventReader* reader = nullptr;   // valid while !holdReleased

    // Any thread but the GUI's: starts a read if none is in flight and one is wanted.
    void requestRead();
    // Read until the end whatever the pause (the call was cancelled or its server is gone).
    void release()
    {
        {
            std::lock_guard<std::mutex> lock(mutex);
            closing = true;
        }
        requestRead();
    }
};

struct EventWatchShared {
    std::shared_ptr<CallRecord> record;   // FlowLab.Watch's own call (cancelled with the stream)
    std::mutex mutex;
    std::optional<ProbeSample> latest;    // newest sample not yet taken by the GUI
};

namespace {

class EventReader final : public grpc::ClientReadReactor<Event> {
public:
    EventReader(std::shared_ptr<CallRecord> record, std::shared_ptr<EventStreamShared> shared)
        : m_record(std::move(record)), m_shared(std::move(shared))
    {
    }

    void start(const std::shared_ptr<grpc::Channel>& channel, const EventFilter& filter)
    {
        m_filter = filter;
        m_stub = StreamingExamples::NewStub(channel);
        m_stub->async()->ListEvents(m_record->context(), &m_filter, this);
        AddHold();   // see EventStreamShared
        {
            std::lock_guard<std::mutex> lock(m_shared->mutex);
            m_shared->reader = this;
            m_shared->reading = true;
        }
        StartRead(&m_event);
        StartCall();
    }

    // From EventStreamShared::requestRead, its mutex held.
    void readNext() { StartRead(&m_event); }

    void OnReadInitialMetadataDone(bool ok) override
    {
        if (ok)
            m_record->noteHeaders();
    }

    void OnReadDone(bool ok) override
    {
        if (!ok) {
            flushNotes();   // before the status: the timeline keeps its order
            {
                std::lock_guard<std::mutex> lock(m_shared->mutex);
                m_shared->reading = false;
                m_shared->holdReleased = true;
                m_shared->reader = nullptr;
            }
            RemoveHold();   // outside the mutex: OnDone may follow at once
            return;
        }
        const qint64 pending = deliver();
        // The common case, without a lock: not paused, no backlog: read on.
        // (A pause that comes meanwhile takes effect at the next message.)
        if (!m_shared->pausedFlag.load(std::memory_order_acquire) && pending < EventStream::kMaxPendingRows) {
            StartRead(&m_event);
            return;
        }
        // Before the lock is released with `reading` false: from then on a
        // resumed read (another thread) may run this reactor's reactions.
        flushNotes();
        bool next = true;
        {
            std::lock_guard<std::mutex> lock(m_shared->mutex);
            const bool backlog = m_shared->pending.load() >= EventStream::kMaxPendingRows;
            if (!m_shared->closing && (m_shared->paused || backlog)) {
                next = false;
                m_shared->reading = false;
                m_shared->throttled = !m_shared->paused;
                m_shared->receivedAtStop = m_shared->received.load();
            }
        }
        // Not asking for the next message is the backpressure: the window
        // fills and the server's write waits until a read is started again.
        if (next)
            StartRead(&m_event);
    }

    void OnDone(const grpc::Status& status) override
    {
        m_record->finish(status);
        delete this;
    }

private:
    // Hands the message over; returns how many wait for the GUI now.
    qint64 deliver()
    {
        if (m_shared->firstEventUs.load(std::memory_order_relaxed) < 0) {
            qint64 none = -1;
            m_shared->firstEventUs.compare_exchange_strong(none, qint64(m_record->elapsedMs() * 1000.0));
        }
        const qint64 bytes = qint64(m_event.ByteSizeLong());
        m_shared->inbox.push(std::move(m_event));   // a swap of pointers; m_event is empty again
        m_shared->bytes.fetch_add(bytes, std::memory_order_relaxed);
        m_shared->received.fetch_add(1, std::memory_order_relaxed);
        const qint64 pending = m_shared->pending.fetch_add(1, std::memory_order_relaxed) + 1;
        // The call's trace counts messages in groups (one lock per group): at
        // once when the GUI has caught up (a slow stream), else every 256.
        m_unnotedBytes += bytes;
        if (++m_unnotedCount >= 256 || pending == 1)
            flushNotes();
        return pending;
    }

    void flushNotes()
    {
        if (m_unnotedCount == 0)
            return;
        m_record->noteReceived(m_unnotedBytes, m_unnotedCount);
        m_unnotedBytes = 0;
        m_unnotedCount = 0;
    }

    std::shared_ptr<CallRecord> m_record;
    std::shared_ptr<EventStreamShared> m_shared;
    std::unique_ptr<StreamingExamples::Stub> m_stub;
    EventFilter m_filter;
    Event m_event;
    qint64 m_unnotedBytes = 0;
    int m_unnotedCount = 0;
};

// Reads FlowLab.Watch for the events call's probe: the server's own figures
// for its writes, every EventStream::kWatchIntervalMs.
//
// It runs on the same channel — the same HTTP/2 connection — as ListEvents,
// on purpose: flow control stalls a stream, not the connection (the
// connection window is refilled by the transport whatever the application
// reads, DESIGN.md §4), so the samples keep coming while the events stream is
// paused. That is the point the tab makes, shown live; and one connection is
// what a real client has. (A second channel would work too, but would hide
// exactly that and cost another TCP connection.)
class ProbeWatcher final : public grpc::ClientReadReactor<ProbeSample> {
public:
    ProbeWatcher(std::shared_ptr<EventWatchShared> watch, std::shared_ptr<EventStreamShared> events)
        : m_watch(std::move(watch)), m_events(std::move(events))
    {
    }

    void start(const std::shared_ptr<grpc::Channel>& channel, const WatchRequest& request)
    {
        m_request = request;
        m_stub = FlowLab::NewStub(channel);
        m_stub->async()->Watch(m_watch->record->context(), &m_request, this);
        StartRead(&m_sample);
        StartCall();
    }

    void OnReadDone(bool ok) override
    {
        if (!ok)
            return;
        {
            std::lock_guard<std::mutex> lock(m_watch->mutex);
            m_watch->latest = m_sample;
        }
        StartRead(&m_sample);
    }

    void OnDone(const grpc::Status& status) override
    {
        // The watch fails when the server or the connection is gone, or when
        // the app cancels (stop, closing the window). A paused events reader
        // would then hold its call open with nothing to end it: let it read
        // to the end, so its own status (UNAVAILABLE, CANCELLED) shows. Not
        // when the watch merely ended: OK means the server's call finished
        // while paused, and the user resumes to read what is left.
        const auto code = status.error_code();
        if (code != grpc::StatusCode::OK && code != grpc::StatusCode::NOT_FOUND && code != grpc::StatusCode::UNIMPLEMENTED)
            m_events->release();
        m_watch->record->finish(status);
        delete this;
    }

private:
    std::shared_ptr<EventWatchShared> m_watch;
    std::shared_ptr<EventStreamShared> m_events;
    std::unique_ptr<FlowLab::Stub> m_stub;
    WatchRequest m_request;
    ProbeSample m_sample;
};

} // namespace

void EventStreamShared::requestRead()
{
    std::lock_guard<std::mutex> lock(mutex);
    if (holdReleased || reading || !reader)
        return;
    if (!closing && (paused || throttled))
        return;
    reading = true;
    // Under the mutex: the reader cannot end meanwhile (its hold is removed
    // only by a failed read, and none is in flight). The read's reaction runs
    // on a gRPC thread, never inline here (the library does not inline them).
    reader->readNext();
}

EventStream::EventStream(Connection* connection, QObject* parent) : StreamCall(connection, parent)
{
    qRegisterMetaType<streamlab::EventRow>();
    qRegisterMetaType<QList<streamlab::EventRow>>();
    qRegisterMetaType<streamlab::ServerWriteState>();
    qRegisterMetaType<streamlab::EventStreamCounters>();
}

EventStream::~EventStream()
{
    if (active())
        stop();
    else if (m_watch)
        m_watch->record->cancel();   // it may still wait for the server's last sample
}

QStringList EventStream::knownTypes()
{
    QStringList types;
    for (const auto& type : server::EventFactory::types())
        types << QString::fromStdString(type);
    return types;
}

void EventStream::start(const EventQuery& query)
{
    if (active())
        stop();
    else if (m_watch)
        m_watch->record->cancel();
    const bool wasPaused = m_paused;
    m_paused = false;
    m_throttledTimes = 0;
    m_sinceDelivery.invalidate();
    m_backlog.clear();
    m_backlogNext = 0;
    m_server = ServerWriteState();
    m_shared = std::make_shared<EventStreamShared>();
    m_watch.reset();
    m_probeId = query.watchServer ? QStringLiteral("events-%1").arg(QUuid::createUuid().toString(QUuid::WithoutBraces))
                                  : QString();
    const qint64 deadlineMs = query.deadlineMs > 0 ? query.deadlineMs : kOpenStreamDeadlineMs;

    EventFilter filter;
    filter.set_after(query.after.toStdString());
    for (const QString& type : query.types)
        filter.add_types(type.toStdString());
    filter.set_follow(query.follow);
    filter.set_after_id(query.afterId);
    filter.set_limit(query.limit);
    filter.set_probe_id(m_probeId.toStdString());

    std::shared_ptr<CallRecord> record = beginCall(QStringLiteral("ListEvents"), deadlineMs);
    if (wasPaused)
        Q_EMIT pausedChanged(false);
    std::shared_ptr<grpc::Channel> channel = connection()->channel();
    if (channel && query.receiveWindowBytes > 0) {
        grpc::ChannelArguments args = Connection::channelArguments();
        args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
        args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, query.receiveWindowBytes);
        channel = grpc::CreateCustomChannel(connection()->target().toStdString(), grpc::InsecureChannelCredentials(), args);
    }
    if (!channel) {
        record->finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "not connected to a server"));
        return;
    }
    std::shared_ptr<EventWatchShared> watch;
    WatchRequest request;
    if (query.watchServer) {
        watch = std::make_shared<EventWatchShared>();
        watch->record = std::make_shared<CallRecord>(*connection(), QStringLiteral("FlowLab.Watch"), deadlineMs);
        m_watch = watch;
        request.set_probe_id(filter.probe_id());
        request.set_interval_ms(kWatchIntervalMs);
        request.set_wait_ms(10000);
    }
    std::shared_ptr<EventStreamShared> shared = m_shared;
    callStarter().start([record, shared, watch, channel, filter, request] {
        (new EventReader(record, shared))->start(channel, filter);
        if (watch)
            (new ProbeWatcher(watch, shared))->start(channel, request);
    });
}

void EventStream::stop()
{
    if (!m_shared)
        return;
    cancel();
    if (m_watch)
        m_watch->record->cancel();
    std::shared_ptr<EventStreamShared> shared = m_shared;
    callStarter().start([shared] { shared->release(); });
}

void EventStream::pause()
{
    if (!active() || m_paused)
        return;
    m_paused = true;
    {
        std::lock_guard<std::mutex> lock(m_shared->mutex);
        m_shared->paused = true;
        m_shared->pausedFlag.store(true, std::memory_order_release);
    }
    if (CallRecord* r = record())
        r->note(CallTraceEntry::Kind::Note, tr("paused: no next read, the server's writes will stall"));
    Q_EMIT pausedChanged(true);
}

void EventStream::resume()
{
    if (!m_paused)
        return;
    m_paused = false;
    {
        std::lock_guard<std::mutex> lock(m_shared->mutex);
        m_shared->paused = false;
        m_shared->pausedFlag.store(false, std::memory_order_release);
    }
    if (CallRecord* r = record(); r && active())
        r->note(CallTraceEntry::Kind::Note, tr("resumed: reading again"));
    std::shared_ptr<EventStreamShared> shared = m_shared;
    callStarter().start([shared] { shared->requestRead(); });
    Q_EMIT pausedChanged(false);
}

EventStreamCounters EventStream::counters() const
{
    EventStreamCounters c;
    if (!m_shared)
        return c;
    c.received = m_shared->received.load(std::memory_order_acquire);
    c.bytes = m_shared->bytes.load(std::memory_order_relaxed);
    const qint64 firstUs = m_shared->firstEventUs.load();
    c.firstEventMs = firstUs < 0 ? -1.0 : double(firstUs) / 1000.0;
    c.paused = m_paused;
    c.throttledTimes = m_throttledTimes;
    std::lock_guard<std::mutex> lock(m_shared->mutex);
    c.receivedAtStop = m_shared->receivedAtStop;
    return c;
}

void EventStream::onFrame()
{
    // Under a flood, rows are handed over every other frame (~30 Hz): the
    // table then repaints half as often, to show rows nobody can read at
    // that speed anyway, and the CPU it saves goes to reading. A slower
    // stream, and the last frame of a call, go at the full frame rate.
    // One frame hands over at most kMaxRowsPerFrame rows (the rest wait for
    // the next), so that a frame's work stays small even after the GUI thread
    // fell behind; the reader counts them as waiting (backpressure).
    const bool last = record() && record()->isFinished();
    const size_t waiting = m_shared->inbox.size() + (m_backlog.size() - m_backlogNext);
    const bool flood = waiting >= size_t(kFloodRows);
    const bool hold = flood && !last && m_sinceDelivery.isValid() && m_sinceDelivery.elapsed() < kFloodIntervalMs;
    if (!hold) {
        std::vector<Event> taken = m_shared->inbox.takeAll();
        if (m_backlogNext == m_backlog.size()) {
            m_backlog.swap(taken);
            m_backlogNext = 0;
        } else {
            std::move(taken.begin(), taken.end(), std::back_inserter(m_backlog));
        }
        const size_t available = m_backlog.size() - m_backlogNext;
        const size_t count = last ? available : std::min(available, size_t(kMaxRowsPerFrame));
        if (count > 0) {
            m_sinceDelivery.start();
            QList<EventRow> rows;
            rows.reserve(qsizetype(count));
            for (size_t i = m_backlogNext; i < m_backlogNext + count; ++i) {
                const Event& event = m_backlog[i];
                EventRow row;
                row.id = event.id();
                row.timeMs = event.time_ms();
                row.type = typeName(event.type());
                row.data = QString::fromUtf8(event.data().data(), qsizetype(event.data().size()));
                row.live = event.live();
                rows.push_back(std::move(row));
            }
            m_backlogNext += count;
            if (m_backlogNext == m_backlog.size()) {   // free the messages before the GUI gets busy with the rows
                m_backlog.clear();
                m_backlogNext = 0;
            }
            m_shared->pending.fetch_sub(qint64(count), std::memory_order_relaxed);
            resumeIfThrottled();   // before the GUI works on these rows: reading goes on meanwhile
            Q_EMIT eventsReceived(rows);
        }
    }
    if (!hold)
        resumeIfThrottled();
    takeServerSample();
    Q_EMIT countersChanged(counters());
}

void EventStream::resumeIfThrottled()
{
    if (m_shared->pending.load(std::memory_order_relaxed) >= kMaxPendingRows)
        return;
    bool wasThrottled = false;
    {
        std::lock_guard<std::mutex> lock(m_shared->mutex);
        std::swap(wasThrottled, m_shared->throttled);
    }
    if (!wasThrottled)
        return;
    // The GUI has caught up: ask for more.
    ++m_throttledTimes;
    std::shared_ptr<EventStreamShared> shared = m_shared;
    callStarter().start([shared] { shared->requestRead(); });
}

QString EventStream::typeName(const std::string& type)
{
    // A handful of type names repeat forever: one shared QString each.
    for (const auto& known : m_types)
        if (known.first == type)
            return known.second;
    QString name = QString::fromStdString(type);
    if (m_types.size() < 64)
        m_types.emplace_back(type, name);
    return name;
}

void EventStream::takeServerSample()
{
    if (!m_watch)
        return;
    std::optional<ProbeSample> sample;
    {
        std::lock_guard<std::mutex> lock(m_watch->mutex);
        sample.swap(m_watch->latest);
    }
    if (!sample)
        return;
    m_server = toServerWriteState(*sample);
    Q_EMIT serverWriteStateChanged(m_server);
}

void EventStream::onFinished(const CallStatus& status)
{
    Q_UNUSED(status)
    // The server's last figures (its probe's final sample: the longest write,
    // how the call ended) arrive a moment after the call; the watch then ends
    // by itself. Take that sample, and stop waiting after a few intervals.
    if (m_watch) {
        std::shared_ptr<EventWatchShared> watch = m_watch;
        QTimer::singleShot(3 * kWatchIntervalMs, this, [this, watch] {
            if (m_watch == watch)
                takeServerSample();
            watch->record->cancel();
        });
    }
    if (m_paused) {
        m_paused = false;
        Q_EMIT pausedChanged(false);
    }
}

} // namespace streamlab
