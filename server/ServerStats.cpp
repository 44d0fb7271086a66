#include "ServerStats.h"

namespace streamlab::server {

uint64_t ServerStats::callStarted(const std::string& peer)
{
    std::lock_guard<std::mutex> lock(mutex_);
    ++callsByPeer_[peer];
    ++activeCalls_;
    return ++totalCalls_;
}

void ServerStats::callEnded(const std::string& peer)
{
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = callsByPeer_.find(peer);
    if (it != callsByPeer_.end() && --it->second <= 0)
        callsByPeer_.erase(it);
    --activeCalls_;
}

uint32_t ServerStats::clients() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return uint32_t(callsByPeer_.size());
}

} // namespace streamlab::server
