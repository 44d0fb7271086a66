#pragma once
// The Streamlab server as an object: start on host:port (port 0 = ephemeral,
// port() tells which), stop with a deadline. Used by streamlab-server, by the
// app's bundled server and by the tests. start() and stop() block (seeding,
// shutdown): call them off the GUI thread.

#include "ServerConfig.h"

#include <chrono>
#include <memory>
#include <string>

namespace grpc {
class Server;
}

namespace streamlab::server {

struct ServerState;
class StreamingExamplesService;
class FlowLabService;
class ServerAdminService;
class CallInterceptorFactory;

// Names the health service reports SERVING (besides the overall "").
inline constexpr char kHealthServiceName[] = "streamlab.StreamingExamples";

class EmbeddedServer {
public:
    explicit EmbeddedServer(ServerConfig config);
    ~EmbeddedServer();
    EmbeddedServer(const EmbeddedServer&) = delete;
    EmbeddedServer& operator=(const EmbeddedServer&) = delete;

    // False with a message when the data dir, the database or the address fails
    // (a port already taken is reported as such).
    bool start(std::string* error);
    // Stops taking calls; open calls are cancelled after `deadline`. Idempotent.
    void stop(std::chrono::milliseconds deadline);
    // The same with config().shutdownDeadlineMs.
    void stop();

    bool running() const { return server_ != nullptr; }
    int port() const { return port_; }
    std::string host() const;
    // "host:port" with the bound port.
    std::string address() const;
    const ServerConfig& config() const { return config_; }
    ServerState* state() const { return state_.get(); }
    bool seededOnStart() const { return seeded_; }
    double startSeconds() const { return startSeconds_; }

private:
    ServerConfig config_;
    std::unique_ptr<ServerState> state_;
    std::unique_ptr<StreamingExamplesService> examples_;
    std::unique_ptr<FlowLabService> flowLab_;
    std::unique_ptr<ServerAdminService> admin_;
    std::unique_ptr<grpc::Server> server_;
    int port_ = 0;
    bool seeded_ = false;
    double startSeconds_ = 0;
};

// Splits "host:port" / "[v6]:port"; false when it is not one.
bool splitHostPort(const std::string& address, std::string* host, int* port);

} // namespace streamlab::server
