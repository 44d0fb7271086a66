#include "ChatReactor.h"

#include "FinishOnce.h"

#include <deque>

namespace streamlab::server {

namespace {

constexpr size_t kMaxUserBytes = 64;
constexpr auto kOverflowGrace = std::chrono::seconds(10);

class ChatReactor : public FinishOnce<grpc::ServerBidiReactor<Message, Message>>, public ChatSubscriber {
public:
    ChatReactor(ServerState& state, grpc::CallbackServerContext* context) : state_(state), context_(context)
    {
        StartRead(&incoming_);
    }

    // From the room (any thread, room lock held): enqueue; the write starts on
    // the scheduler or on this call's own OnWriteDone, never on the publisher's thread.
    void deliver(std::shared_ptr<const Message> message) override
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (finished())
            return;
        if (overflowed_)
            return;
        if (queue_.size() >= size_t(state_.config.chatMaxQueue)) {
            overflowed_ = true;
            dropQueuedLocked();
            tasks_.post([this] { endOverflowed(); });
            return;
        }
        queue_.push_back(std::move(message));
        if (!writing_) {
            writing_ = true;
            tasks_.post([this] {
                std::lock_guard<std::mutex> relock(mutex_);
                writeNextLocked();
            });
        }
    }

    void OnReadDone(bool ok) override
    {
        std::unique_lock<std::mutex> lock(mutex_);
        if (!ok) {
            // Half-close (deliver what is pending, then OK) or a broken call.
            readDone_ = true;
            lock.unlock();
            state_.chat->leave(this);
            lock.lock();
            maybeFinishLocked();
            return;
        }
        if (finished())
            return;
        grpc::Status status = handleLocked(lock);
        if (!status.ok()) {
            finishLocked(status);
            return;
        }
        if (!finished())
            StartRead(&incoming_);
    }

    void OnWriteDone(bool ok) override
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!queue_.empty())
            queue_.pop_front();
        writing_ = false;
        if (!ok) {
            dropQueuedLocked();   // the client is gone; its read side ends the call
            maybeFinishLocked();
            return;
        }
        writeNextLocked();
    }

    void OnCancel() override
    {
        std::lock_guard<std::mutex> lock(mutex_);
        cancelled_ = true;
        dropQueuedLocked();
        maybeFinishLocked();
    }

    void OnDone() override
    {
        state_.chat->leave(this);
        tasks_.cancelAll();
        delete this;
    }

private:
    grpc::Status handleLocked(std::unique_lock<std::mutex>& lock)
    {
        const Message& in = incoming_;
        if (in.kind() == Message::JOIN) {
            if (joined_)
                return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "this call has joined already as " + user_);
            grpc::Status valid = validUser(in.user());
            if (!valid.ok())
                return valid;
            return joinLocked(lock, in.user(), in.after_seq(), true);
        }
        if (in.kind() != Message::CHAT)
            return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "clients send CHAT or JOIN lines only");
        if (in.text().empty())
            return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "empty chat line: text is required");
        if (in.text().size() > size_t(state_.config.chatMaxTextBytes))
            return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                "chat line of " + std::to_string(in.text().size()) + " bytes is over the limit of "
                                    + std::to_string(state_.config.chatMaxTextBytes) + " bytes");
        if (in.client_id().size() > 128)
            return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "client_id is longer than 128 bytes");
        if (!joined_) {
            // The guide's client never joins: its first line joins it, without replay.
            grpc::Status valid = validUser(in.user().empty() ? "anonymous" : in.user());
            if (!valid.ok())
                return valid;
            grpc::Status joined = joinLocked(lock, in.user().empty() ? "anonymous" : in.user(), 0, false);
            if (!joined.ok())
                return joined;
        }
        // The room calls deliver() on this reactor, which takes mutex_: publish unlocked.
        const std::string text = in.text();
        const std::string clientId = in.client_id();
        lock.unlock();
        grpc::Status published = state_.chat->publish(this, text, clientId);
        lock.lock();
        return published;
    }

    grpc::Status joinLocked(std::unique_lock<std::mutex>& lock, const std::string& user, uint64_t afterSeq, bool replay)
    {
        lock.unlock();
        grpc::Status status = state_.chat->join(this, user, afterSeq, replay);
        lock.lock();
        if (status.ok()) {
            joined_ = true;
            user_ = user;
        }
        return status;
    }

    static grpc::Status validUser(const std::string& user)
    {
        if (user.empty())
            return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "user is required to join");
        if (user.size() > kMaxUserBytes)
            return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "user name is longer than 64 bytes");
        return grpc::Status::OK;
    }

    void writeNextLocked()
    {
        if (finished() || cancelled_) {
            writing_ = false;
            maybeFinishLocked();
            return;
        }
        if (queue_.empty()) {
            writing_ = false;
            maybeFinishLocked();
            return;
        }
        writing_ = true;
        StartWrite(queue_.front().get());
    }

    // Drops what waits; a message in flight stays until its OnWriteDone.
    void dropQueuedLocked()
    {
        while (queue_.size() > (writing_ ? 1u : 0u))
            queue_.pop_back();
    }

    // Too far behind: it was dropped from delivery; end it so it never holds the room back.
    void endOverflowed()
    {
        std::lock_guard<std::mutex> lock(mutex_);
        finishLocked(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                  "this client fell more than " + std::to_string(state_.config.chatMaxQueue)
                                      + " messages behind the room and was disconnected; join again"));
        // A client that never reads never takes the status either: give up on it.
        tasks_.postAfter(std::chrono::duration_cast<std::chrono::milliseconds>(kOverflowGrace),
                         [this] { context_->TryCancel(); });
    }

    void maybeFinishLocked()
    {
        if (finished())
            return;
        if (cancelled_) {
            if (!writing_)
                finishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
            return;
        }
        if (readDone_ && !writing_ && queue_.empty())
            finishLocked(grpc::Status::OK);
    }


    ServerState& state_;
    grpc::CallbackServerContext* context_;
    std::mutex mutex_;
    Message incoming_;
    std::deque<std::shared_ptr<const Message>> queue_;   // front is in flight while writing_
    std::string user_;
    bool joined_ = false;
    bool writing_ = false;
    bool readDone_ = false;
    bool cancelled_ = false;
    bool overflowed_ = false;
    TaskGroup tasks_{state_.scheduler};   // last: destroyed first
};

} // namespace

grpc::ServerBidiReactor<Message, Message>* startChat(ServerState& state, grpc::CallbackServerContext* context)
{
    return new ChatReactor(state, context);
}

} // namespace streamlab::server
