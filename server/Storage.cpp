#include "Storage.h"

#include "Database.h"
#include "SeedData.h"

#include <chrono>
#include <system_error>

namespace streamlab::server {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    company TEXT NOT NULL,
    job_title TEXT NOT NULL,
    city TEXT NOT NULL,
    country TEXT NOT NULL,
    phone TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    time_ms INTEGER NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_time ON events(time_ms);
CREATE TABLE IF NOT EXISTS chat_messages (
    seq INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL,
    user TEXT NOT NULL,
    text TEXT NOT NULL,
    time_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS chat_by_client_id ON chat_messages(client_id);
CREATE TABLE IF NOT EXISTS uploads (
    upload_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    stored_name TEXT,
    size INTEGER NOT NULL DEFAULT 0,
    sha256 TEXT,
    state TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    stored_at_ms INTEGER);
)sql";

int64_t countRows(Database& db, const char* table)
{
    Statement count = db.prepare(std::string("SELECT count(*) FROM ") + table);
    return count.step() ? count.int64At(0) : 0;
}

bool seedUsers(Database& db, int users)
{
    Statement insert = db.prepare(
        "INSERT INTO users(id, username, name, email, company, job_title, city, country, phone, created_at_ms)"
        " VALUES (?,?,?,?,?,?,?,?,?,?)");
    for (int id = 1; id <= users; ++id) {
        const UserRecord user = makeSeedUser(id);
        insert.reset();
        insert.bind(1, user.id).bind(2, user.username).bind(3, user.name).bind(4, user.email).bind(5, user.company)
            .bind(6, user.jobTitle).bind(7, user.city).bind(8, user.country).bind(9, user.phone).bind(10, user.createdAtMs);
        if (!insert.run())
            return false;
    }
    return true;
}

bool seedEvents(Database& db, int events)
{
    // Spread evenly (with jitter) from 2024-01-01 to now, in time order, so
    // that id order is time order (ListEvents pages by id). Event i falls at
    // a random point of its own slot [i, i + 1) × step: the jitter never adds
    // up (a random walk of 120,000 steps overshot "now" by a day or two, and
    // the clamped tail then had hundreds of events at the same millisecond).
    const int64_t nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch()).count();
    const int64_t span = std::max<int64_t>(nowMs - kHistoryStartMs, events);
    const int64_t step = std::max<int64_t>(1, span / std::max(events, 1));
    EventFactory factory(2024);
    std::mt19937_64 jitter(7);
    Statement insert = db.prepare("INSERT INTO events(time_ms, type, data) VALUES (?,?,?)");
    for (int i = 0; i < events; ++i) {
        const int64_t timeMs = kHistoryStartMs + int64_t(i) * step + int64_t(jitter() % uint64_t(step));
        const EventRecord event = factory.make(std::min(timeMs, nowMs));
        insert.reset();
        insert.bind(1, event.timeMs).bind(2, event.type).bind(3, event.data);
        if (!insert.run())
            return false;
    }
    return true;
}

} // namespace

bool prepareStorage(const ServerConfig& config, StorageInfo* info, std::string* error)
{
    std::error_code ec;
    std::filesystem::create_directories(config.dataDir, ec);
    if (ec) {
        *error = "cannot create data directory " + config.dataDir.string() + ": " + ec.message();
        return false;
    }
    info->databaseFile = config.dataDir / "streamlab.db";
    auto db = Database::open(info->databaseFile, error);
    if (!db)
        return false;
    auto lock = db->lock();
    std::string sqlError;
    if (!db->exec(kSchema, &sqlError)) {
        *error = "cannot create the schema in " + info->databaseFile.string() + ": " + sqlError;
        return false;
    }
    const bool needUsers = countRows(*db, "users") == 0 && config.seedUsers > 0;
    const bool needEvents = countRows(*db, "events") == 0 && config.seedEvents > 0;
    if (!needUsers && !needEvents)
        return true;

    const auto started = std::chrono::steady_clock::now();
    bool ok = db->exec("BEGIN IMMEDIATE", &sqlError);
    if (ok && needUsers)
        ok = seedUsers(*db, config.seedUsers);
    if (ok && needEvents)
        ok = seedEvents(*db, config.seedEvents);
    if (ok)
        ok = db->exec("COMMIT", &sqlError);
    if (!ok) {
        *error = "cannot write seed data to " + info->databaseFile.string() + ": " + db->lastError();
        db->exec("ROLLBACK");
        return false;
    }
    info->seeded = true;
    info->seedSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return true;
}

} // namespace streamlab::server
