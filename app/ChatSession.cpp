#include "ChatSession.h"

#include "Connection.h"
#include "Inbox.h"
#include "WorkerPriority.h"
#include "streaming_examples.grpc.pb.h"


#include <QDateTime>
#include <QRandomGenerator>
#include <QUuid>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include <pthread.h>

namespace streamlab {

namespace {

// What the reactor hands to the GUI: a line (chat or presence) or an ACK.
struct Incoming {
    enum class Type { Line, Ack } type = Type::Line;
    ChatLine line;   // Ack: clientId, seq, timeMs, error
};

Incoming toIncoming(const Message& message)
{
    Incoming in;
    ChatLine& line = in.line;
    line.clientId = QString::fromStdString(message.client_id());
    line.seq = message.seq();
    line.user = QString::fromStdString(message.user());
    line.timeMs = message.time_ms();
    switch (message.kind()) {
    case Message::ACK:
        in.type = Incoming::Type::Ack;
        line.error = QString::fromStdString(message.error());
        break;
    case Message::JOIN:
    case Message::LEAVE:
        line.kind = message.kind() == Message::JOIN ? ChatLine::Kind::Joined : ChatLine::Kind::Left;
        line.participants.reserve(message.participants_size());
        for (const std::string& name : message.participants())
            line.participants.append(QString::fromStdString(name));
        break;
    default:
        line.kind = ChatLine::Kind::Chat;
        line.text = QString::fromStdString(message.text());
        line.replayed = message.replayed();
        break;
    }
    return in;
}

// "1 missed line", "3 missed lines" (English plurals without a translation file).
QString lines(int count, const QString& singular)
{
    return QStringLiteral("%1 %2%3").arg(count).arg(singular, count == 1 ? QString() : QStringLiteral("s"));
}

bool isPermanent(int code)
{
    // The server refused this client (bad name, protocol misuse, no access):
    // trying again would fail the same way.
    switch (grpc::StatusCode(code)) {
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNIMPLEMENTED:
        return true;
    default:
        return false;
    }
}

class ChatReactor;

// The thread that starts chat calls and the writes asked for from the GUI
// thread (send, leave), for every session: the GUI thread never touches gRPC.
// It only starts operations, which never block, so one thread serves all
// sessions in the order they asked. (A due callback grpc::Alarm would run
// the same work on gRPC's executor; measured, this plain hand-off is a few
// microseconds quicker per line, and ThreadSanitizer can see it.)
class ChatStarter {
public:
    static void post(std::function<void()> task)
    {
        // Never destroyed: the thread may be waiting when the process exits.
        static ChatStarter* starter = new ChatStarter;
        {
            std::lock_guard<std::mutex> lock(starter->m_mutex);
            starter->m_tasks.push_back(std::move(task));
        }
        starter->m_ready.notify_one();
    }

private:
    ChatStarter()
    {
        std::thread thread([this] { run(); });
        pthread_setname_np(thread.native_handle(), "chat-starter");
        thread.detach();
    }
    void run()
    {
        WorkerPriority::lowerCurrentThread();   // started from the GUI thread: not at its priority
        std::unique_lock<std::mutex> lock(m_mutex);
        for (;;) {
            m_ready.wait(lock, [this] { return !m_tasks.empty(); });
            std::function<void()> task = std::move(m_tasks.front());
            m_tasks.pop_front();
            lock.unlock();
            task();
            task = nullptr;   // drop what it holds before waiting again
            lock.lock();
        }
    }

    std::mutex m_mutex;
    std::condition_variable m_ready;
    std::deque<std::function<void()>> m_tasks;
};

} // namespace

// The session's way back to the GUI thread. Reactors hold it (shared); the
// session clears it when destroyed, so a late reactor posts nothing.
struct ChatWake {
    std::mutex mutex;
    std::function<void()> post;   // queues a drain on the session's thread

    void wake()
    {
        std::lock_guard<std::mutex> lock(mutex);
        if (post)
            post();
    }
};

// One call's state, shared by the session (GUI thread) and the call's reactor
// (gRPC threads). The mutex guards the outbox and the write side.
struct ChatCallShared : std::enable_shared_from_this<ChatCallShared> {
    std::shared_ptr<CallRecord> record;
    std::shared_ptr<ChatWake> wake;
    std::shared_ptr<grpc::Channel> channel;
    Inbox<Incoming> inbox;
    std::atomic<bool> wakePending{false};

    std::mutex mutex;
    std::deque<Message> outbox;          // waiting to be written, in order
    ChatReactor* reactor = nullptr;      // set once started; nullptr again once closed
    bool started = false;
    bool closed = false;                 // the call is ending: start nothing more on it
    bool writing = false;                // one write in flight at most
    bool halfCloseRequested = false;
    bool halfClosed = false;
    bool kickScheduled = false;

    // Reactor → GUI: queue, and wake the GUI unless a wake-up is pending
    // already. An ACK follows its own line's echo at once: it rides along
    // with the next wake-up or frame (a delivered mark ≤ 16 ms later), so a
    // line costs the GUI thread one wake-up, not two.
    void deliver(Incoming in)
    {
        const bool wakeNow = in.type != Incoming::Type::Ack;
        inbox.push(std::move(in));
        if (wakeNow && !wakePending.exchange(true))
            wake->wake();
    }

    // GUI → reactor: queue a message (or the half-close) and get a gRPC thread to write it.
    void enqueue(Message message)
    {
        {
            std::lock_guard<std::mutex> lock(mutex);
            outbox.push_back(std::move(message));
        }
        kick();
    }
    void requestHalfClose()
    {
        {
            std::lock_guard<std::mutex> lock(mutex);
            halfCloseRequested = true;
        }
        kick();
    }

    // Starts the call or the next write off the GUI thread (ChatStarter).
    // Nothing to do when a write is in flight: its completion pumps the outbox.
    void kick()
    {
        {
            std::lock_guard<std::mutex> lock(mutex);
            if (kickScheduled || closed || (started && (writing || !reactor)))
                return;
            kickScheduled = true;
        }
        ChatStarter::post([self = shared_from_this()] { self->onKick(); });
    }

    void onKick();
    void pumpLocked();
};

namespace {

class ChatReactor : public grpc::ClientBidiReactor<Message, Message> {
public:
    explicit ChatReactor(std::shared_ptr<ChatCallShared> shared) : m_shared(std::move(shared)), m_record(m_shared->record) {}

    // On the chat starter thread (the first kick), with the shared mutex NOT held.
    void begin()
    {
        m_stub = StreamingExamples::NewStub(m_shared->channel);
        m_stub->async()->Chat(m_record->context(), this);
        // Writes start from outside reactions (the kick): the hold keeps
        // OnDone away until the read side has ended and nothing more starts.
        AddHold();
        StartRead(&m_in);
        {
            std::lock_guard<std::mutex> lock(m_shared->mutex);
            m_shared->reactor = this;
            m_shared->pumpLocked();
        }
        StartCall();
    }

    // With the shared mutex held, the only way writes start: one in flight.
    void writeLocked(Message message)
    {
        m_out = std::move(message);
        StartWrite(&m_out);
    }
    void halfCloseLocked() { StartWritesDone(); }

    void OnReadInitialMetadataDone(bool ok) override
    {
        if (ok)
            m_record->noteHeaders();
    }

    void OnReadDone(bool ok) override
    {
        if (ok) {
            m_record->noteReceived(qint64(m_in.ByteSizeLong()));
            m_shared->deliver(toIncoming(m_in));
            StartRead(&m_in);
            return;
        }
        // The server ended the call (or it broke): nothing more will be
        // started on it, and OnDone may come.
        std::lock_guard<std::mutex> lock(m_shared->mutex);
        m_shared->closed = true;
        m_shared->reactor = nullptr;
        RemoveHold();
    }

    void OnWriteDone(bool ok) override
    {
        if (ok)
            m_record->noteSent(qint64(m_out.ByteSizeLong()));
        std::lock_guard<std::mutex> lock(m_shared->mutex);
        m_shared->writing = false;
        if (ok)
            m_shared->pumpLocked();
        // Not ok: the call is broken; the read side ends it. Unacknowledged
        // lines are kept by the session and sent again on the next call.
    }

    void OnWritesDoneDone(bool ok) override
    {
        if (ok)
            m_record->note(CallTraceEntry::Kind::HalfClosed, QStringLiteral("WritesDone: no more lines from this client"));
    }

    void OnDone(const grpc::Status& status) override
    {
        {
            std::lock_guard<std::mutex> lock(m_shared->mutex);
            m_shared->closed = true;
            m_shared->reactor = nullptr;
        }
        m_record->finish(status);
        delete this;
    }

private:
    std::shared_ptr<ChatCallShared> m_shared;
    std::shared_ptr<CallRecord> m_record;
    std::unique_ptr<StreamingExamples::Stub> m_stub;
    Message m_in;
    Message m_out;   // the write in flight
};

} // namespace

void ChatCallShared::onKick()
{
    std::unique_lock<std::mutex> lock(mutex);
    kickScheduled = false;
    if (!started) {
        started = true;
        lock.unlock();
        (new ChatReactor(shared_from_this()))->begin();   // deletes itself in OnDone
        return;
    }
    pumpLocked();
}

void ChatCallShared::pumpLocked()
{
    if (closed || !reactor || writing)
        return;
    // StartWrite never runs a reaction inline (grpc++ schedules them), so
    // starting it with the mutex held cannot deadlock with OnWriteDone.
    if (!outbox.empty()) {
        writing = true;
        Message next = std::move(outbox.front());
        outbox.pop_front();
        reactor->writeLocked(std::move(next));
    } else if (halfCloseRequested && !halfClosed) {
        halfClosed = true;
        reactor->halfCloseLocked();
    }
}

// ---------------------------------------------------------------------------

ChatSession::ChatSession(Connection* connection, QObject* parent)
    : StreamCall(connection, parent), m_wake(std::make_shared<ChatWake>())
{
    qRegisterMetaType<streamlab::ChatLine>();
    qRegisterMetaType<QList<streamlab::ChatLine>>();
    qRegisterMetaType<streamlab::ChatSession::State>();
    // Queued: runs on this object's thread, and not at all once it is gone.
    m_wake->post = [this] { QMetaObject::invokeMethod(this, &ChatSession::drain, Qt::QueuedConnection); };
    m_backoffTimer.setSingleShot(true);
    connect(&m_backoffTimer, &QTimer::timeout, this, &ChatSession::startCall);
    // A server that does not end the call after our half-close within this
    // time is not going to: stop waiting.
    m_leaveTimer.setSingleShot(true);
    m_leaveTimer.setInterval(5000);
    connect(&m_leaveTimer, &QTimer::timeout, this, [this] {
        if (m_state == State::Leaving) {
            m_stopRequested = true;
            cancel();
        }
    });
    connect(connection, &Connection::targetChanged, this, &ChatSession::onTargetChanged);
}

ChatSession::~ChatSession()
{
    std::lock_guard<std::mutex> lock(m_wake->mutex);
    m_wake->post = nullptr;
    // ~StreamCall cancels the call in flight; its reactor ends on gRPC's threads.
}

QString ChatSession::newClientId()
{
    // A random (version 4) UUID, as QUuid::createUuid() makes, but from the
    // process's generator (seeded from the system's once) rather than a
    // getrandom() call per line: 1.1 µs less on the GUI thread for each.
    quint32 words[4];
    QRandomGenerator::global()->fillRange(words);
    QUuid id(words[0], quint16(words[1]), quint16(words[1] >> 16), uchar(words[2]), uchar(words[2] >> 8),
             uchar(words[2] >> 16), uchar(words[2] >> 24), uchar(words[3]), uchar(words[3] >> 8), uchar(words[3] >> 16),
             uchar(words[3] >> 24));
    id.data3 = quint16((id.data3 & 0x0fff) | 0x4000);   // version 4: random
    id.data4[0] = uchar((id.data4[0] & 0x3f) | 0x80);   // the RFC 4122 variant
    return id.toString(QUuid::WithoutBraces);
}

QString ChatSession::checkText(const QString& text)
{
    if (text.trimmed().isEmpty())
        return tr("Type a message first: an empty line is not sent.");
    const qsizetype bytes = text.toUtf8().size();
    if (bytes > kMaxTextBytes)
        return tr("This message is %1 bytes long in UTF-8; the server accepts at most %2 bytes per message. "
                  "Shorten it or send it in parts.").arg(bytes).arg(kMaxTextBytes);
    return {};
}

QString ChatSession::checkUser(const QString& user)
{
    if (user.trimmed().isEmpty())
        return tr("Enter a name to join the chat.");
    if (user.trimmed().toUtf8().size() > kMaxUserBytes)
        return tr("That name is longer than %1 bytes in UTF-8; choose a shorter one.").arg(kMaxUserBytes);
    return {};
}

void ChatSession::setBackoff(int initialMs, int maxMs)
{
    m_initialBackoffMs = std::max(1, initialMs);
    m_maxBackoffMs = std::max(m_initialBackoffMs, maxMs);
}

int ChatSession::currentBackoffMs() const
{
    // 0.5 s, 1 s, 2 s, 4 s, 8 s, 8 s, ...
    qint64 delay = m_initialBackoffMs;
    for (int i = 1; i < m_attempt && delay < m_maxBackoffMs; ++i)
        delay *= 2;
    return int(std::min<qint64>(delay, m_maxBackoffMs));
}

bool ChatSession::join(const QString& user, QString* error)
{
    auto fail = [error](const QString& why) {
        if (error)
            *error = why;
        return false;
    };
    if (m_state != State::Offline)
        return fail(tr("Already in the chat as %1.").arg(m_user));
    const QString problem = checkUser(user);
    if (!problem.isEmpty())
        return fail(problem);
    if (!connection()->channel())
        return fail(tr("Not connected to a server yet."));
    m_user = user.trimmed();
    m_attempt = 0;
    m_callsStarted = 0;
    m_lostNoted = false;
    m_everJoined = false;
    m_leaveRequested = false;
    startCall();
    return true;
}

void ChatSession::startCall()
{
    m_backoffTimer.stop();
    auto channel = connection()->channel();
    const QString target = connection()->target();
    if (target != m_target) {
        // Another server: its room has its own seq numbers.
        if (!m_target.isEmpty() && m_lastSeq > 0)
            Q_EMIT linesArrived({note(tr("Now chatting on %1.").arg(target))});
        m_target = target;
        m_lastSeq = 0;
    }
    m_joinConfirmed = false;
    m_stopRequested = false;
    m_restartNow = false;
    m_replayedThisCall = 0;
    ++m_callsStarted;

    // An idle chat stream can stay open for hours between machines: it relies
    // on the Connection's keepalive (Connection::channelArguments: a ping every
    // 30 s, pings allowed without data), which the server accepts
    // (ServerConfig::keepaliveMinPingIntervalMs = 20 s ≤ 30 s, pings without
    // calls permitted, no ping strikes) — DESIGN.md §4. The deadline is the
    // open-stream one: long, but set.
    auto shared = std::make_shared<ChatCallShared>();
    shared->record = beginCall(QStringLiteral("Chat"), kOpenStreamDeadlineMs);
    shared->wake = m_wake;
    shared->channel = std::move(channel);

    Message joinMessage;
    joinMessage.set_kind(Message::JOIN);
    joinMessage.set_user(m_user.toStdString());
    joinMessage.set_after_seq(m_lastSeq);
    shared->outbox.push_back(std::move(joinMessage));
    // Everything not acknowledged goes again, in the order it was written:
    // the server acknowledges what it stored already without repeating it.
    QList<ChatLine> resending;
    for (const PendingLine& out : std::as_const(m_outgoing)) {
        Message chat;
        chat.set_kind(Message::CHAT);
        chat.set_user(m_user.toStdString());
        chat.set_text(out.text.toStdString());
        chat.set_client_id(out.clientId.toStdString());
        shared->outbox.push_back(std::move(chat));
        ChatLine line;
        line.clientId = out.clientId;
        line.delivery = ChatLine::Delivery::Sending;
        line.own = true;
        resending.append(line);
    }
    m_resentThisCall = int(resending.size());
    shared->record->note(CallTraceEntry::Kind::Note,
                         m_resentThisCall ? tr("JOIN as %1 after seq %2; re-sending %3")
                                                .arg(m_user, QString::number(m_lastSeq), lines(m_resentThisCall, tr("unacknowledged line")))
                                          : tr("JOIN as %1 after seq %2").arg(m_user, QString::number(m_lastSeq)));
    m_call = shared;
    setState(State::Connecting);
    if (!resending.isEmpty())
        Q_EMIT deliveryChanged(resending);
    shared->kick();
}

QString ChatSession::send(const QString& text, QString* error)
{
    const QString problem = checkText(text);
    QString why = problem;
    if (why.isEmpty() && (m_state == State::Offline || m_state == State::Leaving))
        why = m_state == State::Offline ? tr("Join the chat first.") : tr("Leaving the chat: nothing more is sent.");
    if (!why.isEmpty()) {
        if (error)
            *error = why;
        return {};
    }
    PendingLine out;
    out.clientId = newClientId();
    out.text = text;
    out.timeMs = QDateTime::currentMSecsSinceEpoch();
    // Hand the line to the writer first: it goes out while the bookkeeping
    // and the view catch up (its ACK is handled on this thread, later).
    // While reconnecting it waits in m_outgoing: the next call sends it.
    if (m_call && (m_state == State::Connecting || m_state == State::Joined))
        enqueue(out);
    m_outgoing.append(out);
    showOwnLine(out, ChatLine::Delivery::Sending);
    return out.clientId;
}

void ChatSession::showOwnLine(const PendingLine& pending, ChatLine::Delivery delivery)
{
    m_ownIds.insert(pending.clientId);
    ChatLine line;
    line.clientId = pending.clientId;
    line.user = m_user;
    line.text = pending.text;
    line.timeMs = pending.timeMs;
    line.own = true;
    line.delivery = delivery;
    Q_EMIT lineSent(line);
}

bool ChatSession::resend(const QString& clientId, QString* error)
{
    auto it = m_held.find(clientId);
    if (it == m_held.end()) {
        if (error)
            *error = tr("That line is not waiting to be sent again.");
        return false;
    }
    if (m_state == State::Offline || m_state == State::Leaving) {
        if (error)
            *error = tr("Join the chat first.");
        return false;
    }
    // Same id: a refused line was never stored; a kept one the server did
    // store (its ACK lost with the app) is acknowledged again, not repeated.
    PendingLine out = it.value();
    m_held.erase(it);
    m_outgoing.append(out);
    ChatLine line;
    line.clientId = out.clientId;
    line.own = true;
    line.delivery = ChatLine::Delivery::Sending;
    Q_EMIT deliveryChanged({line});
    if (m_call && (m_state == State::Connecting || m_state == State::Joined))
        enqueue(out);
    return true;
}

QList<ChatSession::PendingLine> ChatSession::unsentLines() const
{
    QList<PendingLine> lines = m_outgoing;
    lines.append(m_held.values());
    std::stable_sort(lines.begin(), lines.end(), [](const PendingLine& a, const PendingLine& b) { return a.timeMs < b.timeMs; });
    return lines;
}

int ChatSession::restoreUnsent(const QList<PendingLine>& lines)
{
    int taken = 0;
    for (const PendingLine& line : lines) {
        if (line.clientId.isEmpty() || !checkText(line.text).isEmpty() || m_ownIds.contains(line.clientId))
            continue;
        m_held.insert(line.clientId, line);
        showOwnLine(line, ChatLine::Delivery::Kept);
        ++taken;
    }
    return taken;
}

void ChatSession::recognizeOwnIds(const QStringList& clientIds)
{
    for (const QString& id : clientIds) {
        if (id.isEmpty() || m_ownIds.contains(id))
            continue;
        m_ownIds.insert(id);
        rememberStored(id);
    }
}

QStringList ChatSession::rememberedOwnIds() const
{
    return m_storedOwnIds.mid(std::max<qsizetype>(0, m_storedOwnIds.size() - kRememberedOwnIds));
}

void ChatSession::rememberStored(const QString& clientId)
{
    m_storedOwnIds.append(clientId);
    // Trimmed in batches: a long chat does not shift the list on every line.
    if (m_storedOwnIds.size() > 2 * kRememberedOwnIds)
        m_storedOwnIds.erase(m_storedOwnIds.begin(), m_storedOwnIds.end() - kRememberedOwnIds);
}

void ChatSession::enqueue(const PendingLine& out)
{
    Message chat;
    chat.set_kind(Message::CHAT);
    chat.set_user(m_user.toStdString());
    chat.set_text(out.text.toStdString());
    chat.set_client_id(out.clientId.toStdString());
    m_call->enqueue(std::move(chat));
}

void ChatSession::leave()
{
    switch (m_state) {
    case State::Offline:
        return;
    case State::Reconnecting:
        m_backoffTimer.stop();
        markNotSent();
        m_participants.clear();
        Q_EMIT participantsChanged(m_participants);
        setState(State::Offline);
        return;
    case State::Leaving:
        m_stopRequested = true;
        cancel();
        return;
    case State::Connecting:
    case State::Joined:
        m_leaveRequested = true;
        setState(State::Leaving);
        if (record())
            record()->note(CallTraceEntry::Kind::Note, tr("Leave: half-close once the queued lines are written"));
        m_call->requestHalfClose();
        m_leaveTimer.start();
        return;
    }
}

void ChatSession::reconnectNow()
{
    if (m_state == State::Reconnecting)
        startCall();
}

void ChatSession::onTargetChanged(const QString& target)
{
    Q_UNUSED(target)
    // The connection now points at a (possibly other) server: move there.
    if (m_state == State::Reconnecting) {
        startCall();
    } else if (m_state == State::Connecting || m_state == State::Joined) {
        m_restartNow = true;
        m_stopRequested = true;
        cancel();
    }
}

void ChatSession::onFrame() { drain(); }

void ChatSession::drain()
{
    if (!m_call)
        return;
    // Clear the flag before taking: whatever arrives after this posts a new wake-up.
    m_call->wakePending = false;
    const std::vector<Incoming> taken = m_call->inbox.takeAll();
    if (taken.empty())
        return;

    QList<ChatLine> arrived;
    QList<ChatLine> delivery;
    bool participantsMoved = false;
    for (const Incoming& in : taken) {
        ChatLine line = in.line;
        if (in.type == Incoming::Type::Ack) {
            auto it = std::find_if(m_outgoing.begin(), m_outgoing.end(),
                                   [&](const PendingLine& out) { return out.clientId == line.clientId; });
            if (it == m_outgoing.end())
                continue;   // acknowledged already (a resend raced its first ACK)
            line.own = true;
            line.user = m_user;
            line.text = it->text;
            if (!line.error.isEmpty()) {
                line.delivery = ChatLine::Delivery::Refused;
                line.timeMs = it->timeMs;
                m_held.insert(it->clientId, *it);
            } else {
                line.delivery = ChatLine::Delivery::Delivered;
                rememberStored(it->clientId);
            }
            m_outgoing.erase(it);
            delivery.append(line);
            continue;
        }
        if (line.kind == ChatLine::Kind::Chat) {
            if (line.seq <= m_lastSeq) {
                ++m_duplicatesDropped;   // seen already (replay overlapping what arrived)
                continue;
            }
            if (m_lastSeq > 0 && line.seq > m_lastSeq + 1) {
                const quint64 missing = line.seq - m_lastSeq - 1;
                arrived.append(note(tr("%1 no longer in the server's history: they cannot be shown.")
                                        .arg(lines(int(std::min<quint64>(missing, INT_MAX)), tr("earlier line")))));
            }
            m_lastSeq = line.seq;
            if (m_ownIds.contains(line.clientId)) {
                line.own = true;
                const bool pending = std::any_of(m_outgoing.cbegin(), m_outgoing.cend(),
                                                 [&](const PendingLine& out) { return out.clientId == line.clientId; });
                line.delivery = pending ? ChatLine::Delivery::Sending : ChatLine::Delivery::Delivered;
                // A kept line the server had stored (its ACK lost with the
                // app): delivered after all, nothing to send again.
                if (m_held.remove(line.clientId)) {
                    rememberStored(line.clientId);
                    delivery.append(line);
                }
            }
            if (line.replayed)
                ++m_replayedThisCall;
            arrived.append(line);
            continue;
        }
        // Presence: the first JOIN on a call is our own (the room adds us and
        // tells everyone, us included, under one lock).
        if (line.kind == ChatLine::Kind::Joined && !m_joinConfirmed) {
            m_joinConfirmed = true;
            if (line.seq < m_lastSeq) {
                // The room has fewer lines than we saw: another server or data directory.
                arrived.append(note(tr("This server's chat history is not the one seen before (another server or data directory); "
                                       "following its lines from now on.")));
                m_lastSeq = line.seq;
            }
            if (m_callsStarted > 1) {
                QString text = tr("Reconnected as %1.").arg(m_user);
                if (m_replayedThisCall)
                    text += QLatin1Char(' ') + tr("%1 replayed.").arg(lines(m_replayedThisCall, tr("missed line")));
                if (m_resentThisCall)
                    text += QLatin1Char(' ') + tr("%1 sent again.").arg(lines(m_resentThisCall, tr("unacknowledged line")));
                arrived.append(note(text));
            }
            m_attempt = 0;
            m_lostNoted = false;
            m_everJoined = true;
            if (m_state == State::Connecting)
                setState(State::Joined);
        }
        m_participants = line.participants;
        participantsMoved = true;
        arrived.append(line);
    }
    if (!arrived.isEmpty())
        Q_EMIT linesArrived(arrived);
    if (!delivery.isEmpty())
        Q_EMIT deliveryChanged(delivery);
    if (participantsMoved)
        Q_EMIT participantsChanged(m_participants);
}

void ChatSession::onFinished(const CallStatus& status)
{
    // StreamCall took everything the reactor delivered (onFrame) before this.
    drain();
    m_call.reset();
    m_leaveTimer.stop();
    if (m_restartNow) {
        m_restartNow = false;
        startCall();
        return;
    }
    // The room refused the JOIN (it is full): stop and say so, rather than
    // knock on a full door every 8 s forever. Unacknowledged lines are kept
    // for the next join, as after any stop. (RESOURCE_EXHAUSTED after the
    // JOIN came back is different: fell behind the room; that reconnects.)
    const bool refusedJoin = status.code == int(grpc::StatusCode::RESOURCE_EXHAUSTED) && !m_joinConfirmed;
    const bool stop = m_leaveRequested || m_stopRequested || isPermanent(status.code) || refusedJoin;
    if (stop) {
        if (refusedJoin)
            Q_EMIT linesArrived({note(tr("Cannot join (%1): %2.").arg(status.codeName, status.text))});
        m_leaveRequested = false;
        markNotSent();
        m_participants.clear();
        Q_EMIT participantsChanged(m_participants);
        setState(State::Offline);
        return;
    }
    // Dropped: the server went away (UNAVAILABLE, CANCELLED by its shutdown),
    // ended us for falling behind (RESOURCE_EXHAUSTED), the deadline passed...
    ++m_attempt;
    const int delay = currentBackoffMs();
    if (!m_lostNoted) {
        m_lostNoted = true;
        Q_EMIT linesArrived({note(m_everJoined ? tr("Connection lost (%1): %2. Reconnecting…").arg(status.codeName, status.text)
                                               : tr("Cannot join yet (%1): %2. Trying again…").arg(status.codeName, status.text))});
    }
    setState(State::Reconnecting);
    Q_EMIT reconnectScheduled(m_attempt, delay, status);
    m_backoffTimer.start(delay);
}

void ChatSession::markNotSent()
{
    if (m_outgoing.isEmpty())
        return;
    QList<ChatLine> lines;
    for (const PendingLine& out : std::as_const(m_outgoing)) {
        ChatLine line;
        line.clientId = out.clientId;
        line.own = true;
        line.delivery = ChatLine::Delivery::NotSent;
        lines.append(line);
    }
    // They stay in m_outgoing: the next join sends them.
    Q_EMIT deliveryChanged(lines);
}

void ChatSession::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

ChatLine ChatSession::note(const QString& text) const
{
    ChatLine line;
    line.kind = ChatLine::Kind::Note;
    line.text = text;
    line.timeMs = QDateTime::currentMSecsSinceEpoch();
    return line;
}

} // namespace streamlab
