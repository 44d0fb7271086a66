#pragma once
// Sees every call the server takes: counts it in ServerStats and writes one
// log line when it starts and one when it ends, with its status and duration.

#include "ServerStats.h"

#include <grpcpp/support/server_interceptor.h>

#include <functional>
#include <string>

namespace streamlab::server {

class CallInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
public:
    CallInterceptorFactory(ServerStats& stats, std::function<void(const std::string&)> log)
        : stats_(stats), log_(std::move(log)) {}
    grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override;

private:
    ServerStats& stats_;
    std::function<void(const std::string&)> log_;
};

} // namespace streamlab::server
