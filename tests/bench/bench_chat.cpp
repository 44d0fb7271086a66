// Scenarios "chat_rtt" and "chat_fanout".
//
// chat_rtt: one line's round trip — send, and get the own line back from the
// room — through the app's path (ChatSession: the line queued on the GUI
// thread, written from a gRPC thread, the echo handed back to the GUI thread's
// event loop) against a bare grpc++ callback client that writes the next line
// from OnReadDone. Same server, same run, alternating. A third series, the
// bare client with only the app's two thread hand-offs added, tells what the
// hand-offs cost on this machine apart from what the app's own code costs
// (`bare_with_handoffs_us`, `handoffs_ratio`, `app_vs_bare_with_handoffs_ratio`).
//
// chat_fanout: N clients × M lines each in one room; every client must get
// every line (N × M), in room order and in each sender's order, none lost,
// none twice; the delivery latency (send → arrival at each other client) is
// reported as p50/p99. The app side is N ChatSessions on the GUI thread over a
// few Connections; the baseline is N bare callback reactors over a few
// channels. Each client sends its next line once its previous one came back
// from the room, so the room is never flooded beyond what it can fan out.
#include "Bench.h"

#include "ChatSession.h"
#include "Connection.h"
#include "Scheduler.h"
#include "ServerState.h"
#include "WorkerPriority.h"
#include "streaming_examples.grpc.pb.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdio>
#include <condition_variable>
#include <deque>
#include <mutex>

namespace streamlab::bench {

namespace {

qint64 nowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// "c<client> m<index> t<ns>": who sent it, its place in that sender's order, when.
QString stampedText(int client, int index, qint64 ns)
{
    return QStringLiteral("c%1 m%2 t%3").arg(client).arg(index).arg(ns);
}
struct Stamp {
    int client = -1;
    int index = -1;
    qint64 ns = 0;
};
Stamp parseStamp(const QString& text)
{
    Stamp s;
    const QStringList parts = text.split(QLatin1Char(' '));
    if (parts.size() == 3) {
        s.client = parts[0].mid(1).toInt();
        s.index = parts[1].mid(1).toInt();
        s.ns = parts[2].mid(1).toLongLong();
    }
    return s;
}
Stamp parseStamp(const std::string& text)
{
    Stamp s;
    long long client = -1, index = -1, ns = 0;
    if (std::sscanf(text.c_str(), "c%lld m%lld t%lld", &client, &index, &ns) == 3) {
        s.client = int(client);
        s.index = int(index);
        s.ns = ns;
    }
    return s;
}

// Runs a real event loop — one that sleeps while idle, as the app's does —
// until done() holds. Whoever changes what done() looks at calls check();
// a slow poll catches anything else. (Bench's spinUntil polls
// processEvents() without sleeping: a busy GUI thread would take a whole
// core from gRPC's threads and the server, and measure something else.)
class LoopUntil {
public:
    explicit LoopUntil(std::function<bool()> done) : m_done(std::move(done))
    {
        m_poll.setInterval(20);
        QObject::connect(&m_poll, &QTimer::timeout, &m_loop, [this] { check(); });
    }
    void check()
    {
        if (m_running && m_done())
            m_loop.quit();
    }
    bool run(int timeoutMs)
    {
        if (m_done())
            return true;
        QTimer timeout;
        timeout.setSingleShot(true);
        QObject::connect(&timeout, &QTimer::timeout, &m_loop, &QEventLoop::quit);
        timeout.start(timeoutMs);
        m_poll.start();
        m_running = true;
        m_loop.exec();
        m_running = false;
        m_poll.stop();
        return m_done();
    }

private:
    std::function<bool()> m_done;
    QEventLoop m_loop;
    QTimer m_poll;
    bool m_running = false;
};

// ---------------------------------------------------------------- bare client

// A bare callback-API chat client: joins, reads everything, writes one line
// at a time. `onLine` runs on gRPC's threads for each CHAT line received;
// it may call send().
class BareChatClient : public grpc::ClientBidiReactor<Message, Message> {
public:
    BareChatClient(const std::shared_ptr<grpc::Channel>& channel, const std::string& user, uint64_t afterSeq)
        : m_stub(StreamingExamples::NewStub(channel))
    {
        m_context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
        Message join;
        join.set_kind(Message::JOIN);
        join.set_user(user);
        join.set_after_seq(afterSeq);
        m_outbox.push_back(std::move(join));
        m_user = user;
    }
    std::function<void(const Message&)> onLine;
    std::function<void(const Message&)> onJoined;   // our own JOIN came back

    void start()
    {
        m_stub->async()->Chat(&m_context, this);
        AddHold();
        StartRead(&m_in);
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            pumpLocked();
        }
        StartCall();
    }
    void send(const std::string& text, const std::string& clientId)
    {
        Message line;
        line.set_kind(Message::CHAT);
        line.set_user(m_user);
        line.set_text(text);
        line.set_client_id(clientId);
        std::lock_guard<std::mutex> lock(m_mutex);
        m_outbox.push_back(std::move(line));
        pumpLocked();
    }
    void halfClose()
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_halfClose = true;
        pumpLocked();
    }
    bool waitDone(int timeoutMs)
    {
        std::unique_lock<std::mutex> lock(m_mutex);
        return m_doneCv.wait_for(lock, std::chrono::milliseconds(timeoutMs), [this] { return m_done; });
    }
    grpc::Status status()
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_status;
    }
    void cancel() { m_context.TryCancel(); }
    // After halfClose(): waits for the server to end the call, and cancels it
    // when it has not within 10 s; deleting the client is then safe.
    void waitDoneOrCancel()
    {
        if (!waitDone(10000)) {
            cancel();
            waitDone(10000);
        }
    }

    void OnReadDone(bool ok) override
    {
        if (!ok) {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_closed = true;
            RemoveHold();
            return;
        }
        if (m_in.kind() == Message::CHAT && onLine)
            onLine(m_in);
        else if (m_in.kind() == Message::JOIN && !m_joined) {
            m_joined = true;
            if (onJoined)
                onJoined(m_in);
        }
        StartRead(&m_in);
    }
    void OnWriteDone(bool ok) override
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_writing = false;
        if (ok)
            pumpLocked();
    }
    void OnDone(const grpc::Status& status) override
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_status = status;
        m_done = true;
        m_doneCv.notify_all();
    }

private:
    void pumpLocked()
    {
        if (m_closed || m_writing)
            return;
        if (!m_outbox.empty()) {
            m_writing = true;
            m_out = std::move(m_outbox.front());
            m_outbox.pop_front();
            StartWrite(&m_out);
        } else if (m_halfClose && !m_halfClosed) {
            m_halfClosed = true;
            StartWritesDone();
        }
    }

    std::unique_ptr<StreamingExamples::Stub> m_stub;
    grpc::ClientContext m_context;
    std::string m_user;
    Message m_in;
    Message m_out;
    std::mutex m_mutex;
    std::condition_variable m_doneCv;
    std::deque<Message> m_outbox;
    bool m_writing = false, m_closed = false, m_halfClose = false, m_halfClosed = false, m_done = false;
    bool m_joined = false;   // read side only
    grpc::Status m_status;
};

bool joinSession(ChatSession& session, const QString& name)
{
    QString error;
    if (!session.join(name, &error)) {
        qWarning("chat bench: join: %s", qPrintable(error));
        return false;
    }
    return LoopUntil([&] { return session.state() == ChatSession::State::Joined; }).run(10000);
}

bool leaveSession(ChatSession& session)
{
    session.leave();
    return LoopUntil([&] { return session.state() == ChatSession::State::Offline; }).run(10000);
}

// ---------------------------------------------------------------- chat_rtt

std::vector<double> appRoundTrips(Connection& connection, int lines, double* guiGapMs)
{
    ChatSession session(&connection);
    if (!joinSession(session, QStringLiteral("rtt-app")))
        return {};
    std::vector<double> rtts;
    rtts.reserve(size_t(lines));
    QString waitingFor;
    qint64 sentAt = 0;
    bool failed = false;
    int sent = 0;
    LoopUntil waiter([&] { return failed || int(rtts.size()) == lines; });
    auto sendNext = [&] {
        sentAt = nowNs();
        waitingFor = session.send(QStringLiteral("rtt %1").arg(sent++));
        if (waitingFor.isEmpty())
            failed = true;
    };
    // Ping-pong: the next line goes out from the slot that got the previous one back.
    QObject::connect(&session, &ChatSession::linesArrived, &session, [&](const QList<ChatLine>& batch) {
        for (const ChatLine& line : batch) {
            if (line.own && line.clientId == waitingFor) {
                rtts.push_back(double(nowNs() - sentAt) / 1e3);
                if (sent < lines)
                    sendNext();
                else
                    waiter.check();
            }
        }
    });
    GuiGapMeter gaps;
    gaps.start();
    sendNext();
    const bool done = waiter.run(60000);
    gaps.stop();
    *guiGapMs = gaps.maxGapMs();
    leaveSession(session);
    if (!done || failed)
        return {};
    return rtts;
}

std::vector<double> baselineRoundTrips(const std::shared_ptr<grpc::Channel>& channel, int lines, uint64_t afterSeq)
{
    std::vector<double> rtts;
    rtts.reserve(size_t(lines));
    auto* client = new BareChatClient(channel, "rtt-bare", afterSeq);
    std::mutex mutex;
    std::condition_variable cv;
    std::atomic<int> sent{0};
    std::string waitingFor;
    qint64 sentAt = 0;
    bool finished = false;
    auto sendNext = [&] {   // on gRPC threads (or here, for the first)
        const int n = sent++;
        waitingFor = "bare-" + std::to_string(n) + "-" + std::to_string(nowNs());
        sentAt = nowNs();
        client->send("rtt " + std::to_string(n), waitingFor);
    };
    client->onJoined = [&](const Message&) { sendNext(); };
    client->onLine = [&](const Message& line) {
        if (line.client_id() != waitingFor)
            return;
        rtts.push_back(double(nowNs() - sentAt) / 1e3);
        if (int(rtts.size()) < lines) {
            sendNext();
        } else {
            std::lock_guard<std::mutex> lock(mutex);
            finished = true;
            cv.notify_all();
        }
    };
    client->start();
    {
        std::unique_lock<std::mutex> lock(mutex);
        cv.wait_for(lock, std::chrono::seconds(60), [&] { return finished; });
    }
    client->halfClose();
    client->waitDoneOrCancel();
    delete client;
    if (!finished)
        return {};
    return rtts;
}

// The bare client again, with the two hand-offs the thread rules put on the
// app's path and nothing else: the line that came back goes to this (GUI)
// thread's event loop as a queued call, and the next line is written from a
// thread of its own, woken through a condition variable. What the app costs
// beyond this is its own work (ids, bookkeeping, conversions, signals).
std::vector<double> bareWithHandOffs(const std::shared_ptr<grpc::Channel>& channel, int lines, uint64_t afterSeq)
{
    std::vector<double> rtts;
    rtts.reserve(size_t(lines));
    server::Scheduler writerThread(1, "bench-writer");
    server::TaskGroup writes(writerThread);
    writes.post([] { WorkerPriority::lowerCurrentThread(); });   // a worker, as the app's chat starter is
    auto* client = new BareChatClient(channel, "rtt-hops", afterSeq);
    QObject gui;   // lives on this thread: queued calls to it run in this thread's event loop
    std::string waitingFor;
    qint64 sentAt = 0;
    int sent = 0;
    LoopUntil waiter([&] { return int(rtts.size()) == lines; });
    auto sendNext = [&] {   // on this thread
        const int n = sent++;
        std::string id = "hops-" + std::to_string(n) + "-" + std::to_string(nowNs());
        waitingFor = id;
        sentAt = nowNs();
        writes.post([client, n, id] { client->send("rtt " + std::to_string(n), id); });
    };
    client->onJoined = [&](const Message&) { QMetaObject::invokeMethod(&gui, sendNext, Qt::QueuedConnection); };
    client->onLine = [&](const Message& line) {   // on gRPC's threads
        QMetaObject::invokeMethod(&gui, [&, id = line.client_id()] {
            if (id != waitingFor)
                return;
            rtts.push_back(double(nowNs() - sentAt) / 1e3);
            if (int(rtts.size()) < lines)
                sendNext();
            else
                waiter.check();
        }, Qt::QueuedConnection);
    };
    client->start();
    const bool done = waiter.run(60000);
    client->halfClose();
    client->waitDoneOrCancel();
    // Lines still queued to `gui` refer to this frame: drop them with it.
    QCoreApplication::removePostedEvents(&gui);
    writes.cancelAll();
    delete client;
    if (!done)
        return {};
    return rtts;
}

QList<Result> runChatRtt(Environment& env, const Options& options)
{
    const int lines = options.quick ? 50 : 1000;
    Connection connection;
    QString error;
    connection.connectTo(QString::fromStdString(env.address()), &error);
    auto bare = env.newChannel();
    // Warm-up: connections, threads, the room. The baseline skips the history replay too.
    double ignored = 0;
    if (appRoundTrips(connection, 20, &ignored).empty())
        return {};
    auto lastSeq = [&] { return env.server().state()->chat->lastSeq(); };
    if (baselineRoundTrips(bare, 20, lastSeq()).empty())
        return {};

    // Each baseline run is followed by one of the bare client with the app's
    // two hand-offs, so the three alternate.
    std::vector<double> handOffP50;
    bool handOffFailed = false;
    auto result = compareLatencies(
        QStringLiteral("chat_rtt"), options.runs, [&](double* gap) { return appRoundTrips(connection, lines, gap); },
        [&] {
            auto base = baselineRoundTrips(bare, lines, lastSeq());
            const auto hops = bareWithHandOffs(bare, lines, lastSeq());
            if (hops.empty())
                handOffFailed = true;
            else
                handOffP50.push_back(percentileOf(hops, 50));
            return base;
        });
    if (!result || handOffFailed)
        return {};
    const double handOff = median(handOffP50);
    result->extra.insert(QStringLiteral("bare_with_handoffs_us"), handOff);
    result->extra.insert(QStringLiteral("handoffs_ratio"), handOff / result->baseline);
    result->extra.insert(QStringLiteral("app_vs_bare_with_handoffs_ratio"), result->app / handOff);
    result->extra.insert(QStringLiteral("target_ratio_max"), 1.3);
    result->extra.insert(QStringLiteral("lines_per_run"), lines);
    return {*result};
}

// ---------------------------------------------------------------- chat_fanout

// What every receiving client checks and measures.
struct Receiver {
    int expected = 0;
    int received = 0;
    uint64_t lastSeq = 0;
    std::vector<int> nextIndex;        // per sender: the index its next line must have
    std::vector<double> latenciesMs;   // from other senders only
    int errors = 0;                    // out of order, gaps, duplicates, unknown lines
    QString firstError;
    bool counted = false;              // complete, and counted as such

    void init(int clients, int perClient)
    {
        expected = clients * perClient;
        nextIndex.assign(size_t(clients), 0);
        latenciesMs.reserve(size_t(expected));
    }
    void take(int self, uint64_t seq, const Stamp& stamp, qint64 arrivedNs)
    {
        auto fail = [&](const QString& why) {
            if (!errors++)
                firstError = why;
        };
        if (stamp.client < 0 || stamp.client >= int(nextIndex.size()))
            return fail(QStringLiteral("a line that is not from this run"));
        if (lastSeq && seq != lastSeq + 1)
            fail(QStringLiteral("seq %1 after %2").arg(seq).arg(lastSeq));
        lastSeq = seq;
        if (stamp.index != nextIndex[size_t(stamp.client)])
            fail(QStringLiteral("client %1's line %2 where %3 was due").arg(stamp.client).arg(stamp.index).arg(nextIndex[size_t(stamp.client)]));
        nextIndex[size_t(stamp.client)] = stamp.index + 1;
        ++received;
        if (stamp.client != self)
            latenciesMs.push_back(double(arrivedNs - stamp.ns) / 1e6);
    }
};

struct FanoutRun {
    bool ok = false;
    QString error;
    double seconds = 0;
    double p50Ms = 0, p99Ms = 0, maxMs = 0;
    qint64 delivered = 0;
};

FanoutRun summarize(std::vector<Receiver>& receivers, double seconds)
{
    FanoutRun run;
    run.seconds = seconds;
    std::vector<double> all;
    run.ok = true;
    for (size_t i = 0; i < receivers.size(); ++i) {
        Receiver& r = receivers[i];
        run.delivered += r.received;
        if (r.errors || r.received != r.expected) {
            run.ok = false;
            if (run.error.isEmpty())
                run.error = QStringLiteral("client %1: %2 of %3 lines, %4 errors (%5)")
                                .arg(i).arg(r.received).arg(r.expected).arg(r.errors).arg(r.firstError);
        }
        all.insert(all.end(), r.latenciesMs.begin(), r.latenciesMs.end());
    }
    run.p50Ms = percentileOf(all, 50);
    run.p99Ms = percentileOf(all, 99);
    run.maxMs = all.empty() ? 0 : *std::max_element(all.begin(), all.end());
    return run;
}

FanoutRun appFanout(const std::vector<std::unique_ptr<Connection>>& connections, int clients, int perClient, double* guiGapMs)
{
    std::vector<std::unique_ptr<ChatSession>> sessions;
    std::vector<Receiver> receivers(static_cast<size_t>(clients));
    std::vector<int> sent(static_cast<size_t>(clients), 0);
    std::vector<QString> waitingFor(static_cast<size_t>(clients));
    bool sendFailed = false;
    for (int i = 0; i < clients; ++i) {
        receivers[size_t(i)].init(clients, perClient);
        sessions.push_back(std::make_unique<ChatSession>(connections[size_t(i) % connections.size()].get()));
    }
    const qint64 expected = qint64(clients) * perClient;
    int complete = 0;
    LoopUntil allReceived([&] { return sendFailed || complete == clients; });
    auto sendNext = [&](int i) {
        ChatSession& session = *sessions[size_t(i)];
        const int index = sent[size_t(i)]++;
        waitingFor[size_t(i)] = session.send(stampedText(i, index, nowNs()));
        if (waitingFor[size_t(i)].isEmpty())
            sendFailed = true;
    };
    for (int i = 0; i < clients; ++i) {
        ChatSession* session = sessions[size_t(i)].get();
        QObject::connect(session, &ChatSession::linesArrived, session, [&, i](const QList<ChatLine>& batch) {
            const qint64 now = nowNs();
            Receiver& r = receivers[size_t(i)];
            bool ownBack = false;
            for (const ChatLine& line : batch) {
                if (line.kind != ChatLine::Kind::Chat || line.replayed)
                    continue;
                r.take(i, line.seq, parseStamp(line.text), now);
                ownBack = ownBack || (line.own && line.clientId == waitingFor[size_t(i)]);
            }
            if (ownBack && sent[size_t(i)] < perClient)
                sendNext(i);
            if (r.received == expected && !r.counted) {
                r.counted = true;
                ++complete;
                allReceived.check();
            }
        });
    }
    // Everyone in the room before anyone speaks.
    for (int i = 0; i < clients; ++i) {
        QString error;
        if (!sessions[size_t(i)]->join(QStringLiteral("app-%1").arg(i), &error)) {
            FanoutRun failed;
            failed.error = error;
            return failed;
        }
    }
    if (!LoopUntil([&] {
            return std::all_of(sessions.begin(), sessions.end(), [](const auto& s) { return s->state() == ChatSession::State::Joined; });
        }).run(30000)) {
        FanoutRun failed;
        failed.error = QStringLiteral("not every client joined");
        return failed;
    }
    GuiGapMeter gaps;
    gaps.start();
    QElapsedTimer clock;
    clock.start();
    for (int i = 0; i < clients; ++i)
        sendNext(i);
    allReceived.run(300000);
    const double seconds = clock.nsecsElapsed() / 1e9;
    gaps.stop();
    *guiGapMs = gaps.maxGapMs();
    for (auto& session : sessions)
        session->leave();
    LoopUntil([&] {
        return std::all_of(sessions.begin(), sessions.end(), [](const auto& s) { return s->state() == ChatSession::State::Offline; });
    }).run(20000);
    FanoutRun run = summarize(receivers, seconds);
    if (sendFailed) {
        run.ok = false;
        run.error = QStringLiteral("a send was refused");
    }
    return run;
}

FanoutRun baselineFanout(const std::vector<std::shared_ptr<grpc::Channel>>& channels, int clients, int perClient, uint64_t afterSeq)
{
    std::vector<Receiver> receivers(static_cast<size_t>(clients));
    std::vector<BareChatClient*> bare;
    std::vector<int> sent(static_cast<size_t>(clients), 0);
    std::vector<std::string> waitingFor(static_cast<size_t>(clients));
    // Per client: its first line is sent from this thread while its reactions
    // may already run; after that only its own read reaction sends.
    std::vector<std::mutex> sendLocks(static_cast<size_t>(clients));
    std::mutex mutex;
    std::condition_variable cv;
    int joined = 0, complete = 0;
    const int expected = clients * perClient;
    auto sendNext = [&](int i) {   // with sendLocks[i] held
        const int index = sent[size_t(i)]++;
        waitingFor[size_t(i)] = "bare-" + std::to_string(i) + "-" + std::to_string(index) + "-" + std::to_string(nowNs());
        bare[size_t(i)]->send(stampedText(i, index, nowNs()).toStdString(), waitingFor[size_t(i)]);
    };
    for (int i = 0; i < clients; ++i) {
        receivers[size_t(i)].init(clients, perClient);
        auto* client = new BareChatClient(channels[size_t(i) % channels.size()], "bare-" + std::to_string(i), afterSeq);
        // Reactions of one call never run concurrently: per-client state needs no lock.
        client->onJoined = [&](const Message&) {
            std::lock_guard<std::mutex> lock(mutex);
            ++joined;
            cv.notify_all();
        };
        client->onLine = [&, i](const Message& line) {
            if (line.replayed())
                return;
            Receiver& r = receivers[size_t(i)];
            r.take(i, line.seq(), parseStamp(line.text()), nowNs());
            {
                std::lock_guard<std::mutex> lock(sendLocks[size_t(i)]);
                if (line.client_id() == waitingFor[size_t(i)] && sent[size_t(i)] < perClient)
                    sendNext(i);
            }
            if (r.received == expected) {
                std::lock_guard<std::mutex> lock(mutex);
                ++complete;
                cv.notify_all();
            }
        };
        bare.push_back(client);
    }
    for (BareChatClient* client : bare)
        client->start();
    FanoutRun run;
    {
        std::unique_lock<std::mutex> lock(mutex);
        if (!cv.wait_for(lock, std::chrono::seconds(30), [&] { return joined == clients; }))
            run.error = QStringLiteral("not every bare client joined");
    }
    QElapsedTimer clock;
    clock.start();
    if (run.error.isEmpty()) {
        // Each client's first line; after that its own echo triggers the next.
        for (int i = 0; i < clients; ++i) {
            std::lock_guard<std::mutex> lock(sendLocks[size_t(i)]);
            sendNext(i);
        }
        std::unique_lock<std::mutex> lock(mutex);
        cv.wait_for(lock, std::chrono::seconds(300), [&] { return complete == clients; });
    }
    const double seconds = clock.nsecsElapsed() / 1e9;
    for (BareChatClient* client : bare)
        client->halfClose();
    for (BareChatClient* client : bare) {
        client->waitDoneOrCancel();
        delete client;
    }
    if (!run.error.isEmpty())
        return run;
    return summarize(receivers, seconds);
}

QList<Result> runChatFanout(Environment& env, const Options& options)
{
    const int clients = options.quick ? 10 : 100;
    const int perClient = options.quick ? 10 : 100;
    const int channelCount = 4;
    std::vector<std::unique_ptr<Connection>> connections;
    std::vector<std::shared_ptr<grpc::Channel>> channels;
    for (int i = 0; i < channelCount; ++i) {
        auto connection = std::make_unique<Connection>();
        QString error;
        connection->connectTo(QString::fromStdString(env.address()), &error);
        connections.push_back(std::move(connection));
        channels.push_back(env.newChannel());
    }
    auto lastSeq = [&] { return env.server().state()->chat->lastSeq(); };

    std::vector<double> appP50, appP99, appMax, baseP50, baseP99, baseMax, appSeconds, baseSeconds, gaps;
    qint64 appDelivered = 0, baseDelivered = 0;
    for (int run = 0; run < options.runs; ++run) {
        double gap = 0;
        const FanoutRun app = appFanout(connections, clients, perClient, &gap);
        if (!app.ok) {
            qWarning("chat_fanout (app): %s", qPrintable(app.error));
            return {};
        }
        const FanoutRun base = baselineFanout(channels, clients, perClient, lastSeq());
        if (!base.ok) {
            qWarning("chat_fanout (baseline): %s", qPrintable(base.error));
            return {};
        }
        appP50.push_back(app.p50Ms);
        appP99.push_back(app.p99Ms);
        appMax.push_back(app.maxMs);
        appSeconds.push_back(app.seconds);
        baseP50.push_back(base.p50Ms);
        baseP99.push_back(base.p99Ms);
        baseMax.push_back(base.maxMs);
        baseSeconds.push_back(base.seconds);
        gaps.push_back(gap);
        appDelivered = app.delivered;
        baseDelivered = base.delivered;
    }
    Result result;
    result.scenario = QStringLiteral("chat_fanout");
    result.unit = QStringLiteral("ms_p99_delivery");
    result.app = median(appP99);
    result.baseline = median(baseP99);
    result.higherIsBetter = false;
    result.guiMaxGapMs = *std::max_element(gaps.begin(), gaps.end());
    result.rssMb = peakRssMb();
    result.extra.insert(QStringLiteral("clients"), clients);
    result.extra.insert(QStringLiteral("lines_per_client"), perClient);
    result.extra.insert(QStringLiteral("lines_delivered_per_run_app"), double(appDelivered));
    result.extra.insert(QStringLiteral("lines_delivered_per_run_baseline"), double(baseDelivered));
    result.extra.insert(QStringLiteral("all_received_in_order"), true);   // a run that was not returns no result
    result.extra.insert(QStringLiteral("app_p50_ms"), median(appP50));
    result.extra.insert(QStringLiteral("baseline_p50_ms"), median(baseP50));
    result.extra.insert(QStringLiteral("app_max_ms"), median(appMax));
    result.extra.insert(QStringLiteral("baseline_max_ms"), median(baseMax));
    result.extra.insert(QStringLiteral("app_seconds"), median(appSeconds));
    result.extra.insert(QStringLiteral("baseline_seconds"), median(baseSeconds));
    result.extra.insert(QStringLiteral("channels"), channelCount);
    result.extra.insert(QStringLiteral("runs"), options.runs);
    return {result};
}

} // namespace

STREAMLAB_BENCH_SCENARIO(chat_rtt, QStringLiteral("chat_rtt"),
                         QStringLiteral("Chat round trip p50 (send → own line back): ChatSession + event loop vs a bare grpc++ bidi ping-pong"),
                         runChatRtt);
STREAMLAB_BENCH_SCENARIO(chat_fanout, QStringLiteral("chat_fanout"),
                         QStringLiteral("100 clients × 100 lines in one room: all 10,000 at every client, in order; p99 delivery latency"),
                         runChatFanout);

} // namespace streamlab::bench
