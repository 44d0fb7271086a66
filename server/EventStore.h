#pragma once
// The event history. Pages are read by id (keyset paging: "id > cursor"), so
// a stream of any length holds one page in memory, never the whole table.

#include "Database.h"
#include "Records.h"

#include <vector>

namespace streamlab::server {

class EventStore {
public:
    static std::unique_ptr<EventStore> open(const std::filesystem::path& databaseFile, std::string* error);

    // The cursor to start from for events strictly after `timeMs`.
    int64_t cursorAfterTime(int64_t timeMs);
    // Up to `limit` events with id > `afterId` (of `types`, when not empty), in id order.
    std::vector<EventRecord> fetch(int64_t afterId, const std::vector<std::string>& types, int limit);
    // Stores a new event (its time never before the newest one) and sets its id.
    bool append(EventRecord& event);
    int64_t count();
    int64_t lastId();

private:
    explicit EventStore(std::unique_ptr<Database> db) : db_(std::move(db)) {}
    std::unique_ptr<Database> db_;
};

} // namespace streamlab::server
