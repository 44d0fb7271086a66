#include "UserStore.h"

namespace streamlab::server {

std::unique_ptr<UserStore> UserStore::open(const std::filesystem::path& databaseFile, std::string* error)
{
    auto db = Database::open(databaseFile, error);
    return db ? std::unique_ptr<UserStore>(new UserStore(std::move(db))) : nullptr;
}

std::optional<UserRecord> UserStore::find(int64_t id)
{
    auto lock = db_->lock();
    Statement query = db_->prepare(
        "SELECT id, username, name, email, company, job_title, city, country, phone, created_at_ms"
        " FROM users WHERE id = ?");
    query.bind(1, id);
    if (!query.step())
        return std::nullopt;
    UserRecord user;
    user.id = query.int64At(0);
    user.username = query.textAt(1);
    user.name = query.textAt(2);
    user.email = query.textAt(3);
    user.company = query.textAt(4);
    user.jobTitle = query.textAt(5);
    user.city = query.textAt(6);
    user.country = query.textAt(7);
    user.phone = query.textAt(8);
    user.createdAtMs = query.int64At(9);
    return user;
}

int64_t UserStore::count()
{
    auto lock = db_->lock();
    Statement query = db_->prepare("SELECT count(*) FROM users");
    return query.step() ? query.int64At(0) : 0;
}

} // namespace streamlab::server
