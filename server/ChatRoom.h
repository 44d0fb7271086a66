#pragma once
// The one chat room. It orders lines (seq), stores them (SQLite keeps the last
// lines for replay and de-duplication across restarts), and hands each line to
// every participant's own queue. It never writes to a stream itself: a
// participant's deliver() only enqueues, and the participant's reactor writes
// on its own thread, so one slow reader cannot delay the room.

#include "ChatJournal.h"
#include "Database.h"
#include "ServerConfig.h"
#include "streaming_examples.pb.h"

#include <grpcpp/support/status.h>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace streamlab::server {

class ChatSubscriber {
public:
    virtual ~ChatSubscriber() = default;
    // Called with the room's lock held: enqueue only; never block or write.
    virtual void deliver(std::shared_ptr<const Message> message) = 0;
};

class ChatRoom {
public:
    static std::unique_ptr<ChatRoom> open(const std::filesystem::path& databaseFile, const ServerConfig& config,
                                          std::string* error);

    // Adds a participant; it gets the history after `afterSeq` (when `replay`),
    // then everyone gets a JOIN line with the participants.
    grpc::Status join(ChatSubscriber* subscriber, const std::string& user, uint64_t afterSeq, bool replay);
    // Idempotent; everyone left gets a LEAVE line.
    void leave(ChatSubscriber* subscriber);
    // Stores and fans out one line, then acknowledges it to its sender. A line
    // whose client_id was stored before is acknowledged again, not repeated.
    grpc::Status publish(ChatSubscriber* subscriber, const std::string& text, const std::string& clientId);

    size_t participants() const;
    uint64_t lastSeq() const;
    // Waits until every stored line is on disk (tests, shutdown).
    void flush() { journal_->flush(); }

private:
    struct Participant {
        std::string user;
        double tokens;
        std::chrono::steady_clock::time_point refilled;
    };
    explicit ChatRoom(const ServerConfig& config);
    bool loadLocked(Database& db, std::string* error);
    std::shared_ptr<Message> presenceLocked(Message::Kind kind, const std::string& user) const;
    void broadcastLocked(const std::shared_ptr<const Message>& message);
    void rememberLocked(const std::shared_ptr<const Message>& line);

    std::unique_ptr<ChatJournal> journal_;
    const int historySize_;
    const int maxParticipants_;
    const double ratePerSecond_;
    const int rateBurst_;
    mutable std::mutex mutex_;
    std::map<ChatSubscriber*, Participant> participants_;
    std::deque<std::shared_ptr<const Message>> history_;        // the last lines, oldest first
    std::unordered_map<std::string, uint64_t> seqByClientId_;     // de-duplication window
    std::deque<std::string> clientIdOrder_;
    uint64_t lastSeq_ = 0;
};

} // namespace streamlab::server
