#include "ChatJournal.h"

namespace streamlab::server {

namespace {
constexpr size_t kMaxBatch = 512;
constexpr uint64_t kPruneEvery = 1000;   // lines between two prunes of old rows
} // namespace

ChatJournal::ChatJournal(std::unique_ptr<Database> db, int64_t keep) : db_(std::move(db)), keep_(keep)
{
    thread_ = std::thread([this] { run(); });
}

ChatJournal::~ChatJournal()
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();   // run() writes what is queued before it returns
}

void ChatJournal::append(std::shared_ptr<const Message> line)
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        queue_.push_back(std::move(line));
        ++appended_;
    }
    wake_.notify_one();
}

void ChatJournal::flush()
{
    std::unique_lock<std::mutex> lock(mutex_);
    const uint64_t target = appended_;
    written_.wait(lock, [&] { return done_ >= target; });
}

uint64_t ChatJournal::failedWrites() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return failed_;
}

void ChatJournal::run()
{
    std::unique_lock<std::mutex> lock(mutex_);
    uint64_t sincePrune = 0;
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty() && stopping_)
            return;
        std::vector<std::shared_ptr<const Message>> batch;
        if (queue_.size() <= kMaxBatch) {
            batch.swap(queue_);
        } else {
            batch.assign(queue_.begin(), queue_.begin() + long(kMaxBatch));
            queue_.erase(queue_.begin(), queue_.begin() + long(kMaxBatch));
        }
        lock.unlock();
        const bool ok = writeBatch(batch);
        sincePrune += batch.size();
        if (ok && sincePrune >= kPruneEvery) {
            sincePrune = 0;
            auto dbLock = db_->lock();
            Statement prune = db_->prepare("DELETE FROM chat_messages WHERE seq <= ?");
            prune.bind(1, int64_t(batch.back()->seq()) - keep_).run();
        }
        lock.lock();
        done_ += batch.size();
        if (!ok)
            failed_ += batch.size();
        written_.notify_all();
    }
}

bool ChatJournal::writeBatch(const std::vector<std::shared_ptr<const Message>>& batch)
{
    auto lock = db_->lock();
    if (!db_->exec("BEGIN"))
        return false;
    Statement insert = db_->prepare("INSERT OR IGNORE INTO chat_messages(seq, client_id, user, text, time_ms) VALUES (?,?,?,?,?)");
    for (const auto& line : batch) {
        insert.reset();
        insert.bind(1, int64_t(line->seq())).bind(2, line->client_id()).bind(3, line->user()).bind(4, line->text())
            .bind(5, line->time_ms());
        if (!insert.run()) {
            db_->exec("ROLLBACK");
            return false;
        }
    }
    return db_->exec("COMMIT");
}

} // namespace streamlab::server
