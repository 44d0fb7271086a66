#include "CallProbe.h"

namespace streamlab::server {

namespace {
uint32_t millisBetween(CallProbe::Clock::time_point from, CallProbe::Clock::time_point to)
{
    return uint32_t(std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count());
}
constexpr size_t kMaxProbes = 1000;
constexpr auto kKeepFinished = std::chrono::seconds(30);
} // namespace

CallProbe::CallProbe() : started_(Clock::now()) {}

void CallProbe::writeStarted(size_t bytes)
{
    std::lock_guard<std::mutex> lock(mutex_);
    figures_.writePending = true;
    writeStartedAt_ = Clock::now();
    pendingBytes_ = bytes;
}

void CallProbe::writeDone(bool ok)
{
    std::lock_guard<std::mutex> lock(mutex_);
    if (!figures_.writePending)
        return;
    const auto now = Clock::now();
    figures_.writePending = false;
    const uint32_t took = millisBetween(writeStartedAt_, now);
    figures_.lastWriteMs = took;
    if (took > figures_.maxWriteMs)
        figures_.maxWriteMs = took;
    if (now - writeStartedAt_ > kStallThreshold)
        ++figures_.stalledWrites;
    if (ok) {
        ++figures_.messagesWritten;
        figures_.bytesWritten += pendingBytes_;
    }
}

void CallProbe::messageRead(size_t bytes)
{
    std::lock_guard<std::mutex> lock(mutex_);
    ++figures_.messagesRead;
    figures_.bytesRead += bytes;
}

void CallProbe::finish(const std::string& status)
{
    std::lock_guard<std::mutex> lock(mutex_);
    if (figures_.finished)
        return;
    figures_.finished = true;
    figures_.finalStatus = status;
    finishedAt_ = Clock::now();
}

ProbeSnapshot CallProbe::snapshot() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    ProbeSnapshot result = figures_;
    const auto now = figures_.finished ? finishedAt_ : Clock::now();
    result.elapsedMs = std::chrono::duration_cast<std::chrono::milliseconds>(now - started_).count();
    result.currentWriteBlockedMs = figures_.writePending ? millisBetween(writeStartedAt_, Clock::now()) : 0;
    return result;
}

bool CallProbe::finished() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return figures_.finished;
}

CallProbe::Clock::time_point CallProbe::finishedAt() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return finishedAt_;
}

std::shared_ptr<CallProbe> ProbeRegistry::create(const std::string& id)
{
    if (id.empty())
        return nullptr;
    auto probe = std::make_shared<CallProbe>();
    std::lock_guard<std::mutex> lock(mutex_);
    dropExpiredLocked();
    if (probes_.size() >= kMaxProbes)
        return nullptr;   // bounded: a flood of probe ids cannot grow memory
    probes_[id] = probe;
    return probe;
}

std::shared_ptr<CallProbe> ProbeRegistry::find(const std::string& id)
{
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = probes_.find(id);
    return it == probes_.end() ? nullptr : it->second;
}

void ProbeRegistry::dropExpiredLocked()
{
    const auto now = CallProbe::Clock::now();
    for (auto it = probes_.begin(); it != probes_.end();) {
        if (it->second->finished() && now - it->second->finishedAt() > kKeepFinished)
            it = probes_.erase(it);
        else
            ++it;
    }
}

} // namespace streamlab::server
