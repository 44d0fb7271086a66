#pragma once
// What the services share: configuration, stores, the scheduler, probes and
// counters. Built by EmbeddedServer::start; outlives every call.

#include "CallProbe.h"
#include "ChatRoom.h"
#include "EventStore.h"
#include "LiveEvents.h"
#include "Scheduler.h"
#include "ServerConfig.h"
#include "ServerStats.h"
#include "UploadStore.h"
#include "UserStore.h"

#include <memory>
#include <string>

namespace streamlab::server {

struct ServerState {
    explicit ServerState(ServerConfig c) : config(std::move(c)) {}

    ServerConfig config;
    Scheduler scheduler{2, "srv-scheduler"};   // first member: destroyed last, after every user of it
    // Disk work of uploads (opening, re-hashing a resumed part, appending, the
    // commit's fdatasync): blocking I/O that must not hold grpc's callback
    // threads, which every call in the process shares (two on a 2-core machine).
    Scheduler storage{2, "srv-storage"};
    ProbeRegistry probes;
    ServerStats stats;
    std::unique_ptr<UserStore> users;
    std::unique_ptr<EventStore> events;
    std::unique_ptr<LiveEvents> live;
    std::unique_ptr<UploadStore> uploads;
    std::unique_ptr<ChatRoom> chat;
    std::string instanceId;
    std::string listenAddress;
    int64_t startedAtMs = 0;

    void log(const std::string& line) const
    {
        if (config.log)
            config.log(line);
    }
};

} // namespace streamlab::server
