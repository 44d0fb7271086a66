#include "FlowLab.h"

#include "Connection.h"
#include "Inbox.h"
#include "Scheduler.h"
#include "streamlab_lab.grpc.pb.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/credentials.h>

#include <QElapsedTimer>
#include <QLocale>
#include <QUuid>

#include <algorithm>
#include <chrono>
#include <mutex>

namespace streamlab {

namespace {

using Clock = std::chrono::steady_clock;

// The lab's timer thread: delayed and resumed reads are posted here, never
// slept in a reaction. Never destroyed: a task may still run while the
// process exits (like CallTracker's registry).
server::Scheduler& labScheduler()
{
    static auto* scheduler = new server::Scheduler(1);
    return *scheduler;
}

double millisSince(Clock::time_point from)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - from).count();
}

constexpr qint64 kDefaultLookahead = 65535;    // C-core's default stream window (BDP off)
constexpr qint64 kBdpStartWindow = 4 << 20;    // what BDP probing starts a connection's window at
constexpr char kGuideOption[] = "grpc.http2.initial_window_size";

class ProduceReader;

} // namespace

// What the reactors and the FlowLab object share. The reactors hold it; the
// object replaces it at every run. The contexts are set while their call is
// alive and cleared (under the mutex) before its record can go.
struct FlowLabCall::Shared {
    Shared(const FlowSettings& s) : scenario(s.scenario), delayMs(s.consumerDelayMs), paused(s.paused) { clock.start(); }

    enum class Release { Timer, Resume, Stop };
    void releaseDeferredRead(Release why, uint64_t token);
    void scheduleRelease(Clock::time_point at, Release why);
    void stopRun(const QString& reason);
    void flowEnded();
    void watchEnded(const grpc::Status& status);
    void sampleArrived(const ProbeSample& sample);
    void note(const QString& text);

    const FlowScenario scenario;
    QElapsedTimer clock;   // t = 0 of the run's samples
    std::weak_ptr<Shared> self;

    std::mutex mutex;
    int delayMs;
    bool paused;
    // The client's own figures: A — what the client app consumed; B — the
    // client's writes (completed, and the one pending).
    qint64 clientMessages = 0;
    qint64 clientBytes = 0;
    bool clientWritePending = false;
    Clock::time_point writeStartedAt;
    double lastWriteMs = 0;
    double maxWriteMs = 0;
    qint64 slowWrites = 0;
    // A: a read the app has not asked for yet; the reader is held (AddHold)
    // while it waits, so it stays alive for the timer thread.
    ProduceReader* heldReader = nullptr;
    Clock::time_point deferredAt;
    uint64_t releaseToken = 0;
    // The two calls.
    grpc::ClientContext* flowContext = nullptr;
    grpc::ClientContext* watchContext = nullptr;
    std::weak_ptr<CallRecord> flowRecord;
    bool stopping = false;
    QString endReason;

    Inbox<FlowSample> samples;
    std::unique_ptr<streamlab::FlowLab::Stub> labStub;    // the lab channel
    std::unique_ptr<streamlab::FlowLab::Stub> mainStub;   // the app's main channel (Watch)
};

namespace {

// Scenario A: reads what FlowLab.Produce sends, at the app's pace.
class ProduceReader : public grpc::ClientReadReactor<Payload> {
public:
    ProduceReader(std::shared_ptr<CallRecord> record, std::shared_ptr<FlowLabCall::Shared> shared, const ProduceRequest& request)
        : m_record(std::move(record)), m_shared(std::move(shared)), m_request(request)
    {
    }

    void start()
    {
        m_shared->labStub->async()->Produce(m_record->context(), &m_request, this);
        {
            std::lock_guard<std::mutex> lock(m_shared->mutex);
            m_shared->flowContext = m_record->context();
        }
        // The app asks for the first message even when it starts paused:
        // pausing stops it asking for the next one.
        StartRead(&m_message);
        StartCall();
    }

    // From the timer thread, while held: ask for the next message (or not,
    // when the run stops) and let go of the hold. The reader may be gone
    // once this returns.
    void resume(bool read)
    {
        if (read)
            StartRead(&m_message);
        RemoveHold();
    }

    void OnReadInitialMetadataDone(bool ok) override
    {
        if (ok)
            m_record->noteHeaders();
    }

    void OnReadDone(bool ok) override
    {
        if (!ok)
            return;   // the call is ending: OnDone follows
        const qint64 bytes = qint64(m_message.ByteSizeLong());
        m_record->noteReceived(bytes);
        std::unique_lock<std::mutex> lock(m_shared->mutex);
        ++m_shared->clientMessages;
        m_shared->clientBytes += bytes;
        if (m_shared->stopping)
            return;
        if (m_shared->paused || m_shared->delayMs > 0) {
            deferLocked();
            return;
        }
        lock.unlock();
        StartRead(&m_message);
    }

    void OnDone(const grpc::Status& status) override
    {
        m_shared->flowEnded();
        m_record->finish(status);
        delete this;
    }

private:
    // Under the shared mutex: hold the reader until the app asks for the next
    // message (a timer after the delay, Resume, or the end of the run).
    void deferLocked()
    {
        AddHold();
        FlowLabCall::Shared& s = *m_shared;
        s.heldReader = this;
        s.deferredAt = Clock::now();
        const uint64_t token = ++s.releaseToken;
        if (!s.paused) {
            auto shared = m_shared;
            labScheduler().postAt(s.deferredAt + std::chrono::milliseconds(s.delayMs), 0,
                                  [shared, token] { shared->releaseDeferredRead(FlowLabCall::Shared::Release::Timer, token); });
        }
    }

    std::shared_ptr<CallRecord> m_record;
    std::shared_ptr<FlowLabCall::Shared> m_shared;
    ProduceRequest m_request;
    Payload m_message;
};

// Scenario B: writes to FlowLab.Consume as fast as flow control lets it and
// times each write.
class ConsumeWriter : public grpc::ClientWriteReactor<Payload> {
public:
    ConsumeWriter(std::shared_ptr<CallRecord> record, std::shared_ptr<FlowLabCall::Shared> shared, int messageBytes,
                  const std::string& probeId)
        : m_record(std::move(record)), m_shared(std::move(shared))
    {
        m_message.mutable_data()->assign(size_t(messageBytes), 'x');
        m_message.set_probe_id(probeId);
    }

    void start()
    {
        m_shared->labStub->async()->Consume(m_record->context(), &m_result, this);
        {
            std::lock_guard<std::mutex> lock(m_shared->mutex);
            m_shared->flowContext = m_record->context();
        }
        writeNext();
        StartCall();
    }

    void OnReadInitialMetadataDone(bool ok) override
    {
        if (ok)
            m_record->noteHeaders();
    }

    void OnWriteDone(bool ok) override
    {
        {
            std::lock_guard<std::mutex> lock(m_shared->mutex);
            FlowLabCall::Shared& s = *m_shared;
            s.clientWritePending = false;
            const double took = millisSince(s.writeStartedAt);
            s.lastWriteMs = took;
            s.maxWriteMs = std::max(s.maxWriteMs, took);
            if (took > 50)
                ++s.slowWrites;
            if (ok) {
                ++s.clientMessages;
                s.clientBytes += m_pendingBytes;
            }
            if (!ok || s.stopping)
                return;   // OnDone follows (the run is being cancelled)
        }
        m_record->noteSent(m_pendingBytes);
        m_message.clear_probe_id();   // the first message named the probe
        writeNext();
    }

    void OnDone(const grpc::Status& status) override
    {
        if (status.ok())
            m_record->note(CallTraceEntry::Kind::Note,
                           QStringLiteral("the server consumed %1 messages, %2")
                               .arg(m_result.messages())
                               .arg(FlowLabCall::sizeText(qint64(m_result.bytes()))));
        m_shared->flowEnded();
        m_record->finish(status);
        delete this;
    }

private:
    void writeNext()
    {
        {
            std::lock_guard<std::mutex> lock(m_shared->mutex);
            m_message.set_read_delay_ms(uint32_t(m_shared->delayMs));
            m_message.set_seq(m_message.seq() + 1);
            m_pendingBytes = qint64(m_message.ByteSizeLong());
            m_shared->clientWritePending = true;
            m_shared->writeStartedAt = Clock::now();
        }
        StartWrite(&m_message);
    }

    std::shared_ptr<CallRecord> m_record;
    std::shared_ptr<FlowLabCall::Shared> m_shared;
    Payload m_message;
    ConsumeResult m_result;
    qint64 m_pendingBytes = 0;
};

// FlowLab.Watch on the main connection: the sender's (A) or the server
// app's (B) figures, every kWatchIntervalMs.
class ProbeWatcher : public grpc::ClientReadReactor<ProbeSample> {
public:
    ProbeWatcher(std::shared_ptr<CallRecord> record, std::shared_ptr<FlowLabCall::Shared> shared, const std::string& probeId)
        : m_record(std::move(record)), m_shared(std::move(shared))
    {
        m_request.set_probe_id(probeId);
        m_request.set_interval_ms(FlowLabCall::kWatchIntervalMs);
        m_request.set_wait_ms(5000);
    }

    void start()
    {
        m_shared->mainStub->async()->Watch(m_record->context(), &m_request, this);
        {
            std::lock_guard<std::mutex> lock(m_shared->mutex);
            m_shared->watchContext = m_record->context();
        }
        StartRead(&m_sample);
        StartCall();
    }

    void OnReadDone(bool ok) override
    {
        if (!ok)
            return;
        m_record->noteReceived(qint64(m_sample.ByteSizeLong()));
        m_shared->sampleArrived(m_sample);
        StartRead(&m_sample);
    }

    void OnDone(const grpc::Status& status) override
    {
        m_shared->watchEnded(status);
        m_record->finish(status);
        delete this;
    }

private:
    std::shared_ptr<CallRecord> m_record;
    std::shared_ptr<FlowLabCall::Shared> m_shared;
    WatchRequest m_request;
    ProbeSample m_sample;
};

} // namespace

// --- Shared ---------------------------------------------------------------

void FlowLabCall::Shared::scheduleRelease(Clock::time_point at, Release why)
{
    // Under the mutex.
    const uint64_t token = ++releaseToken;
    auto shared = self.lock();
    if (!shared)
        return;
    labScheduler().postAt(at, 0, [shared, why, token] { shared->releaseDeferredRead(why, token); });
}

// On the timer thread.
void FlowLabCall::Shared::releaseDeferredRead(Release why, uint64_t token)
{
    ProduceReader* reader = nullptr;
    bool read = false;
    {
        std::lock_guard<std::mutex> lock(mutex);
        if (!heldReader || token != releaseToken)
            return;   // already released, or superseded by a newer timer
        if (why == Release::Timer && paused)
            return;   // paused meanwhile: Resume releases it
        reader = heldReader;
        heldReader = nullptr;
        read = !stopping;
    }
    reader->resume(read);   // may end the reader: not touched after this
}

void FlowLabCall::Shared::stopRun(const QString& reason)
{
    std::lock_guard<std::mutex> lock(mutex);
    if (!stopping)
        endReason = reason;
    stopping = true;
    if (flowContext)
        flowContext->TryCancel();
    if (watchContext)
        watchContext->TryCancel();
    if (heldReader)
        scheduleRelease(Clock::now(), Release::Stop);
}

void FlowLabCall::Shared::flowEnded()
{
    std::lock_guard<std::mutex> lock(mutex);
    flowContext = nullptr;
    stopping = true;
    // The figures stream has nothing more to watch.
    if (watchContext)
        watchContext->TryCancel();
}

void FlowLabCall::Shared::watchEnded(const grpc::Status& status)
{
    bool flowRunning = false;
    {
        std::lock_guard<std::mutex> lock(mutex);
        watchContext = nullptr;
        flowRunning = flowContext != nullptr && !stopping;
    }
    if (!flowRunning)
        return;
    // Without its figures the run shows nothing: end it, and say why.
    const CallStatus st = makeCallStatus(status, 0, QString());
    const QString reason = status.ok()
        ? QStringLiteral("The figures stream (FlowLab.Watch) ended early.")
        : QStringLiteral("The figures stream (FlowLab.Watch) failed: %1 (%2).").arg(st.serverMessage, st.codeName);
    note(reason);
    stopRun(reason);
}

void FlowLabCall::Shared::note(const QString& text)
{
    if (auto record = flowRecord.lock())
        record->note(CallTraceEntry::Kind::Note, text);
}

// On a gRPC thread: one server sample, combined with the client's own
// figures at this moment.
void FlowLabCall::Shared::sampleArrived(const ProbeSample& p)
{
    FlowSample s;
    s.tSeconds = double(clock.nsecsElapsed()) / 1e9;
    {
        std::lock_guard<std::mutex> lock(mutex);
        if (scenario == FlowScenario::ServerToClient) {
            s.senderMessages = qint64(p.messages_written());
            s.senderBytes = qint64(p.bytes_written());
            s.writePending = p.write_pending();
            s.blockedMs = p.write_pending() ? double(p.current_write_blocked_ms()) : 0.0;
            s.lastWriteMs = p.last_write_ms();
            s.maxWriteMs = p.max_write_ms();
            s.slowWrites = qint64(p.stalled_writes());
            s.consumedMessages = clientMessages;
            s.consumedBytes = clientBytes;
        } else {
            s.senderMessages = clientMessages;
            s.senderBytes = clientBytes;
            s.writePending = clientWritePending;
            s.blockedMs = clientWritePending ? millisSince(writeStartedAt) : 0.0;
            s.lastWriteMs = lastWriteMs;
            s.maxWriteMs = maxWriteMs;
            s.slowWrites = slowWrites;
            s.consumedMessages = qint64(p.messages_read());
            s.consumedBytes = qint64(p.bytes_read());
        }
    }
    // The two sides are read a moment apart: never show a negative amount.
    s.inFlightBytes = std::max<qint64>(0, s.senderBytes - s.consumedBytes);
    samples.push(s);
}

// --- FlowStallDetector -----------------------------------------------------

void FlowStallDetector::reset()
{
    m_active.reset();
    m_summary = {};
    m_previousMaxWriteMs = 0;
}

void FlowStallDetector::account(const FlowStall& stall)
{
    m_summary.longestStallMs = std::max(m_summary.longestStallMs, stall.durationMs);
}

QList<FlowStall> FlowStallDetector::feed(const FlowSample& s, bool readerPaused, int consumerDelayMs)
{
    QList<FlowStall> changed;
    m_summary.senderBytes = s.senderBytes;
    m_summary.consumedBytes = s.consumedBytes;
    m_summary.maxInFlightBytes = std::max(m_summary.maxInFlightBytes, s.inFlightBytes);
    m_summary.maxWriteMs = std::max(m_summary.maxWriteMs, s.maxWriteMs);
    m_summary.slowWrites = s.slowWrites;

    const bool blocked = s.writePending && s.blockedMs >= kThresholdMs;
    if (m_active && (!blocked || s.senderMessages != m_active->messagesBefore)) {
        // The stalled write has completed (and perhaps more after it).
        FlowStall done = *m_active;
        done.ongoing = false;
        if (s.senderMessages == done.messagesBefore + 1) {
            // It was the last write: the sender measured its exact duration.
            done.durationMs = std::max(done.durationMs, s.lastWriteMs);
        } else if (s.maxWriteMs > m_previousMaxWriteMs
                   && s.maxWriteMs <= (s.tSeconds - done.onsetSeconds) * 1000.0 + FlowLabCall::kWatchIntervalMs) {
            // More writes completed since: the longest new one, if it fits
            // between the onset and now, was the stalled one.
            done.durationMs = std::max(done.durationMs, s.maxWriteMs);
        }
        m_active.reset();
        account(done);
        changed.append(done);
    }
    if (blocked) {
        if (!m_active) {
            FlowStall stall;
            stall.index = ++m_summary.stalls;
            stall.onsetSeconds = std::max(0.0, s.tSeconds - s.blockedMs / 1000.0);
            stall.bytesBefore = s.senderBytes;
            stall.messagesBefore = s.senderMessages;
            stall.inFlightAtOnset = s.inFlightBytes;
            if (!m_summary.hasFirstStall) {
                m_summary.hasFirstStall = true;
                m_summary.firstStallBytesBefore = s.senderBytes;
                m_summary.firstStallSeconds = stall.onsetSeconds;
            }
            m_active = stall;
        }
        m_active->durationMs = s.blockedMs;
        // Paused at any time during the stall: that is why it lasted.
        m_active->readerPaused = m_active->readerPaused || readerPaused;
        m_active->consumerDelayMs = consumerDelayMs;
        account(*m_active);
        changed.append(*m_active);
    }
    m_previousMaxWriteMs = s.maxWriteMs;
    return changed;
}

std::optional<FlowStall> FlowStallDetector::endActive()
{
    if (!m_active)
        return std::nullopt;
    FlowStall done = *m_active;
    done.ongoing = false;
    m_active.reset();
    return done;
}

// --- FlowLab ----------------------------------------------------------------

FlowLabCall::FlowLabCall(Connection* connection, QObject* parent) : StreamCall(connection, parent)
{
    qRegisterMetaType<streamlab::FlowBatch>();
    qRegisterMetaType<streamlab::FlowSettings>();
}

FlowLabCall::~FlowLabCall()
{
    if (m_shared)
        m_shared->stopRun(QString());
}

QString FlowLabCall::validate(const FlowSettings& s)
{
    if (s.messageBytes < 1 || s.messageBytes > kMaxMessageBytes)
        return tr("The message size must be between 1 byte and %1 (the server's limit).").arg(sizeText(kMaxMessageBytes));
    if (s.consumerDelayMs < 0 || s.consumerDelayMs > kMaxDelayMs)
        return tr("The consumer delay must be between 0 and %1 ms.").arg(kMaxDelayMs);
    if (s.lookaheadBytes < 0)
        return tr("The receive window cannot be negative (0 = gRPC's default).");
    if (s.guideInitialWindowSize < 0)
        return tr("grpc.http2.initial_window_size cannot be negative (0 = not set).");
    return {};
}

grpc::ChannelArguments FlowLabCall::labChannelArguments(const FlowSettings& s)
{
    // Only what the lab studies, on top of gRPC's defaults: no keepalive
    // (the app's channels ping every 30 s for long chats; on this channel
    // the pings would feed BDP probing and move the window mid-run).
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(8 << 20);
    // Its own subchannels, hence its own TCP connection: a stall on the lab
    // never touches the app's main connection (where FlowLab.Watch runs).
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, s.bdpProbe ? 1 : 0);
    if (s.lookaheadBytes > 0)
        args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, s.lookaheadBytes);
    // The guide's option, set for real: C-core has no such argument and
    // ignores it (DESIGN.md §4) — the lab shows that it changes nothing.
    if (s.guideInitialWindowSize > 0)
        args.SetInt(kGuideOption, s.guideInitialWindowSize);
    return args;
}

QStringList FlowLabCall::channelArgumentLines(const FlowSettings& s)
{
    QStringList lines;
    lines << QStringLiteral("%1 = %2").arg(QString::fromLatin1(GRPC_ARG_HTTP2_BDP_PROBE)).arg(s.bdpProbe ? 1 : 0);
    if (s.lookaheadBytes > 0)
        lines << QStringLiteral("%1 = %2").arg(QString::fromLatin1(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES)).arg(s.lookaheadBytes);
    if (s.guideInitialWindowSize > 0)
        lines << QStringLiteral("%1 = %2").arg(QString::fromLatin1(kGuideOption)).arg(s.guideInitialWindowSize);
    lines << QStringLiteral("%1 = 1").arg(QString::fromLatin1(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL));
    return lines;
}

QString FlowLabCall::sizeText(qint64 bytes)
{
    const QLocale locale;
    if (bytes < 1024)
        return tr("%1 B").arg(bytes);
    const double kib = double(bytes) / 1024.0;
    if (kib < 1024)
        return tr("%1 KiB").arg(locale.toString(kib, 'f', kib < 100 && std::abs(kib - std::round(kib)) > 0.05 ? 1 : 0));
    const double mib = kib / 1024.0;
    if (mib < 1024)
        return tr("%1 MiB").arg(locale.toString(mib, 'f', mib < 100 ? 2 : 1));
    return tr("%1 GiB").arg(locale.toString(mib / 1024.0, 'f', 2));
}

FlowWindowPrediction FlowLabCall::predictWindow(const FlowSettings& s)
{
    FlowWindowPrediction p;
    if (s.scenario == FlowScenario::ClientToServer) {
        // The receiver is the server: its own arguments decide (the bundled
        // server keeps gRPC's defaults, BDP probing on).
        p.bytes = kBdpStartWindow;
        p.approximate = true;
        p.text = tr("≈ 4 MiB — the server's own receive window (BDP: 4 MiB at first, often more soon after); "
                    "client settings do not change it");
        return p;
    }
    if (s.bdpProbe) {
        p.bytes = kBdpStartWindow;
        p.approximate = true;
        p.text = tr("≈ 4 MiB — BDP probing: 4 MiB at first, often 8 MiB after its first estimate (at most 32 MiB)");
        return p;
    }
    p.bytes = s.lookaheadBytes > 0 ? s.lookaheadBytes : kDefaultLookahead;
    p.text = s.lookaheadBytes > 0 ? tr("%1 — grpc.http2.lookahead_bytes = %2, BDP off").arg(sizeText(p.bytes)).arg(s.lookaheadBytes)
                                  : tr("%1 — gRPC's default stream window (65535 B), BDP off").arg(sizeText(p.bytes));
    return p;
}

namespace {
// The window as a person reads it: exact when the settings fix it; with BDP
// probing, what this connection really had (the bytes in flight when it
// stalled), as BDP sizes it per connection.
QString windowText(const FlowStall& stall, const FlowSettings& s)
{
    const FlowWindowPrediction window = FlowLabCall::predictWindow(s);
    if (!window.approximate)
        return FlowLabCall::sizeText(window.bytes);
    return FlowLabCall::tr("BDP-sized (about %1 here)").arg(FlowLabCall::sizeText(std::max(window.bytes, stall.inFlightAtOnset)));
}

// Why the sender waits, for a person: the window and the receiving app's pace.
QString stallCause(const FlowStall& stall, const FlowSettings& s, bool present)
{
    const QString is = present ? FlowLabCall::tr("is") : FlowLabCall::tr("was");
    if (s.scenario == FlowScenario::ServerToClient) {
        QString why;
        if (stall.readerPaused)
            why = FlowLabCall::tr("the app has not asked for the next message (the reader is paused: Resume lets it go)");
        else if (stall.consumerDelayMs > 0)
            why = FlowLabCall::tr("the app asks for the next message only every %1 ms").arg(stall.consumerDelayMs);
        else
            why = FlowLabCall::tr("the app has not asked for the next message yet (it reads as fast as it can: the machine is busy)");
        return FlowLabCall::tr("the client's %1 window %2 full and %3").arg(windowText(stall, s), is, why);
    }
    const QString why = stall.consumerDelayMs > 0
        ? FlowLabCall::tr("the server app reads only one message every %1 ms").arg(stall.consumerDelayMs)
        : FlowLabCall::tr("the server app has not read the next message yet");
    return FlowLabCall::tr("the server's receive window (%1) %2 full and %3").arg(windowText(stall, s), is, why);
}

// What the sender had done when it stalled.
QString stallNumbers(const FlowStall& stall, const FlowSettings& s)
{
    if (stall.inFlightAtOnset < s.messageBytes)
        return FlowLabCall::tr("%1 completed before it, all of it already taken: the window is full with the start of the "
                               "blocked message itself")
            .arg(FlowLabCall::sizeText(stall.bytesBefore));
    return FlowLabCall::tr("%1 completed before it, %2 of it in flight").arg(FlowLabCall::sizeText(stall.bytesBefore),
                                                                         FlowLabCall::sizeText(stall.inFlightAtOnset));
}

QString durationText(double ms)
{
    return ms >= 1000 ? FlowLabCall::tr("%1 s").arg(QLocale().toString(ms / 1000.0, 'f', 2))
                      : FlowLabCall::tr("%1 ms").arg(qRound(ms));
}
} // namespace

QString FlowLabCall::explainStall(const FlowStall& stall, const FlowSettings& s)
{
    const QString who = s.scenario == FlowScenario::ServerToClient ? tr("The server") : tr("The client");
    return (stall.ongoing ? tr("%1 has been blocked %2: %3 (%4).") : tr("%1 was blocked %2: %3 (%4)."))
        .arg(who, durationText(stall.durationMs), stallCause(stall, s, stall.ongoing), stallNumbers(stall, s));
}

QString FlowLabCall::describeStallOnset(const FlowStall& stall, const FlowSettings& s)
{
    const QString who = s.scenario == FlowScenario::ServerToClient ? tr("the server's") : tr("the client's");
    return tr("Stall %1 from %2 s: %3 write waited over %4 ms — %5. %6.")
        .arg(stall.index)
        .arg(QLocale().toString(stall.onsetSeconds, 'f', 2))
        .arg(who)
        .arg(qRound(FlowStallDetector::kThresholdMs))
        .arg(stallCause(stall, s, false), stallNumbers(stall, s));
}

bool FlowLabCall::start(const FlowSettings& settings, QString* error)
{
    auto fail = [error](const QString& text) {
        if (error)
            *error = text;
        return false;
    };
    const QString invalid = validate(settings);
    if (!invalid.isEmpty())
        return fail(invalid);
    auto mainChannel = connection()->channel();
    const QString target = connection()->target();
    if (!mainChannel || target.isEmpty())
        return fail(tr("Not connected: connect to a server first (the bar at the top)."));

    if (m_shared)
        m_shared->stopRun(QString());   // a run in progress ends; its reactors finish on their own

    m_settings = settings;
    if (settings.scenario == FlowScenario::ClientToServer)
        m_settings.paused = false;   // the server app's reads cannot be paused from here
    m_detector.reset();
    m_probeId = QStringLiteral("flowlab-%1").arg(QUuid::createUuid().toString(QUuid::WithoutBraces));
    ++m_runs;

    // A fresh channel for every run: BDP probing grows a connection's window
    // as it goes, so only a new connection starts from the predicted window.
    m_labChannel = grpc::CreateCustomChannel(target.toStdString(), grpc::InsecureChannelCredentials(),
                                             labChannelArguments(m_settings));
    auto shared = std::make_shared<Shared>(m_settings);
    shared->self = shared;
    shared->labStub = streamlab::FlowLab::NewStub(m_labChannel);
    shared->mainStub = streamlab::FlowLab::NewStub(mainChannel);
    m_shared = shared;

    const bool a = m_settings.scenario == FlowScenario::ServerToClient;
    auto record = beginCall(a ? QStringLiteral("FlowLab.Produce") : QStringLiteral("FlowLab.Consume"), kOpenStreamDeadlineMs);
    shared->flowRecord = record;
    QStringList arguments = channelArgumentLines(m_settings);
    for (QString& line : arguments) {
        if (line.startsWith(QLatin1String(kGuideOption)))
            line += tr(" (no such option in gRPC C++: ignored)");
        else if (line.startsWith(QLatin1String(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES)) && m_settings.bdpProbe)
            line += tr(" (holds only with BDP off)");
    }
    const QString opened = tr("Run %1 on a fresh connection to %2: %3").arg(m_runs).arg(target, arguments.join(QStringLiteral(", ")));
    record->note(CallTraceEntry::Kind::Note, opened);
    Q_EMIT channelOpened(opened);

    const std::string probe = m_probeId.toStdString();
    if (a) {
        ProduceRequest request;
        request.set_message_size(uint32_t(m_settings.messageBytes));
        request.set_probe_id(probe);
        (new ProduceReader(record, shared, request))->start();
    } else {
        (new ConsumeWriter(record, shared, m_settings.messageBytes, probe))->start();
    }
    auto watchRecord = std::make_shared<CallRecord>(*connection(), QStringLiteral("FlowLab.Watch"), kOpenStreamDeadlineMs);
    record->note(CallTraceEntry::Kind::Note, tr("figures: FlowLab.Watch every %1 ms on the main connection (probe %2)").arg(kWatchIntervalMs).arg(m_probeId));
    (new ProbeWatcher(watchRecord, shared, probe))->start();
    return true;
}

void FlowLabCall::stop()
{
    if (!m_shared || !active())
        return;
    // Mark the run as stopping before anything is cancelled: otherwise the
    // figures stream, ended by the server once the flow is cancelled, can
    // report itself as a failure first and the user's Stop shows as CANCELLED.
    m_shared->stopRun(QString());
    cancel();
}

QString FlowLabCall::endReason() const
{
    if (!m_shared)
        return {};
    std::lock_guard<std::mutex> lock(m_shared->mutex);
    return m_shared->endReason;
}

void FlowLabCall::setConsumerDelayMs(int ms)
{
    ms = std::clamp(ms, 0, kMaxDelayMs);
    if (m_settings.consumerDelayMs == ms)
        return;
    m_settings.consumerDelayMs = ms;
    if (!m_shared || !active())
        return;
    {
        std::lock_guard<std::mutex> lock(m_shared->mutex);
        m_shared->delayMs = ms;
        // A read waiting for the old delay: reschedule it for the new one.
        if (m_shared->heldReader && !m_shared->paused && !m_shared->stopping)
            m_shared->scheduleRelease(m_shared->deferredAt + std::chrono::milliseconds(ms), Shared::Release::Timer);
    }
    if (record())
        record()->note(CallTraceEntry::Kind::Note,
                       m_settings.scenario == FlowScenario::ServerToClient
                           ? tr("the client app now reads every %1 ms").arg(ms)
                           : tr("the server app now reads every %1 ms (from the next message written)").arg(ms));
}

void FlowLabCall::setPaused(bool paused)
{
    if (m_settings.scenario == FlowScenario::ClientToServer)
        return;
    if (m_settings.paused == paused)
        return;
    m_settings.paused = paused;
    if (!m_shared || !active())
        return;
    {
        std::lock_guard<std::mutex> lock(m_shared->mutex);
        m_shared->paused = paused;
        if (!paused && m_shared->heldReader && !m_shared->stopping)
            m_shared->scheduleRelease(Clock::now(), Shared::Release::Resume);
    }
    if (record())
        record()->note(CallTraceEntry::Kind::Note, paused ? tr("reader paused: the app stops asking for messages")
                                                           : tr("reader resumed"));
}

void FlowLabCall::onFrame()
{
    if (!m_shared)
        return;
    FlowBatch out;
    for (const FlowSample& s : m_shared->samples.takeAll()) {
        out.samples.append(s);
        out.stalls.append(m_detector.feed(s, m_settings.paused, m_settings.consumerDelayMs));
    }
    if (out.samples.isEmpty() && out.stalls.isEmpty())
        return;
    out.summary = m_detector.summary();
    Q_EMIT batch(out);
}

void FlowLabCall::onFinished(const CallStatus& status)
{
    Q_UNUSED(status)
    m_labChannel.reset();   // the reactors let go of theirs as they end
    if (auto ended = m_detector.endActive()) {
        FlowBatch out;
        out.stalls.append(*ended);
        out.summary = m_detector.summary();
        Q_EMIT batch(out);
    }
}

} // namespace streamlab
