#pragma once
// Everything a server instance can be told. The defaults are what
// streamlab-server and the app's bundled server use.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace streamlab::server {

struct ServerConfig {
    std::string listenAddress = "127.0.0.1:50051";   // port 0: an ephemeral port
    std::filesystem::path dataDir;                    // required: database and uploads/

    // Seed data written on first start (an existing database is kept as it is).
    int seedUsers = 1000;
    int seedEvents = 120000;

    double eventRatePerSecond = 3.0;                  // live events while someone follows
    int64_t uploadCapBytes = int64_t(4) << 30;        // 4 GiB per upload
    int maxMessageBytes = 4 << 20;                    // gRPC receive limit per message

    // Chat room.
    int chatHistory = 100;                            // messages kept and replayed on join
    int chatMaxQueue = 1000;                          // a subscriber further behind is ended
    int chatMaxTextBytes = 4096;
    int chatMaxParticipants = 200;
    double chatRatePerSecond = 20.0;                  // per participant, sustained
    int chatRateBurst = 200;                          // per participant, burst

    // Keepalive for long-lived streams across machines (DESIGN.md §4).
    int keepaliveMinPingIntervalMs = 20000;

    // stop(): open calls are cancelled after this. Follow streams and chats
    // never end by themselves, so stop() takes this long plus the
    // cancellation; 500 leaves room for that within the 1 s stop() promises.
    int shutdownDeadlineMs = 500;
    std::string authToken;                            // empty: no token required
    // One line per call start/end and per notable event. Empty: silent.
    std::function<void(const std::string&)> log;
};

} // namespace streamlab::server
