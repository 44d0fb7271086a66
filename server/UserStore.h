#pragma once
#include "Database.h"
#include "Records.h"

#include <optional>

namespace streamlab::server {

class UserStore {
public:
    static std::unique_ptr<UserStore> open(const std::filesystem::path& databaseFile, std::string* error);
    std::optional<UserRecord> find(int64_t id);
    int64_t count();

private:
    explicit UserStore(std::unique_ptr<Database> db) : db_(std::move(db)) {}
    std::unique_ptr<Database> db_;
};

} // namespace streamlab::server
