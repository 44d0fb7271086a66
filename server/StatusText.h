#pragma once
#include <grpcpp/support/status.h>
#include <string>

namespace streamlab::server {
// "NOT_FOUND", "DEADLINE_EXCEEDED", ... as the gRPC spec spells them.
std::string statusCodeName(grpc::StatusCode code);
} // namespace streamlab::server
