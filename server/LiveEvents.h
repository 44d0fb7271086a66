#pragma once
// Live events for ListEvents(follow=true): while anyone follows, a generator
// thread stores new events at the configured rate and tells the followers.
// Listeners must be quick and must not block: they only post work.

#include "EventStore.h"
#include "SeedData.h"

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace streamlab::server {

class LiveEvents {
public:
    using Listener = std::function<void()>;
    LiveEvents(EventStore& store, double ratePerSecond);
    ~LiveEvents();

    uint64_t subscribe(Listener listener);
    // After it returns, the listener is not running and will not be called again.
    void unsubscribe(uint64_t token);
    void stop();
    uint64_t generated() const;

private:
    void run();

    EventStore& store_;
    const double ratePerSecond_;
    EventFactory factory_;
    mutable std::mutex mutex_;
    std::mutex dispatchMutex_;   // held while listeners run
    std::condition_variable wake_;
    std::map<uint64_t, Listener> listeners_;
    uint64_t nextToken_ = 1;
    uint64_t generated_ = 0;
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace streamlab::server
