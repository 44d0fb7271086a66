#pragma once
// Uploads under <data-dir>/uploads/. Data goes to a partial file
// (uploads/.partial/<upload id>.part) and becomes a visible file only when the
// stream ends OK, under the client's name made safe and never overwriting
// another upload. A partial file of a client-named upload id is kept after a
// failure, so the client can resume from the offset the server reports.

#include "Database.h"
#include "Sha256.h"

#include <grpcpp/support/status.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace streamlab::server {

struct StoredUpload {
    std::string uploadId;
    std::string name;         // as the client gave it
    std::string storedName;   // file name under uploads/
    int64_t size = 0;
    std::string sha256;
    int64_t storedAtMs = 0;
};

struct UploadState {
    bool exists = false;      // partial data is held
    int64_t offset = 0;       // bytes held
    bool completed = false;
    std::string storedName;
    std::string sha256;
};

// What the first chunk of a call says about the upload.
struct UploadHeader {
    std::string uploadId;     // empty: the server makes one; the upload cannot resume
    std::string name;
    int64_t declaredSize = 0; // <= 0: unknown
    int64_t offset = 0;
};

class UploadStore {
public:
    class Writer;

    static std::unique_ptr<UploadStore> open(const std::filesystem::path& dataDir,
                                             const std::filesystem::path& databaseFile, int64_t capBytes,
                                             std::string* error);
    ~UploadStore();

    // The client's file name reduced to a safe single file name.
    static std::string safeFileName(std::string_view clientName);

    std::unique_ptr<Writer> begin(const UploadHeader& header, grpc::Status* status);
    UploadState state(const std::string& uploadId);
    std::vector<StoredUpload> list(int limit);
    int64_t completedCount();
    const std::filesystem::path& directory() const { return directory_; }
    int64_t capBytes() const { return capBytes_; }
    // Tests play a slow disk: `hook` runs before every commit's flush, on the
    // thread that commits. Empty: none.
    void setBeforeFlushHook(std::function<void()> hook);

private:
    friend class Writer;
    UploadStore(std::unique_ptr<Database> db, std::filesystem::path directory, int64_t capBytes);
    std::filesystem::path partialPath(const std::string& uploadId) const;
    void release(const std::string& uploadId);

    std::unique_ptr<Database> db_;
    std::filesystem::path directory_;
    int64_t capBytes_;
    static constexpr auto kLetGoWait = std::chrono::seconds(1);
    std::mutex activeMutex_;
    std::condition_variable released_;
    std::set<std::string> active_;   // upload ids with a call in progress
    std::mutex hookMutex_;
    std::function<void()> beforeFlush_;
};

// One call's view of an upload. Not thread-safe: its reactor serialises use.
class UploadStore::Writer {
public:
    ~Writer();
    grpc::Status append(std::string_view data);
    // Ends the upload: the partial file becomes uploads/<stored name>.
    grpc::Status commit(StoredUpload* stored);
    // Gives up: keeps the partial data when the upload can resume, else deletes it.
    void abandon();

    const std::string& uploadId() const { return uploadId_; }
    int64_t size() const { return size_; }
    int64_t resumedFrom() const { return resumedFrom_; }
    int64_t bytesThisCall() const { return size_ - resumedFrom_; }

private:
    friend class UploadStore;
    Writer(UploadStore& store, std::string uploadId, std::string name, bool resumable, int64_t declaredSize);
    grpc::Status writeFailure(int error, const char* what);

    UploadStore& store_;
    std::string uploadId_;
    std::string name_;
    bool resumable_;
    int64_t declaredSize_;
    int fd_ = -1;
    int64_t size_ = 0;
    int64_t resumedFrom_ = 0;
    Sha256 hash_;
    bool done_ = false;
};

} // namespace streamlab::server
