#pragma once
// A thin RAII layer over SQLite. One Database = one connection, guarded by its
// own mutex: callers hold `lock()` for the duration of a statement's use, so a
// connection is never used by two gRPC threads at once.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace streamlab::server {

class Statement;

class Database {
public:
    // Opens (creating if needed) the database file in WAL mode.
    static std::unique_ptr<Database> open(const std::filesystem::path& file, std::string* error);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    std::unique_lock<std::mutex> lock() { return std::unique_lock<std::mutex>(mutex_); }

    // Runs one or more statements without results. Caller holds lock().
    bool exec(std::string_view sql, std::string* error = nullptr);
    Statement prepare(std::string_view sql);
    std::string lastError() const;
    int64_t lastInsertId() const;

private:
    explicit Database(sqlite3* db) : db_(db) {}
    sqlite3* db_;
    std::mutex mutex_;
};

// A prepared statement. Bind indexes start at 1, column indexes at 0.
class Statement {
public:
    Statement(sqlite3* db, std::string_view sql);
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    bool ok() const { return stmt_ != nullptr; }
    Statement& bind(int index, int64_t value);
    Statement& bind(int index, std::string_view text);
    Statement& bindNull(int index);
    // Advances to the next row: true while there is a row; false at the end or on error.
    bool step();
    // Runs a statement that returns no rows; true on success.
    bool run();
    void reset();
    bool failed() const { return failed_; }

    int64_t int64At(int column) const;
    std::string textAt(int column) const;
    bool isNullAt(int column) const;

private:
    sqlite3_stmt* stmt_ = nullptr;
    bool failed_ = false;
};

} // namespace streamlab::server
