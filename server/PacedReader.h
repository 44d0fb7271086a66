#pragma once
// A client-streaming reactor that asks for one message at a time, at once or
// after a delay the client asked for (FlowLab.Consume's read_delay_ms,
// UploadChunks' server_read_delay_ms). Not asking for the next message is what
// stalls the client's writes: the stream's window stays closed. The delay runs
// on the Scheduler, never by sleeping on a grpc thread.

#include "FinishOnce.h"
#include "Scheduler.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>

namespace streamlab::server {

template <class Request>
class PacedReader : public FinishOnce<grpc::ServerReadReactor<Request>> {
public:
    static constexpr uint32_t kMaxReadDelayMs = 10000;

    void OnCancel() override
    {
        std::lock_guard<std::mutex> lock(mutex_);
        // A pending read completes with ok=false by itself; a delayed one must be ended here.
        if (!readPending_)
            cancelledLocked();
    }

    void OnDone() override
    {
        tasks_.cancelAll();
        delete this;
    }

protected:
    explicit PacedReader(Scheduler& scheduler) : tasks_(scheduler) {}

    // The derived constructor calls this once it is complete (a reaction may
    // run at once, on another thread).
    void startReading() { this->StartRead(&request_); }

    // At the top of OnReadDone, with mutex_ held. False: the call has ended.
    bool readCompletedLocked()
    {
        readPending_ = false;
        return !this->finished();
    }

    // With mutex_ held: ask for the next message now, or after `delayMs` (capped).
    void readNextLocked(uint32_t delayMs)
    {
        delayMs = std::min(delayMs, kMaxReadDelayMs);
        if (delayMs == 0) {
            readPending_ = true;
            this->StartRead(&request_);
            return;
        }
        tasks_.postAfter(std::chrono::milliseconds(delayMs), [this] {
            std::lock_guard<std::mutex> relock(mutex_);
            if (this->finished())
                return;
            readPending_ = true;
            this->StartRead(&request_);
        });
    }

    // The client cancelled while no read was pending: end the call (mutex_ held).
    virtual void cancelledLocked() = 0;

    std::mutex mutex_;
    Request request_;   // the message being read; valid in OnReadDone(true)

private:
    bool readPending_ = true;
    TaskGroup tasks_;
};

} // namespace streamlab::server
