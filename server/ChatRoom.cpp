#include "ChatRoom.h"

#include <algorithm>

namespace streamlab::server {

namespace {
constexpr size_t kDedupWindow = 10000;   // client ids remembered (and rows kept in SQLite)

int64_t nowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
} // namespace

std::unique_ptr<ChatRoom> ChatRoom::open(const std::filesystem::path& databaseFile, const ServerConfig& config,
                                         std::string* error)
{
    auto db = Database::open(databaseFile, error);
    if (!db)
        return nullptr;
    std::unique_ptr<ChatRoom> room(new ChatRoom(config));
    std::lock_guard<std::mutex> lock(room->mutex_);
    if (!room->loadLocked(*db, error))
        return nullptr;
    room->journal_ = std::make_unique<ChatJournal>(std::move(db), int64_t(kDedupWindow));
    return room;
}

ChatRoom::ChatRoom(const ServerConfig& config)
    : historySize_(std::max(config.chatHistory, 0)),
      maxParticipants_(config.chatMaxParticipants), ratePerSecond_(config.chatRatePerSecond),
      rateBurst_(std::max(config.chatRateBurst, 1))
{
}

bool ChatRoom::loadLocked(Database& db, std::string* error)
{
    auto lock = db.lock();
    Statement query = db.prepare(
        "SELECT seq, client_id, user, text, time_ms FROM"
        " (SELECT * FROM chat_messages ORDER BY seq DESC LIMIT ?) ORDER BY seq");
    query.bind(1, int64_t(kDedupWindow));
    while (query.step()) {
        auto line = std::make_shared<Message>();
        line->set_seq(uint64_t(query.int64At(0)));
        line->set_client_id(query.textAt(1));
        line->set_user(query.textAt(2));
        line->set_text(query.textAt(3));
        line->set_time_ms(query.int64At(4));
        lastSeq_ = line->seq();
        rememberLocked(line);
    }
    if (query.failed()) {
        *error = "cannot read chat history: " + db.lastError();
        return false;
    }
    return true;
}

void ChatRoom::rememberLocked(const std::shared_ptr<const Message>& line)
{
    history_.push_back(line);
    while (history_.size() > size_t(historySize_))
        history_.pop_front();
    if (line->client_id().empty())
        return;
    seqByClientId_[line->client_id()] = line->seq();
    clientIdOrder_.push_back(line->client_id());
    while (clientIdOrder_.size() > kDedupWindow) {
        seqByClientId_.erase(clientIdOrder_.front());
        clientIdOrder_.pop_front();
    }
}

std::shared_ptr<Message> ChatRoom::presenceLocked(Message::Kind kind, const std::string& user) const
{
    auto message = std::make_shared<Message>();
    message->set_kind(kind);
    message->set_user(user);
    message->set_time_ms(nowMs());
    message->set_seq(lastSeq_);
    std::vector<std::string> names;
    for (const auto& entry : participants_)
        names.push_back(entry.second.user);
    std::sort(names.begin(), names.end());
    for (auto& name : names)
        message->add_participants(std::move(name));
    return message;
}

void ChatRoom::broadcastLocked(const std::shared_ptr<const Message>& message)
{
    for (const auto& entry : participants_)
        entry.first->deliver(message);
}

grpc::Status ChatRoom::join(ChatSubscriber* subscriber, const std::string& user, uint64_t afterSeq, bool replay)
{
    std::lock_guard<std::mutex> lock(mutex_);
    if (participants_.count(subscriber))
        return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "already joined as " + participants_[subscriber].user);
    if (int(participants_.size()) >= maxParticipants_)
        return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                            "the room is full (" + std::to_string(maxParticipants_) + " participants)");
    if (replay) {
        for (const auto& line : history_) {
            if (line->seq() <= afterSeq)
                continue;
            auto replayed = std::make_shared<Message>(*line);
            replayed->set_replayed(true);
            subscriber->deliver(std::move(replayed));
        }
    }
    participants_.emplace(subscriber, Participant{user, double(rateBurst_), std::chrono::steady_clock::now()});
    broadcastLocked(presenceLocked(Message::JOIN, user));
    return grpc::Status::OK;
}

void ChatRoom::leave(ChatSubscriber* subscriber)
{
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = participants_.find(subscriber);
    if (it == participants_.end())
        return;
    const std::string user = it->second.user;
    participants_.erase(it);
    broadcastLocked(presenceLocked(Message::LEAVE, user));
}

grpc::Status ChatRoom::publish(ChatSubscriber* subscriber, const std::string& text, const std::string& clientId)
{
    std::lock_guard<std::mutex> lock(mutex_);
    auto sender = participants_.find(subscriber);
    if (sender == participants_.end())
        return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "join the room before sending");

    auto ack = std::make_shared<Message>();
    ack->set_kind(Message::ACK);
    ack->set_client_id(clientId);
    ack->set_user(sender->second.user);

    if (!clientId.empty()) {
        auto seen = seqByClientId_.find(clientId);
        if (seen != seqByClientId_.end()) {
            // A resend after a reconnect: it is stored already; acknowledge again.
            ack->set_seq(seen->second);
            subscriber->deliver(std::move(ack));
            return grpc::Status::OK;
        }
    }

    Participant& participant = sender->second;
    const auto now = std::chrono::steady_clock::now();
    participant.tokens = std::min(double(rateBurst_), participant.tokens
                                      + ratePerSecond_ * std::chrono::duration<double>(now - participant.refilled).count());
    participant.refilled = now;
    if (participant.tokens < 1.0) {
        char reason[128];
        std::snprintf(reason, sizeof reason, "rate limit: at most %.0f lines per second (bursts of %d); not stored, send it again later",
                      ratePerSecond_, rateBurst_);
        ack->set_error(reason);
        subscriber->deliver(std::move(ack));
        return grpc::Status::OK;
    }
    participant.tokens -= 1.0;

    auto line = std::make_shared<Message>();
    line->set_kind(Message::CHAT);
    line->set_seq(lastSeq_ + 1);
    line->set_time_ms(nowMs());
    line->set_user(participant.user);
    line->set_text(text);
    line->set_client_id(clientId);
    journal_->append(line);   // written on the journal's thread, never under this lock
    lastSeq_ = line->seq();
    rememberLocked(line);
    broadcastLocked(line);
    ack->set_seq(line->seq());
    ack->set_time_ms(line->time_ms());
    subscriber->deliver(std::move(ack));
    return grpc::Status::OK;
}

size_t ChatRoom::participants() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return participants_.size();
}

uint64_t ChatRoom::lastSeq() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return lastSeq_;
}

} // namespace streamlab::server
