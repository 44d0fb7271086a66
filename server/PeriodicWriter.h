#pragma once
// A server stream that writes a fresh sample every interval: WatchServer's
// server figures and FlowLab.Watch's probe samples. A sample is skipped when
// the previous one is still in flight, so a slow watcher never piles up data.

#include "Scheduler.h"
#include "StreamWriter.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <mutex>

namespace streamlab::server {

enum class SampleOutcome { Write, Skip, WriteLast, Fail };

template <typename T>
class PeriodicWriter : public StreamWriter<T> {
public:
    // Fills `out`; on Fail, sets `error`.
    using Sampler = std::function<SampleOutcome(T* out, grpc::Status* error)>;

    static PeriodicWriter* start(Scheduler& scheduler, std::chrono::milliseconds interval, Sampler sampler)
    {
        return new PeriodicWriter(scheduler, interval, std::move(sampler));
    }

    void OnDone() override
    {
        tasks_.cancelAll();
        delete this;
    }

private:
    using StreamWriter<T>::mutex_;
    using StreamWriter<T>::writing_;

    void wroteLocked() override
    {
        if (last_)
            this->finishLocked(grpc::Status::OK);
    }

    PeriodicWriter(Scheduler& scheduler, std::chrono::milliseconds interval, Sampler sampler)
        : interval_(interval), sampler_(std::move(sampler)), tasks_(scheduler)
    {
        tasks_.post([this] { tick(); });
    }

    void tick()
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (this->finished() || last_)
            return;
        if (!writing_) {
            grpc::Status error;
            sample_.Clear();
            switch (sampler_(&sample_, &error)) {
            case SampleOutcome::Fail:
                this->finishLocked(error);
                return;
            case SampleOutcome::Skip:
                break;
            case SampleOutcome::WriteLast:
                last_ = true;
                [[fallthrough]];
            case SampleOutcome::Write:
                this->writeLocked(&sample_);
                break;
            }
        }
        if (!last_)
            tasks_.postAfter(interval_, [this] { tick(); });
    }


    const std::chrono::milliseconds interval_;
    Sampler sampler_;
    T sample_;
    bool last_ = false;
    TaskGroup tasks_;   // last: destroyed first
};

} // namespace streamlab::server
