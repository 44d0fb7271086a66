#include "EventStore.h"

#include <algorithm>

namespace streamlab::server {

std::unique_ptr<EventStore> EventStore::open(const std::filesystem::path& databaseFile, std::string* error)
{
    auto db = Database::open(databaseFile, error);
    return db ? std::unique_ptr<EventStore>(new EventStore(std::move(db))) : nullptr;
}

int64_t EventStore::cursorAfterTime(int64_t timeMs)
{
    auto lock = db_->lock();
    Statement first = db_->prepare("SELECT id FROM events WHERE time_ms > ? ORDER BY time_ms, id LIMIT 1");
    first.bind(1, timeMs);
    if (first.step())
        return first.int64At(0) - 1;
    Statement last = db_->prepare("SELECT coalesce(max(id), 0) FROM events");
    return last.step() ? last.int64At(0) : 0;
}

std::vector<EventRecord> EventStore::fetch(int64_t afterId, const std::vector<std::string>& types, int limit)
{
    std::string sql = "SELECT id, time_ms, type, data FROM events WHERE id > ?";
    if (!types.empty()) {
        sql += " AND type IN (?";
        for (size_t i = 1; i < types.size(); ++i)
            sql += ",?";
        sql += ")";
    }
    sql += " ORDER BY id LIMIT ?";

    std::vector<EventRecord> events;
    events.reserve(size_t(std::max(limit, 0)));
    auto lock = db_->lock();
    Statement query = db_->prepare(sql);
    int index = 1;
    query.bind(index++, afterId);
    for (const auto& type : types)
        query.bind(index++, type);
    query.bind(index, int64_t(limit));
    while (query.step()) {
        EventRecord event;
        event.id = query.int64At(0);
        event.timeMs = query.int64At(1);
        event.type = query.textAt(2);
        event.data = query.textAt(3);
        events.push_back(std::move(event));
    }
    return events;
}

bool EventStore::append(EventRecord& event)
{
    auto lock = db_->lock();
    Statement newest = db_->prepare("SELECT coalesce(max(time_ms), 0) FROM events WHERE id = (SELECT max(id) FROM events)");
    if (newest.step())
        event.timeMs = std::max(event.timeMs, newest.int64At(0));
    Statement insert = db_->prepare("INSERT INTO events(time_ms, type, data) VALUES (?,?,?)");
    insert.bind(1, event.timeMs).bind(2, event.type).bind(3, event.data);
    if (!insert.run())
        return false;
    event.id = db_->lastInsertId();
    return true;
}

int64_t EventStore::count()
{
    auto lock = db_->lock();
    Statement query = db_->prepare("SELECT count(*) FROM events");
    return query.step() ? query.int64At(0) : 0;
}

int64_t EventStore::lastId()
{
    auto lock = db_->lock();
    Statement query = db_->prepare("SELECT coalesce(max(id), 0) FROM events");
    return query.step() ? query.int64At(0) : 0;
}

} // namespace streamlab::server
