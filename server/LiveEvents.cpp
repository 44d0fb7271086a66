#include "LiveEvents.h"

#include <chrono>
#include <vector>

namespace streamlab::server {

LiveEvents::LiveEvents(EventStore& store, double ratePerSecond)
    : store_(store), ratePerSecond_(ratePerSecond),
      factory_(uint64_t(std::chrono::steady_clock::now().time_since_epoch().count()))
{
    thread_ = std::thread([this] { run(); });
}

LiveEvents::~LiveEvents() { stop(); }

void LiveEvents::stop()
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable())
        thread_.join();
}

uint64_t LiveEvents::subscribe(Listener listener)
{
    std::lock_guard<std::mutex> lock(mutex_);
    const uint64_t token = nextToken_++;
    listeners_.emplace(token, std::move(listener));
    wake_.notify_all();
    return token;
}

void LiveEvents::unsubscribe(uint64_t token)
{
    std::lock_guard<std::mutex> dispatch(dispatchMutex_);
    std::lock_guard<std::mutex> lock(mutex_);
    listeners_.erase(token);
}

uint64_t LiveEvents::generated() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return generated_;
}

void LiveEvents::run()
{
    if (ratePerSecond_ <= 0)
        return;
    const auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(1.0 / ratePerSecond_));
    auto next = std::chrono::steady_clock::now();
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
        if (listeners_.empty()) {
            wake_.wait(lock, [this] { return stopping_ || !listeners_.empty(); });
            next = std::chrono::steady_clock::now() + interval;
            continue;
        }
        if (wake_.wait_until(lock, next, [this] { return stopping_; }))
            break;
        if (listeners_.empty())
            continue;   // the last follower left while we waited: store nothing
        next += interval;
        if (next < std::chrono::steady_clock::now())
            next = std::chrono::steady_clock::now() + interval;   // fell behind: do not burst
        EventRecord event = factory_.make(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::system_clock::now().time_since_epoch()).count());
        lock.unlock();
        const bool stored = store_.append(event);
        {
            std::lock_guard<std::mutex> dispatch(dispatchMutex_);
            std::vector<Listener*> targets;
            {
                std::lock_guard<std::mutex> relock(mutex_);
                if (stored)
                    ++generated_;
                for (auto& entry : listeners_)
                    targets.push_back(&entry.second);
            }
            // Listeners stay valid: unsubscribe needs dispatchMutex_.
            if (stored)
                for (Listener* listener : targets)
                    (*listener)();
        }
        lock.lock();
    }
}

} // namespace streamlab::server
