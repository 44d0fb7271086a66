#pragma once
// Writes the chat room's lines to SQLite on a thread of its own, in batches
// (one transaction each), so the room never holds its lock across disk I/O:
// a slow disk (a WAL checkpoint's fsync) delays the history, not delivery.
// Lines are acknowledged before they are on disk; a graceful stop writes
// everything queued (the destructor flushes), a crash may lose the last
// batch from the history (the participants already have those lines).

#include "Database.h"
#include "streaming_examples.pb.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace streamlab::server {

class ChatJournal {
public:
    // Keeps at least the last `keep` lines in the table.
    ChatJournal(std::unique_ptr<Database> db, int64_t keep);
    ~ChatJournal();

    void append(std::shared_ptr<const Message> line);
    // Waits until everything appended so far is written.
    void flush();
    // Lines that could not be written (disk full, ...): the history is then incomplete.
    uint64_t failedWrites() const;

private:
    void run();
    bool writeBatch(const std::vector<std::shared_ptr<const Message>>& batch);

    std::unique_ptr<Database> db_;
    const int64_t keep_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable written_;
    std::vector<std::shared_ptr<const Message>> queue_;
    uint64_t appended_ = 0;
    uint64_t done_ = 0;
    uint64_t failed_ = 0;
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace streamlab::server
