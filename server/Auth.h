#pragma once
// The optional shared token: when ServerConfig::authToken is set, every call
// of Streamlab's own services must carry "authorization: Bearer <token>" or
// ends at once with UNAUTHENTICATED. (Health and reflection stay open: they
// say that a server is there and what it speaks, nothing more.)
//
// gRPC's AuthMetadataProcessor only works with TLS credentials, and a server
// interceptor cannot fail a call in grpc 1.51, so each handler asks first and
// hands a refused call to one of the reactors below.

#include <grpcpp/grpcpp.h>

#include <string>

namespace streamlab::server {

grpc::Status checkToken(const std::string& token, const grpc::CallbackServerContext* context);

template <typename Response>
class RefusedWriter : public grpc::ServerWriteReactor<Response> {
public:
    explicit RefusedWriter(const grpc::Status& status) { this->Finish(status); }
    void OnDone() override { delete this; }
};

template <typename Request>
class RefusedReader : public grpc::ServerReadReactor<Request> {
public:
    explicit RefusedReader(const grpc::Status& status) { this->Finish(status); }
    void OnDone() override { delete this; }
};

template <typename Request, typename Response>
class RefusedBidi : public grpc::ServerBidiReactor<Request, Response> {
public:
    explicit RefusedBidi(const grpc::Status& status) { this->Finish(status); }
    void OnDone() override { delete this; }
};

} // namespace streamlab::server
