#pragma once
// Client-side helpers for the server suites: callback-API readers that can
// pause (DESIGN.md §3/§4: only a callback client that stops asking for the next
// message shows a real stream-level stall), a chat participant, channel
// arguments for a small receive window, and waits on conditions (never fixed
// sleeps). Every helper cancels and waits for its call in its destructor, so a
// failing test never leaves a call behind.

#include "TimingScale.h"

#include "ServerState.h"
#include "Sha256.h"
#include "TestServer.h"

#include "streaming_examples.grpc.pb.h"
#include "streamlab_lab.grpc.pb.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <google/protobuf/unknown_field_set.h>

#include <QDir>
#include <QFile>
#include <QtTest>

#include <atomic>
#include <cstring>
#include <optional>
#include <thread>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <vector>

namespace streamlab::test {

using Clock = std::chrono::steady_clock;

// Generous: a loaded CI machine may be slow, a passing test never waits this long.
constexpr int kWaitMs = 15000 * kTimingScale;

inline int64_t msSince(Clock::time_point start)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

inline double msBetween(Clock::time_point from, Clock::time_point to)
{
    return std::chrono::duration<double, std::milli>(to - from).count();
}

// A channel of its own (its own TCP connection): grpc shares connections
// between channels with equal arguments, and a flow-control test must not
// share its connection with the calls that observe it.
inline grpc::ChannelArguments ownConnectionArgs()
{
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return args;
}

// A stream receive window of `lookahead` bytes: it only holds with BDP probing
// off (DESIGN.md §4).
inline grpc::ChannelArguments smallWindowArgs(int lookahead = 16384)
{
    grpc::ChannelArguments args = ownConnectionArgs();
    args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, lookahead);
    return args;
}

inline std::string randomBytes(size_t size, uint64_t seed)
{
    std::string data(size, '\0');
    std::mt19937_64 rng(seed);
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        const uint64_t v = rng();
        std::memcpy(&data[i], &v, 8);
    }
    for (; i < size; ++i)
        data[i] = char(rng());
    return data;
}

// Polls `condition` until it holds or `ms` pass (for state that has no
// notification, such as files or server counters).
inline bool pollUntil(const std::function<bool()>& condition, int ms = kWaitMs)
{
    const auto until = Clock::now() + std::chrono::milliseconds(ms);
    while (!condition()) {
        if (Clock::now() > until)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

// What a server-stream reader and a chat participant share: the messages
// read, with when they arrived; a read side that can pause (no next read is
// asked for until resume(), so the server's writes stall at the window); the
// call's end status; and waits on all of it. `Reactor` is grpc's reactor base
// (ClientReadReactor<T> or ClientBidiReactor<W, T>); the class using it holds
// one reactor hold for its reads, released here when they end.
template <typename Reactor, typename T>
class RecordingReactor : public Reactor {
public:
    struct Item {
        T message;
        Clock::time_point at;
    };

    RecordingReactor() = default;
    RecordingReactor(const RecordingReactor&) = delete;
    RecordingReactor& operator=(const RecordingReactor&) = delete;

    void pause()
    {
        std::lock_guard<std::mutex> lock(mutex_);
        paused_ = true;
    }

    void resume()
    {
        bool read = false;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            paused_ = false;
            if (readDeferred_ && !readEnded_) {
                readDeferred_ = false;
                read = true;
            }
        }
        if (read)
            this->StartRead(&incoming_);
    }

    // TryCancel; a paused reader then asks for the next message too, which
    // fails at once and lets the call end (OnDone waits for outstanding holds).
    void cancel()
    {
        context.TryCancel();
        resume();
    }

    // Cancels the call if it is still open and waits for OnDone. Every
    // derived destructor calls it first: reactions may use its members.
    void finish()
    {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!started_ || done_)
                return;
        }
        cancel();
        if (!waitDone(60000))
            qFatal("a test call did not end within 60 s of its cancellation");
    }

    bool waitDone(int ms = kWaitMs)
    {
        std::unique_lock<std::mutex> lock(mutex_);
        return changed_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return done_; });
    }
    bool waitFor(const std::function<bool(const std::vector<Item>&)>& condition, int ms = kWaitMs)
    {
        std::unique_lock<std::mutex> lock(mutex_);
        return changed_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return condition(items_); });
    }
    bool done() const
    {
        std::lock_guard<std::mutex> lock(mutex_);
        return done_;
    }
    std::vector<Item> items() const
    {
        std::lock_guard<std::mutex> lock(mutex_);
        return items_;
    }
    grpc::Status status() const
    {
        std::lock_guard<std::mutex> lock(mutex_);
        return status_;
    }

    grpc::ClientContext context;

protected:
    // Asks for the first message, or leaves that to resume(). Before StartCall.
    void startReads(bool paused)
    {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            started_ = true;
            paused_ = paused;
            readDeferred_ = paused;
        }
        if (!paused)
            this->StartRead(&incoming_);
    }

    // Hooks for a class that also writes: called under the lock when reads
    // end, and after each read's reaction outside it.
    virtual void readsEndedLocked() {}
    virtual void afterReadDone() {}

    void OnReadDone(bool ok) override
    {
        bool next = false;
        bool releaseRead = false;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!ok) {
                readEnded_ = true;
                releaseRead = true;
                readsEndedLocked();
            } else {
                items_.push_back({incoming_, Clock::now()});
                if (paused_)
                    readDeferred_ = true;
                else
                    next = true;
            }
            changed_.notify_all();
        }
        if (releaseRead)
            this->RemoveHold();
        afterReadDone();
        if (next)
            this->StartRead(&incoming_);
    }

    void OnDone(const grpc::Status& status) override
    {
        std::lock_guard<std::mutex> lock(mutex_);
        status_ = status;
        done_ = true;
        changed_.notify_all();
    }

    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<Item> items_;
    bool readEnded_ = false;
    bool done_ = false;

private:
    T incoming_;
    grpc::Status status_;
    bool started_ = false;
    bool paused_ = false;
    bool readDeferred_ = false;
};

// Reads a server stream with the callback API; reading can pause.
template <typename T>
class StreamReader : public RecordingReactor<grpc::ClientReadReactor<T>, T> {
    using Base = RecordingReactor<grpc::ClientReadReactor<T>, T>;

public:
    using Item = typename Base::Item;

    explicit StreamReader(int deadlineMs = 30000) { setDeadline(this->context, deadlineMs); }
    ~StreamReader() override { this->finish(); }

    // After stub->async()->Method(&context, &request, this).
    void start(bool paused = false)
    {
        this->AddHold();   // reads are also started from resume(), outside reactions
        this->startReads(paused);
        this->StartCall();
    }

    bool waitForCount(size_t n, int ms = kWaitMs)
    {
        std::unique_lock<std::mutex> lock(this->mutex_);
        return this->changed_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return this->items_.size() >= n || this->done_; })
            && this->items_.size() >= n;
    }
    size_t count() const
    {
        std::lock_guard<std::mutex> lock(this->mutex_);
        return this->items_.size();
    }
    T last() const
    {
        std::lock_guard<std::mutex> lock(this->mutex_);
        return this->items_.empty() ? T() : this->items_.back().message;
    }
};

// One chat participant over the callback API: one write in flight, the rest
// queued; reading can pause; closeWrites() half-closes after what is queued.
class ChatClient : public RecordingReactor<grpc::ClientBidiReactor<Message, Message>, Message> {
public:
    // Joins as `user` (replaying history after `afterSeq`) unless `join` is false.
    ChatClient(StreamingExamples::Stub& stub, const std::string& user, bool join = true, uint64_t afterSeq = 0,
               bool paused = false, int deadlineMs = 60000)
        : user_(user)
    {
        setDeadline(context, deadlineMs);
        stub.async()->Chat(&context, this);
        AddMultipleHolds(2);   // reads (resume) and writes (send) start outside reactions
        startReads(paused);
        StartCall();
        if (join) {
            Message hello;
            hello.set_kind(Message::JOIN);
            hello.set_user(user);
            hello.set_after_seq(afterSeq);
            send(hello);
        }
    }
    ~ChatClient() override { finish(); }

    static Message line(const std::string& text, const std::string& clientId = {}, const std::string& user = {})
    {
        Message m;
        m.set_kind(Message::CHAT);
        m.set_text(text);
        m.set_client_id(clientId);
        m.set_user(user);
        return m;
    }

    bool send(const Message& message)
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (writesClosed_ || wantWritesDone_)
            return false;
        outbox_.push_back(message);
        if (!writing_)
            startNextLocked();
        return true;
    }
    bool say(const std::string& text, const std::string& clientId)
    {
        return send(line(text, clientId, user_));
    }

    // Half-close once everything queued is written.
    void closeWrites()
    {
        std::lock_guard<std::mutex> lock(mutex_);
        wantWritesDone_ = true;
        if (!writing_)
            startNextLocked();
    }

    // Waits for a message of `kind` matching `match`; returns it through `found`.
    bool waitForMessage(Message::Kind kind, const std::function<bool(const Message&)>& match, Message* found = nullptr,
                        int ms = kWaitMs)
    {
        std::unique_lock<std::mutex> lock(mutex_);
        return changed_.wait_for(lock, std::chrono::milliseconds(ms), [&] {
            for (const auto& item : items_) {
                if (item.message.kind() == kind && match(item.message)) {
                    if (found)
                        *found = item.message;
                    return true;
                }
            }
            return false;
        });
    }
    bool waitForAck(const std::string& clientId, Message* ack = nullptr, int ms = kWaitMs)
    {
        return waitForMessage(Message::ACK, [&](const Message& m) { return m.client_id() == clientId; }, ack, ms);
    }
    bool waitForLine(const std::string& clientId, Message* found = nullptr, int ms = kWaitMs)
    {
        return waitForMessage(Message::CHAT, [&](const Message& m) { return m.client_id() == clientId; }, found, ms);
    }
    // Waits until the room (as this client last heard) has exactly `n` participants.
    bool waitForParticipants(int n, int ms = kWaitMs)
    {
        std::unique_lock<std::mutex> lock(mutex_);
        return changed_.wait_for(lock, std::chrono::milliseconds(ms), [&] {
            for (auto it = items_.rbegin(); it != items_.rend(); ++it) {
                const auto kind = it->message.kind();
                if (kind == Message::JOIN || kind == Message::LEAVE)
                    return it->message.participants_size() == n;
            }
            return false;
        });
    }

    std::vector<Message> messages(Message::Kind kind) const
    {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<Message> out;
        for (const auto& item : items_)
            if (item.message.kind() == kind)
                out.push_back(item.message);
        return out;
    }
    // When the line with `clientId` arrived (nullopt: not yet).
    std::optional<Clock::time_point> arrival(const std::string& clientId) const
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (const auto& item : items_)
            if (item.message.kind() == Message::CHAT && item.message.client_id() == clientId)
                return item.at;
        return std::nullopt;
    }
    const std::string& user() const { return user_; }

private:
    void startNextLocked()
    {
        if (writesClosed_)
            return;
        if (readEnded_) {
            // The call is over: no more writes.
            closeWriteSideLocked();
            return;
        }
        if (!outbox_.empty()) {
            writing_ = true;
            StartWrite(&outbox_.front());
            return;
        }
        if (wantWritesDone_ && !writesDoneStarted_) {
            writesDoneStarted_ = true;
            writing_ = true;
            StartWritesDone();
        }
    }

    void closeWriteSideLocked()
    {
        writesClosed_ = true;
        if (!writeHoldReleased_) {
            writeHoldReleased_ = true;
            releaseWriteHold_ = true;
        }
    }

    void releaseHolds()
    {
        bool release = false;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            release = releaseWriteHold_;
            releaseWriteHold_ = false;
        }
        if (release)
            RemoveHold();
    }

    void OnWriteDone(bool ok) override
    {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            writing_ = false;
            if (!outbox_.empty())
                outbox_.pop_front();
            if (!ok)
                closeWriteSideLocked();
            else
                startNextLocked();
        }
        releaseHolds();
    }

    void OnWritesDoneDone(bool) override
    {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            writing_ = false;
            closeWriteSideLocked();
        }
        releaseHolds();
    }

    // Reads over: so is writing, once the write in flight (if any) is done.
    void readsEndedLocked() override
    {
        if (!writing_)
            closeWriteSideLocked();
    }
    void afterReadDone() override { releaseHolds(); }

    const std::string user_;
    std::deque<Message> outbox_;   // front is in flight while writing_
    bool writing_ = false;
    bool wantWritesDone_ = false;
    bool writesDoneStarted_ = false;
    bool writesClosed_ = false;
    bool writeHoldReleased_ = false;
    bool releaseWriteHold_ = false;
};

// FlowLab.Watch over the callback API (the observer of a probe).
class ProbeWatch : public StreamReader<ProbeSample> {
public:
    ProbeWatch(FlowLab::Stub& stub, const std::string& probeId, uint32_t intervalMs = 20, int deadlineMs = 60000)
        : StreamReader<ProbeSample>(deadlineMs)
    {
        request_.set_probe_id(probeId);
        request_.set_interval_ms(intervalMs);
        stub.async()->Watch(&context, &request_, this);
        start();
    }
    ~ProbeWatch() override { finish(); }

    // Waits for a sample that satisfies `condition`; returns it through `found`.
    bool waitForSample(const std::function<bool(const ProbeSample&)>& condition, ProbeSample* found = nullptr,
                       int ms = kWaitMs)
    {
        return waitFor(
            [&](const std::vector<Item>& items) {
                for (auto it = items.rbegin(); it != items.rend(); ++it) {
                    if (condition(it->message)) {
                        if (found)
                            *found = it->message;
                        return true;
                    }
                }
                return false;
            },
            ms);
    }

private:
    WatchRequest request_;
};

// --- Services without generated stubs here (health, reflection): raw protobuf
// over grpc's generic stub. The wire format is small enough to write by hand.

inline grpc::ByteBuffer toByteBuffer(const std::string& bytes)
{
    grpc::Slice slice(bytes);
    return grpc::ByteBuffer(&slice, 1);
}

inline std::string fromByteBuffer(const grpc::ByteBuffer& buffer)
{
    std::vector<grpc::Slice> slices;
    std::string out;
    if (!buffer.Dump(&slices).ok())
        return out;
    for (const auto& slice : slices)
        out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    return out;
}

// A length-delimited protobuf field.
inline std::string protoString(int field, const std::string& value)
{
    std::string out;
    out += char((field << 3) | 2);
    size_t n = value.size();
    do {
        uint8_t byte = n & 0x7f;
        n >>= 7;
        if (n)
            byte |= 0x80;
        out += char(byte);
    } while (n);
    return out + value;
}

// grpc.health.v1.Health/Check: the ServingStatus number (1 = SERVING), or -1 with the status.
inline int healthCheck(const std::shared_ptr<grpc::Channel>& channel, const std::string& service, grpc::Status* status)
{
    grpc::GenericStub stub(channel);
    grpc::ClientContext context;
    setDeadline(context, 5000);
    const grpc::ByteBuffer request = toByteBuffer(service.empty() ? std::string() : protoString(1, service));
    grpc::ByteBuffer response;
    std::mutex mutex;
    std::condition_variable cv;
    bool done = false;
    stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                   [&](grpc::Status s) {
                       std::lock_guard<std::mutex> lock(mutex);
                       *status = s;
                       done = true;
                       cv.notify_all();
                   });
    std::unique_lock<std::mutex> lock(mutex);
    cv.wait(lock, [&] { return done; });   // the deadline bounds it
    if (!status->ok())
        return -1;
    google::protobuf::UnknownFieldSet fields;
    if (!fields.ParseFromString(fromByteBuffer(response)))
        return -1;
    for (int i = 0; i < fields.field_count(); ++i)
        if (fields.field(i).number() == 1 && fields.field(i).type() == google::protobuf::UnknownField::TYPE_VARINT)
            return int(fields.field(i).varint());
    return 0;   // proto3 default: UNKNOWN
}

// grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo with
// list_services: the service names, or an empty list with the status.
class ReflectionListServices : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
public:
    static std::vector<std::string> run(const std::shared_ptr<grpc::Channel>& channel, grpc::Status* status)
    {
        grpc::GenericStub stub(channel);
        ReflectionListServices call;
        setDeadline(call.context_, 5000);
        stub.PrepareBidiStreamingCall(&call.context_, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                                      grpc::StubOptions(), &call);
        call.request_ = toByteBuffer(protoString(7, ""));   // list_services = ""
        call.StartWriteLast(&call.request_, grpc::WriteOptions());
        call.StartRead(&call.response_);
        call.StartCall();
        std::unique_lock<std::mutex> lock(call.mutex_);
        call.cv_.wait(lock, [&] { return call.done_; });   // the deadline bounds it
        *status = call.status_;
        std::vector<std::string> names;
        for (const auto& bytes : call.responses_) {
            google::protobuf::UnknownFieldSet response;
            if (!response.ParseFromString(bytes))
                continue;
            for (int i = 0; i < response.field_count(); ++i) {
                if (response.field(i).number() != 6)   // list_services_response
                    continue;
                google::protobuf::UnknownFieldSet list;
                list.ParseFromString(response.field(i).length_delimited());
                for (int j = 0; j < list.field_count(); ++j) {
                    if (list.field(j).number() != 1)   // repeated ServiceResponse service
                        continue;
                    google::protobuf::UnknownFieldSet service;
                    service.ParseFromString(list.field(j).length_delimited());
                    for (int k = 0; k < service.field_count(); ++k)
                        if (service.field(k).number() == 1)
                            names.push_back(service.field(k).length_delimited());
                }
            }
        }
        return names;
    }

private:
    void OnReadDone(bool ok) override
    {
        if (!ok)
            return;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            responses_.push_back(fromByteBuffer(response_));
        }
        StartRead(&response_);
    }
    void OnDone(const grpc::Status& status) override
    {
        std::lock_guard<std::mutex> lock(mutex_);
        status_ = status;
        done_ = true;
        cv_.notify_all();
    }

    grpc::ClientContext context_;
    grpc::ByteBuffer request_;
    grpc::ByteBuffer response_;
    std::vector<std::string> responses_;
    std::mutex mutex_;
    std::condition_variable cv_;
    grpc::Status status_;
    bool done_ = false;
};

// Regular files directly in `dir` (not the .partial directory), sorted.
inline QStringList filesIn(const QString& dir)
{
    QDir d(dir);
    return d.entryList(QDir::Files | QDir::Hidden | QDir::System, QDir::Name);
}

inline std::string fileSha256(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return "(cannot open " + path.toStdString() + ")";
    Sha256 hash;
    while (!file.atEnd()) {
        const QByteArray block = file.read(1 << 20);
        hash.add(block.constData(), size_t(block.size()));
    }
    return hash.hexDigest();
}

} // namespace streamlab::test
