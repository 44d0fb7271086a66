#pragma once
// Counters the server shows about itself (ServerAdmin.GetServerInfo and the
// app's connection bar). Clients = distinct peers (one per channel/TCP
// connection) with at least one call in flight.

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace streamlab::server {

class ServerStats {
public:
    uint64_t callStarted(const std::string& peer);
    void callEnded(const std::string& peer);
    uint32_t clients() const;
    uint32_t activeCalls() const { return activeCalls_.load(); }
    uint64_t totalCalls() const { return totalCalls_.load(); }

    std::atomic<uint64_t> eventsSent{0};

private:
    mutable std::mutex mutex_;
    std::map<std::string, int> callsByPeer_;
    std::atomic<uint32_t> activeCalls_{0};
    std::atomic<uint64_t> totalCalls_{0};
};

} // namespace streamlab::server
