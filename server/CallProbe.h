#pragma once
// Measures one call's message flow on the server: how long each write waited
// between StartWrite and OnWriteDone (the flow-control stall, DESIGN.md §4)
// and what the server consumed. Calls opt in with a client-chosen probe id;
// FlowLab.Watch reads the figures over any other call.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace streamlab::server {

struct ProbeSnapshot {
    int64_t elapsedMs = 0;
    uint64_t messagesWritten = 0;
    uint64_t bytesWritten = 0;
    uint64_t messagesRead = 0;
    uint64_t bytesRead = 0;
    bool writePending = false;
    uint32_t currentWriteBlockedMs = 0;
    uint32_t lastWriteMs = 0;
    uint32_t maxWriteMs = 0;
    uint64_t stalledWrites = 0;
    bool finished = false;
    std::string finalStatus;
};

class CallProbe {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr auto kStallThreshold = std::chrono::milliseconds(50);

    CallProbe();
    void writeStarted(size_t bytes);
    void writeDone(bool ok);
    void messageRead(size_t bytes);
    void finish(const std::string& status);
    ProbeSnapshot snapshot() const;
    bool finished() const;
    Clock::time_point finishedAt() const;

private:
    mutable std::mutex mutex_;
    Clock::time_point started_;
    Clock::time_point writeStartedAt_;
    Clock::time_point finishedAt_;
    size_t pendingBytes_ = 0;
    ProbeSnapshot figures_;
};

// Probes by id. Finished probes stay readable for a while, then go.
class ProbeRegistry {
public:
    // A probe for a new call; an empty id gives no probe (nullptr).
    std::shared_ptr<CallProbe> create(const std::string& id);
    std::shared_ptr<CallProbe> find(const std::string& id);

private:
    void dropExpiredLocked();
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<CallProbe>> probes_;
};

} // namespace streamlab::server
