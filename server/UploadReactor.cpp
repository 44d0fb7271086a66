#include "UploadReactor.h"

#include "PacedReader.h"

namespace streamlab::server {

namespace {

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
        if (!readCompletedLocked())
            return;
        if (!ok) {
            // The client half-closed (store the file) or the call broke (keep nothing).
            if (context_->IsCancelled())
                endLocked(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client"));
            else
                commitLocked();
            return;
        }
        if (!writer_) {
            UploadHeader header;
            header.uploadId = chunk_.upload_id();
            header.name = chunk_.name();
            header.declaredSize = chunk_.size();
            header.offset = chunk_.offset();
            grpc::Status status;
            writer_ = state_.uploads->begin(header, &status);
            if (!writer_) {
                endLocked(status);
                return;
            }
            probe_ = state_.probes.create(chunk_.probe_id());
        }
        const grpc::Status appended = writer_->append(chunk_.data());
        if (!appended.ok()) {
            endLocked(appended);
            return;
        }
        if (probe_)
            probe_->messageRead(chunk_.ByteSizeLong());
        // Demo of a slow consumer: the client's delay, from its latest chunk.
        readNextLocked(chunk_.server_read_delay_ms());
    }

private:
    void cancelledLocked() override { endLocked(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client")); }

    void commitLocked()
    {
        if (!writer_) {
            // The client sent nothing at all: an empty upload.
            grpc::Status status;
            writer_ = state_.uploads->begin(UploadHeader{}, &status);
            if (!writer_) {
                endLocked(status);
                return;
            }
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
        endLocked(status);
    }

    void endLocked(const grpc::Status& status)
    {
        if (finished())
            return;
        if (writer_ && !status.ok())
            writer_->abandon();
        // Give the upload id back before the client hears the status: a call
        // that follows at once (a resume, a resend) must not find it "in progress".
        writer_.reset();
        finishLocked(status);
    }

    ServerState& state_;
    grpc::CallbackServerContext* context_;
    UploadResult* result_;
    Chunk& chunk_ = request_;   // the chunk being read (PacedReader's buffer)
    std::unique_ptr<UploadStore::Writer> writer_;
};

} // namespace

grpc::ServerReadReactor<Chunk>* startUpload(ServerState& state, grpc::CallbackServerContext* context, UploadResult* result)
{
    return new UploadReactor(state, context, result);
}

} // namespace streamlab::server
