#include "UploadStore.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>
#include <vector>

namespace streamlab::server {

namespace {

constexpr size_t kMaxStoredNameBytes = 180;
constexpr size_t kMaxUploadIdBytes = 128;

int64_t nowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool validUploadId(const std::string& id)
{
    if (id.empty() || id.size() > kMaxUploadIdBytes || id[0] == '.')
        return false;
    for (char c : id)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
            return false;
    return true;
}

std::string randomHex(size_t bytes)
{
    static thread_local std::mt19937_64 rng(std::random_device{}());
    static const char kHex[] = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < bytes * 2; ++i)
        out += kHex[rng() & 15];
    return out;
}

std::string defaultUploadName()
{
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char name[64];
    std::strftime(name, sizeof name, "upload-%Y%m%d-%H%M%S.bin", &utc);
    return name;
}

// Cuts a UTF-8 string to at most `max` bytes without splitting a character.
std::string truncateUtf8(const std::string& text, size_t max)
{
    if (text.size() <= max)
        return text;
    size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
        --cut;
    return text.substr(0, cut);
}

std::string humanBytes(int64_t bytes)
{
    // The exact count first: clients show sizes in their own units (the app's
    // tab in decimal MB), and "2.9 MiB" beside "3.0 MB" for one file reads
    // as two different sizes.
    char text[64];
    if (bytes >= (int64_t(1) << 30))
        std::snprintf(text, sizeof text, "%lld bytes (%.1f GiB)", (long long)bytes, double(bytes) / double(int64_t(1) << 30));
    else if (bytes >= (1 << 20))
        std::snprintf(text, sizeof text, "%lld bytes (%.1f MiB)", (long long)bytes, double(bytes) / double(1 << 20));
    else
        std::snprintf(text, sizeof text, "%lld bytes", (long long)bytes);
    return text;
}

bool writeAll(int fd, const char* data, size_t size, int* error)
{
    while (size > 0) {
        const ssize_t written = ::write(fd, data, size);
        if (written < 0) {
            if (errno == EINTR)
                continue;
            *error = errno;
            return false;
        }
        data += written;
        size -= size_t(written);
    }
    return true;
}

} // namespace

std::string UploadStore::safeFileName(std::string_view clientName)
{
    // Only the last path component counts, whichever separator the client used.
    const size_t slash = clientName.find_last_of("/\\");
    if (slash != std::string_view::npos)
        clientName.remove_prefix(slash + 1);
    std::string name;
    for (char c : clientName) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f || std::strchr("<>:\"|?*", c))
            continue;   // control characters (NUL included) and characters other systems refuse
        name += c;
    }
    // No hidden files, no "." or "..", no names that are only spaces.
    while (!name.empty() && (name.front() == '.' || name.front() == ' '))
        name.erase(name.begin());
    while (!name.empty() && (name.back() == '.' || name.back() == ' '))
        name.pop_back();
    if (name.empty())
        return "upload.bin";
    if (name.size() > kMaxStoredNameBytes) {
        const size_t dot = name.find_last_of('.');
        std::string extension = dot != std::string::npos && name.size() - dot <= 16 ? name.substr(dot) : std::string();
        name = truncateUtf8(name.substr(0, name.size() - extension.size()), kMaxStoredNameBytes - extension.size()) + extension;
    }
    return name;
}

std::unique_ptr<UploadStore> UploadStore::open(const std::filesystem::path& dataDir,
                                               const std::filesystem::path& databaseFile, int64_t capBytes,
                                               std::string* error)
{
    const auto directory = dataDir / "uploads";
    std::error_code ec;
    std::filesystem::create_directories(directory / ".partial", ec);
    if (ec) {
        *error = "cannot create " + (directory / ".partial").string() + ": " + ec.message();
        return nullptr;
    }
    auto db = Database::open(databaseFile, error);
    if (!db)
        return nullptr;
    return std::unique_ptr<UploadStore>(new UploadStore(std::move(db), directory, capBytes));
}

UploadStore::UploadStore(std::unique_ptr<Database> db, std::filesystem::path directory, int64_t capBytes)
    : db_(std::move(db)), directory_(std::move(directory)), capBytes_(capBytes)
{
}

UploadStore::~UploadStore() = default;

std::filesystem::path UploadStore::partialPath(const std::string& uploadId) const
{
    return directory_ / ".partial" / (uploadId + ".part");
}

void UploadStore::setBeforeFlushHook(std::function<void()> hook)
{
    std::lock_guard<std::mutex> lock(hookMutex_);
    beforeFlush_ = std::move(hook);
}

void UploadStore::release(const std::string& uploadId)
{
    {
        std::lock_guard<std::mutex> lock(activeMutex_);
        active_.erase(uploadId);
    }
    released_.notify_all();
}

UploadState UploadStore::state(const std::string& uploadId)
{
    UploadState result;
    if (!validUploadId(uploadId))
        return result;
    {
        auto lock = db_->lock();
        Statement query = db_->prepare("SELECT state, stored_name, sha256 FROM uploads WHERE upload_id = ?");
        query.bind(1, uploadId);
        if (query.step() && query.textAt(0) == "done") {
            result.completed = true;
            result.storedName = query.textAt(1);
            result.sha256 = query.textAt(2);
        }
    }
    std::error_code ec;
    const auto held = std::filesystem::file_size(partialPath(uploadId), ec);
    if (!ec) {
        result.exists = true;
        result.offset = int64_t(held);
    }
    return result;
}

std::vector<StoredUpload> UploadStore::list(int limit)
{
    std::vector<StoredUpload> uploads;
    auto lock = db_->lock();
    Statement query = db_->prepare(
        "SELECT upload_id, name, stored_name, size, sha256, stored_at_ms FROM uploads"
        " WHERE state = 'done' ORDER BY stored_at_ms DESC LIMIT ?");
    query.bind(1, int64_t(limit));
    while (query.step()) {
        StoredUpload upload;
        upload.uploadId = query.textAt(0);
        upload.name = query.textAt(1);
        upload.storedName = query.textAt(2);
        upload.size = query.int64At(3);
        upload.sha256 = query.textAt(4);
        upload.storedAtMs = query.int64At(5);
        uploads.push_back(std::move(upload));
    }
    return uploads;
}

int64_t UploadStore::completedCount()
{
    auto lock = db_->lock();
    Statement query = db_->prepare("SELECT count(*) FROM uploads WHERE state = 'done'");
    return query.step() ? query.int64At(0) : 0;
}

std::unique_ptr<UploadStore::Writer> UploadStore::begin(const UploadHeader& header, grpc::Status* status)
{
    const bool resumable = !header.uploadId.empty();
    if (resumable && !validUploadId(header.uploadId)) {
        *status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                               "upload_id must be 1-128 characters of A-Z a-z 0-9 . _ - (not starting with '.')");
        return nullptr;
    }
    if (header.declaredSize > capBytes_) {
        *status = grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                               "the file is " + humanBytes(header.declaredSize) + ", over the server's upload cap of "
                                   + humanBytes(capBytes_));
        return nullptr;
    }
    if (header.offset < 0 || (!resumable && header.offset != 0)) {
        *status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                               "offset " + std::to_string(header.offset) + " is invalid: only an upload with an upload_id can resume");
        return nullptr;
    }
    const std::string uploadId = resumable ? header.uploadId : "srv-" + randomHex(8);
    {
        // A call that ended a moment ago may still be letting go of the id
        // (a resume right after a cancel): wait a little for it, not forever.
        std::unique_lock<std::mutex> lock(activeMutex_);
        released_.wait_for(lock, kLetGoWait, [&] { return active_.count(uploadId) == 0; });
        if (!active_.insert(uploadId).second) {
            *status = grpc::Status(grpc::StatusCode::ABORTED, "upload '" + uploadId + "' is already in progress on another call");
            return nullptr;
        }
    }
    std::unique_ptr<Writer> writer(new Writer(*this, uploadId, header.name.empty() ? defaultUploadName() : header.name,
                                              resumable, header.declaredSize));

    const UploadState held = state(uploadId);
    if (held.completed) {
        *status = grpc::Status(grpc::StatusCode::ALREADY_EXISTS,
                               "upload '" + uploadId + "' is already stored as " + held.storedName);
        return nullptr;
    }
    if (header.offset > held.offset) {
        *status = grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                               "upload '" + uploadId + "': the server holds " + std::to_string(held.offset)
                                   + " bytes, so it can resume from offset " + std::to_string(held.offset) + ", not "
                                   + std::to_string(header.offset));
        return nullptr;
    }

    const auto path = partialPath(uploadId);
    writer->fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (writer->fd_ < 0) {
        *status = grpc::Status(grpc::StatusCode::INTERNAL, "cannot open " + path.string() + ": " + std::strerror(errno));
        return nullptr;
    }
    if (::ftruncate(writer->fd_, header.offset) != 0) {
        *status = grpc::Status(grpc::StatusCode::INTERNAL, "cannot truncate " + path.string() + ": " + std::strerror(errno));
        return nullptr;
    }
    // The digest covers the whole file: hash what is already held.
    std::vector<char> buffer(1 << 20);
    int64_t hashed = 0;
    while (hashed < header.offset) {
        const ssize_t got = ::pread(writer->fd_, buffer.data(), size_t(std::min<int64_t>(int64_t(buffer.size()), header.offset - hashed)), hashed);
        if (got <= 0) {
            *status = grpc::Status(grpc::StatusCode::INTERNAL, "cannot read back " + path.string() + ": " + std::strerror(errno));
            return nullptr;
        }
        writer->hash_.add(buffer.data(), size_t(got));
        hashed += got;
    }
    ::lseek(writer->fd_, header.offset, SEEK_SET);
    writer->size_ = header.offset;
    writer->resumedFrom_ = header.offset;

    auto lock = db_->lock();
    Statement upsert = db_->prepare(
        "INSERT INTO uploads(upload_id, name, size, state, created_at_ms) VALUES (?,?,?,'partial',?)"
        " ON CONFLICT(upload_id) DO UPDATE SET name = excluded.name, size = excluded.size");
    upsert.bind(1, uploadId).bind(2, writer->name_).bind(3, header.declaredSize).bind(4, nowMs());
    if (!upsert.run()) {
        *status = grpc::Status(grpc::StatusCode::INTERNAL, "cannot record upload '" + uploadId + "': " + db_->lastError());
        return nullptr;
    }
    *status = grpc::Status::OK;
    return writer;
}

UploadStore::Writer::Writer(UploadStore& store, std::string uploadId, std::string name, bool resumable, int64_t declaredSize)
    : store_(store), uploadId_(std::move(uploadId)), name_(std::move(name)), resumable_(resumable), declaredSize_(declaredSize)
{
}

UploadStore::Writer::~Writer()
{
    if (!done_)
        abandon();
    store_.release(uploadId_);
}

grpc::Status UploadStore::Writer::writeFailure(int error, const char* what)
{
    // Put the file back to its last good size so a resume starts from data that is whole.
    if (::ftruncate(fd_, size_) != 0)
        resumable_ = false;
    if (error == ENOSPC || error == EDQUOT || error == EFBIG)
        return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                            std::string("the server cannot store more data (") + std::strerror(error) + ") while " + what
                                + " upload '" + uploadId_ + "'; no file was stored"
                                + (resumable_ ? "; the " + std::to_string(size_) + " bytes received are kept: resume from offset "
                                                    + std::to_string(size_) + " once there is room"
                                              : std::string()));
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        std::string("the server failed ") + what + " upload '" + uploadId_ + "': " + std::strerror(error));
}

grpc::Status UploadStore::Writer::append(std::string_view data)
{
    if (size_ + int64_t(data.size()) > store_.capBytes_) {
        resumable_ = false;
        return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                            "upload '" + uploadId_ + "' exceeds the server's upload cap of " + humanBytes(store_.capBytes_));
    }
    if (declaredSize_ > 0 && size_ + int64_t(data.size()) > declaredSize_)
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            "upload '" + uploadId_ + "' sent more than its declared size of " + std::to_string(declaredSize_) + " bytes");
    int error = 0;
    if (!writeAll(fd_, data.data(), data.size(), &error))
        return writeFailure(error, "writing");
    hash_.add(data);
    size_ += int64_t(data.size());
    return grpc::Status::OK;
}

grpc::Status UploadStore::Writer::commit(StoredUpload* stored)
{
    if (declaredSize_ > 0 && size_ != declaredSize_)
        return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                            "upload '" + uploadId_ + "' is incomplete: the server holds " + std::to_string(size_) + " of "
                                + std::to_string(declaredSize_) + " bytes; resume from offset " + std::to_string(size_));
    std::function<void()> beforeFlush;
    {
        std::lock_guard<std::mutex> lock(store_.hookMutex_);
        beforeFlush = store_.beforeFlush_;
    }
    if (beforeFlush)
        beforeFlush();
    if (::fdatasync(fd_) != 0)
        return writeFailure(errno, "flushing");

    const auto partial = store_.partialPath(uploadId_);
    const std::string safe = safeFileName(name_);
    const size_t dot = safe.find_last_of('.');
    const std::string stem = dot == std::string::npos || dot == 0 ? safe : safe.substr(0, dot);
    const std::string extension = dot == std::string::npos || dot == 0 ? std::string() : safe.substr(dot);
    // link() never replaces an existing file: try "name", "name (2)", ... until one is free.
    std::string storedName;
    for (int attempt = 1; attempt < 10000; ++attempt) {
        const std::string candidate = attempt == 1 ? safe : stem + " (" + std::to_string(attempt) + ")" + extension;
        if (::link(partial.c_str(), (store_.directory_ / candidate).c_str()) == 0) {
            storedName = candidate;
            break;
        }
        if (errno != EEXIST)
            return writeFailure(errno, "storing");
    }
    if (storedName.empty())
        return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "too many uploads named " + safe);
    ::unlink(partial.c_str());
    ::close(fd_);
    fd_ = -1;
    done_ = true;

    stored->uploadId = uploadId_;
    stored->name = name_;
    stored->storedName = storedName;
    stored->size = size_;
    stored->sha256 = hash_.hexDigest();
    stored->storedAtMs = nowMs();

    auto lock = store_.db_->lock();
    Statement update = store_.db_->prepare(
        "UPDATE uploads SET state = 'done', stored_name = ?, size = ?, sha256 = ?, stored_at_ms = ? WHERE upload_id = ?");
    update.bind(1, stored->storedName).bind(2, stored->size).bind(3, stored->sha256).bind(4, stored->storedAtMs).bind(5, uploadId_);
    if (!update.run())
        return grpc::Status(grpc::StatusCode::INTERNAL, "stored " + storedName + " but could not record it: " + store_.db_->lastError());
    return grpc::Status::OK;
}

void UploadStore::Writer::abandon()
{
    if (done_)
        return;
    done_ = true;
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = -1;
    if (resumable_)
        return;
    ::unlink(store_.partialPath(uploadId_).c_str());
    auto lock = store_.db_->lock();
    Statement remove = store_.db_->prepare("DELETE FROM uploads WHERE upload_id = ? AND state = 'partial'");
    remove.bind(1, uploadId_).run();
}

} // namespace streamlab::server
