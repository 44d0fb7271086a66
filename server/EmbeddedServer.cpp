#include "EmbeddedServer.h"

#include "CallInterceptor.h"
#include "Services.h"
#include "Storage.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <algorithm>
#include <random>

namespace streamlab::server {

namespace {

std::string newInstanceId()
{
    std::random_device device;
    std::mt19937_64 rng((uint64_t(device()) << 32) ^ device());
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", (unsigned long long)rng());
    return text;
}

bool isValidPort(const std::string& text, int* port)
{
    if (text.empty() || text.size() > 5)
        return false;
    int value = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return false;
        value = value * 10 + (c - '0');
    }
    if (value > 65535)
        return false;
    *port = value;
    return true;
}

} // namespace

bool splitHostPort(const std::string& address, std::string* host, int* port)
{
    if (!address.empty() && address.front() == '[') {
        const size_t close = address.find(']');
        if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':')
            return false;
        *host = address.substr(1, close - 1);
        return !host->empty() && isValidPort(address.substr(close + 2), port);
    }
    const size_t colon = address.rfind(':');
    if (colon == std::string::npos || colon == 0 || address.find(':') != colon)
        return false;
    *host = address.substr(0, colon);
    return isValidPort(address.substr(colon + 1), port);
}

EmbeddedServer::EmbeddedServer(ServerConfig config) : config_(std::move(config)) {}

EmbeddedServer::~EmbeddedServer() { stop(std::chrono::milliseconds(0)); }

std::string EmbeddedServer::host() const
{
    std::string host;
    int port = 0;
    splitHostPort(config_.listenAddress, &host, &port);
    return host;
}

std::string EmbeddedServer::address() const
{
    const std::string h = host();
    return (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + std::to_string(port_);
}

bool EmbeddedServer::start(std::string* error)
{
    if (server_)
        return true;
    const auto started = std::chrono::steady_clock::now();
    std::string host;
    int requestedPort = 0;
    if (!splitHostPort(config_.listenAddress, &host, &requestedPort)) {
        *error = "'" + config_.listenAddress + "' is not a HOST:PORT address (e.g. 127.0.0.1:50051)";
        return false;
    }
    if (config_.dataDir.empty()) {
        *error = "no data directory given";
        return false;
    }

    StorageInfo storage;
    if (!prepareStorage(config_, &storage, error))
        return false;
    seeded_ = storage.seeded;

    auto state = std::make_unique<ServerState>(config_);
    if (!(state->users = UserStore::open(storage.databaseFile, error)) || !(state->events = EventStore::open(storage.databaseFile, error))
        || !(state->uploads = UploadStore::open(config_.dataDir, storage.databaseFile, config_.uploadCapBytes, error))
        || !(state->chat = ChatRoom::open(storage.databaseFile, config_, error)))
        return false;
    state->live = std::make_unique<LiveEvents>(*state->events, config_.eventRatePerSecond);
    state->instanceId = newInstanceId();
    state->startedAtMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();

    examples_ = std::make_unique<StreamingExamplesService>(*state);
    flowLab_ = std::make_unique<FlowLabService>(*state);
    admin_ = std::make_unique<ServerAdminService>(*state);

    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    grpc::ServerBuilder builder;
    int boundPort = 0;
    builder.AddListeningPort(config_.listenAddress, grpc::InsecureServerCredentials(), &boundPort);
    // Without this, Linux lets a second server share the port and steal calls:
    // a taken port must be an error (the app then joins the other server).
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, config_.keepaliveMinPingIntervalMs);
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
    builder.SetMaxReceiveMessageSize(config_.maxMessageBytes);
    builder.RegisterService(examples_.get());
    builder.RegisterService(flowLab_.get());
    builder.RegisterService(admin_.get());
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
    interceptors.push_back(std::make_unique<CallInterceptorFactory>(state->stats, config_.log));
    builder.experimental().SetInterceptorCreators(std::move(interceptors));

    server_ = builder.BuildAndStart();
    if (!server_ || boundPort == 0) {
        server_.reset();
        *error = "cannot listen on " + config_.listenAddress + ": the address is in use or not available on this machine";
        return false;
    }
    port_ = boundPort;
    state->listenAddress = address();
    if (auto* health = server_->GetHealthCheckService()) {
        health->SetServingStatus(true);
        health->SetServingStatus(kHealthServiceName, true);
    }
    state_ = std::move(state);
    startSeconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    state_->log("listening on " + address() + " (data in " + config_.dataDir.string() + (seeded_ ? ", seeded" : "") + ")");
    return true;
}

void EmbeddedServer::stop() { stop(std::chrono::milliseconds(std::max(config_.shutdownDeadlineMs, 0))); }

void EmbeddedServer::stop(std::chrono::milliseconds deadline)
{
    if (!server_)
        return;
    if (auto* health = server_->GetHealthCheckService())
        health->SetServingStatus(false);
    // Live events stop first, so no follower waits for one during shutdown.
    state_->live->stop();
    server_->Shutdown(std::chrono::system_clock::now() + deadline);
    server_->Wait();
    server_.reset();
    // Join the storage and scheduler threads before any store goes: their
    // last tasks (an upload giving its id back to the UploadStore) then
    // happen-before the stores' destruction in a way ThreadSanitizer sees too;
    // grpc's own hand-over to Wait() uses synchronisation it cannot see.
    state_->storage.stop();
    state_->scheduler.stop();
    state_->log("stopped");
    examples_.reset();
    flowLab_.reset();
    admin_.reset();
    state_.reset();
    port_ = 0;
}

} // namespace streamlab::server
