#include "UploadReactor.h"

#include "PacedReader.h"

#include <deque>

namespace streamlab::server {

namespace {

// Receiving runs on grpc's threads; storing (open, re-hash a resumed part,
// append, the commit's fdatasync) on the server's storage threads, never more
// than one storage task at a time per upload. The two overlap: received
// chunks wait in a queue while earlier ones are written. The storage thread
// is woken for a batch (a wake-up per 64 KiB chunk cost more than the overlap
// gained) or, for a trickle, a few milliseconds after the first chunk waits.
// Reading pauses while the queue is full, so a slow disk holds the client
// back through flow control, as a slow reader does.
class UploadReactor : public PacedReader<Chunk> {
public:
    UploadReactor(ServerState& state, grpc::CallbackServerContext* context, UploadResult* result)
        : PacedReader(state.scheduler), state_(state), context_(context), result_(result)
    {
        startReading();
    }

    void OnReadDone(bool ok) override
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!readCompletedLocked() || ending_ != Ending::None)
            return;   // ended, or ending: nothing more is read or stored
        if (!ok) {
            // The client half-closed (store the file) or the call broke (store
            // nothing; a resumable upload keeps what is on disk).
            endWithLocked(context_->IsCancelled() ? Ending::Cancel : Ending::Commit);
            return;
        }
        if (firstChunk_) {
            firstChunk_ = false;
            header_.uploadId = chunk_.upload_id();
            header_.name = chunk_.name();
            header_.declaredSize = chunk_.size();
            header_.offset = chunk_.offset();
            probe_ = state_.probes.create(chunk_.probe_id());
        }
        if (probe_)
            probe_->messageRead(chunk_.ByteSizeLong());
        // Take the data out of the read buffer; a buffer the disk is done with
        // goes back in, so the next read reuses its memory.
        std::string data;
        if (!spare_.empty()) {
            data = std::move(spare_.back());
            spare_.pop_back();
        }
        data.swap(*chunk_.mutable_data());
        queuedBytes_ += data.size();
        toStore_.push_back(std::move(data));
        // Demo of a slow consumer: the client's delay, from its latest chunk.
        nextReadDelayMs_ = chunk_.server_read_delay_ms();
        if (queuedBytes_ < kQueueLimitBytes)
            readNextLocked(nextReadDelayMs_);
        else
            readParked_ = true;   // the storage thread asks for it once the queue has room
        // A full batch, a paused reader or a delayed read (time to spare): store now.
        if (queuedBytes_ >= kBatchBytes || readParked_ || nextReadDelayMs_ > 0)
            kickStorageLocked();
        else
            kickStorageSoonLocked();
    }

private:
    enum class Ending { None, Commit, Cancel, Failed };
    static constexpr size_t kQueueLimitBytes = 4u << 20;   // received, not yet written: reading pauses here
    static constexpr size_t kBatchBytes = 1u << 20;        // what wakes the storage thread at once
    static constexpr auto kTrickleDelay = std::chrono::milliseconds(5);   // ... and what waits at most this long
    static constexpr size_t kSpareLimit = 4;               // written buffers kept for reuse

    void cancelledLocked() override { endWithLocked(Ending::Cancel); }

    void endWithLocked(Ending ending)
    {
        if (ending_ == Ending::None)
            ending_ = ending;
        readParked_ = false;
        kickStorageLocked();
    }

    void kickStorageLocked()
    {
        if (storing_ || storeQueued_ || finished())
            return;
        storeQueued_ = true;
        storageTasks_.post([this] { storeAll(); });
    }

    void kickStorageSoonLocked()
    {
        if (storing_ || storeQueued_ || storeTimed_ || finished())
            return;
        storeTimed_ = true;
        storageTasks_.postAfter(kTrickleDelay, [this] { storeAll(); });
    }

    // On a storage thread: writes what was received, in order, then ends the
    // call once the client has half-closed or gone. The only code that
    // touches writer_ and the only one that finishes the call; one runs at a
    // time (storing_), however it was started.
    void storeAll()
    {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            storeQueued_ = storeTimed_ = false;   // a later kick posts a new task
            if (storing_ || finished())
                return;
            storing_ = true;
        }
        for (;;) {
            std::string data;
            Ending ending = Ending::None;
            UploadHeader header;
            {
                std::lock_guard<std::mutex> lock(mutex_);
                if (ending_ == Ending::Cancel || ending_ == Ending::Failed) {
                    // What waits is dropped: a resume sends it again, and the
                    // upload id is given back sooner.
                    toStore_.clear();
                    queuedBytes_ = 0;
                    readParked_ = false;
                    ending = ending_;
                } else if (!toStore_.empty()) {
                    data = std::move(toStore_.front());
                    toStore_.pop_front();
                    queuedBytes_ -= data.size();
                    if (readParked_ && queuedBytes_ < kQueueLimitBytes) {
                        readParked_ = false;
                        readNextLocked(nextReadDelayMs_);
                    }
                } else if (ending_ == Ending::None) {
                    storing_ = false;   // idle until the next chunk
                    return;
                } else {
                    ending = ending_;
                }
                if (!writer_)
                    header = header_;
            }
            if (ending == Ending::Cancel) {
                end(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client"));
                return;
            }
            if (ending == Ending::Failed) {
                end(failure_);
                return;
            }
            if (ending == Ending::Commit) {
                end(commit(header));
                return;
            }
            grpc::Status status;
            if (!writer_)
                writer_ = state_.uploads->begin(header, &status);
            if (writer_)
                status = writer_->append(data);
            if (!status.ok()) {
                // What arrives from now on is not stored; the loop's head
                // drops what waits and ends the call with this status.
                failure_ = status;
                std::lock_guard<std::mutex> lock(mutex_);
                ending_ = Ending::Failed;
                continue;
            }
            data.clear();
            std::lock_guard<std::mutex> lock(mutex_);
            if (spare_.size() < kSpareLimit)
                spare_.push_back(std::move(data));
        }
    }

    grpc::Status commit(const UploadHeader& header)
    {
        if (!writer_) {
            // The client sent nothing at all: an empty upload.
            grpc::Status status;
            writer_ = state_.uploads->begin(header, &status);
            if (!writer_)
                return status;
        }
        StoredUpload stored;
        const grpc::Status status = writer_->commit(&stored);
        if (status.ok()) {
            result_->set_bytes_received(writer_->bytesThisCall());
            result_->set_sha256(stored.sha256);
            result_->set_upload_id(stored.uploadId);
            result_->set_stored_name(stored.storedName);
            result_->set_size(stored.size);
            result_->set_resumed_from(writer_->resumedFrom());
            state_.log("stored upload '" + stored.uploadId + "' as " + stored.storedName + " (" + std::to_string(stored.size)
                       + " bytes, sha256 " + stored.sha256 + ")");
        }
        return status;
    }

    // On a storage thread: gives the upload id back (keeping a resumable
    // upload's partial data on failure), then the status to the client — in
    // that order, so a call that follows at once (a resume, a resend) does
    // not find the upload "in progress".
    void end(const grpc::Status& status)
    {
        if (writer_ && !status.ok())
            writer_->abandon();
        writer_.reset();
        std::lock_guard<std::mutex> lock(mutex_);
        storing_ = false;
        finishLocked(status);
    }

    ServerState& state_;
    grpc::CallbackServerContext* context_;
    UploadResult* result_;
    Chunk& chunk_ = request_;   // the chunk being read (PacedReader's buffer)

    // Under mutex_.
    bool firstChunk_ = true;
    UploadHeader header_;                 // from the first chunk
    std::deque<std::string> toStore_;     // received, not yet written
    size_t queuedBytes_ = 0;
    std::vector<std::string> spare_;      // written buffers, for the next reads
    bool storing_ = false;                // storeAll is running
    bool storeQueued_ = false;            // storeAll is posted to run at once
    bool storeTimed_ = false;             // storeAll is posted to run after kTrickleDelay
    bool readParked_ = false;             // the next read waits for room in the queue
    uint32_t nextReadDelayMs_ = 0;
    Ending ending_ = Ending::None;

    std::unique_ptr<UploadStore::Writer> writer_;   // storeAll only
    grpc::Status failure_;                          // storeAll only: why storing stopped
    TaskGroup storageTasks_{state_.storage};        // last: destroyed first, waits for a running task
};

} // namespace

grpc::ServerReadReactor<Chunk>* startUpload(ServerState& state, grpc::CallbackServerContext* context, UploadResult* result)
{
    return new UploadReactor(state, context, result);
}

} // namespace streamlab::server
