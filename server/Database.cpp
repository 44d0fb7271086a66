#include "Database.h"

#include <sqlite3.h>

namespace streamlab::server {

std::unique_ptr<Database> Database::open(const std::filesystem::path& file, std::string* error)
{
    sqlite3* db = nullptr;
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(file.c_str(), &db, flags, nullptr) != SQLITE_OK) {
        if (error)
            *error = "cannot open database " + file.string() + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return nullptr;
    }
    // Several connections (one per store, maybe another process) share the
    // file: WAL lets readers run beside the writer; wait rather than fail.
    sqlite3_busy_timeout(db, 5000);
    std::unique_ptr<Database> result(new Database(db));
    std::string pragmaError;
    if (!result->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;", &pragmaError)) {
        if (error)
            *error = "cannot configure database " + file.string() + ": " + pragmaError;
        return nullptr;
    }
    return result;
}

Database::~Database() { sqlite3_close_v2(db_); }

bool Database::exec(std::string_view sql, std::string* error)
{
    char* message = nullptr;
    const std::string text(sql);
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
        if (error)
            *error = message ? message : "unknown SQLite error";
        sqlite3_free(message);
        return false;
    }
    return true;
}

Statement Database::prepare(std::string_view sql) { return Statement(db_, sql); }

std::string Database::lastError() const { return sqlite3_errmsg(db_); }

int64_t Database::lastInsertId() const { return sqlite3_last_insert_rowid(db_); }

Statement::Statement(sqlite3* db, std::string_view sql)
{
    if (sqlite3_prepare_v2(db, sql.data(), int(sql.size()), &stmt_, nullptr) != SQLITE_OK) {
        sqlite3_finalize(stmt_);
        stmt_ = nullptr;
        failed_ = true;
    }
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept : stmt_(other.stmt_), failed_(other.failed_)
{
    other.stmt_ = nullptr;
}

Statement& Statement::bind(int index, int64_t value)
{
    if (stmt_ && sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK)
        failed_ = true;
    return *this;
}

Statement& Statement::bind(int index, std::string_view text)
{
    if (stmt_ && sqlite3_bind_text(stmt_, index, text.data(), int(text.size()), SQLITE_TRANSIENT) != SQLITE_OK)
        failed_ = true;
    return *this;
}

Statement& Statement::bindNull(int index)
{
    if (stmt_ && sqlite3_bind_null(stmt_, index) != SQLITE_OK)
        failed_ = true;
    return *this;
}

bool Statement::step()
{
    if (!stmt_ || failed_)
        return false;
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW)
        return true;
    if (rc != SQLITE_DONE)
        failed_ = true;
    return false;
}

bool Statement::run()
{
    step();
    return !failed_;
}

void Statement::reset()
{
    if (stmt_) {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }
    failed_ = stmt_ == nullptr;
}

int64_t Statement::int64At(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::textAt(int column) const
{
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return text ? std::string(text, size_t(sqlite3_column_bytes(stmt_, column))) : std::string();
}

bool Statement::isNullAt(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

} // namespace streamlab::server
