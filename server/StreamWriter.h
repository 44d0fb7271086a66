#pragma once
// What the server's write streams share (ListEvents, FlowLab.Produce, the
// periodic watchers): one write in flight at a time, started under the
// reactor's lock; a failed write means the client went away; a cancel ends
// the call at once unless a write is in flight (its failed OnWriteDone ends
// it then, so Finish never races a write).

#include "FinishOnce.h"

#include <grpcpp/grpcpp.h>

#include <mutex>

namespace streamlab::server {

template <typename T>
class StreamWriter : public FinishOnce<grpc::ServerWriteReactor<T>> {
public:
    void OnWriteDone(bool ok) final
    {
        if (this->probe_)
            this->probe_->writeDone(ok);
        std::lock_guard<std::mutex> lock(mutex_);
        writing_ = false;
        if (!ok) {
            this->finishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
            return;
        }
        wroteLocked();
    }

    void OnCancel() final
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!writing_)
            this->finishLocked(cancelledByClient());
    }

protected:
    // A write completed, lock held: start the next one, or finish.
    virtual void wroteLocked() = 0;

    // Lock held, no write in flight.
    void writeLocked(const T* message)
    {
        writing_ = true;
        if (this->probe_)
            this->probe_->writeStarted(message->ByteSizeLong());
        this->StartWrite(message);
    }

    static grpc::Status cancelledByClient() { return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client"); }

    std::mutex mutex_;
    bool writing_ = false;
};

} // namespace streamlab::server
