#include "Auth.h"

#include <openssl/crypto.h>

namespace streamlab::server {

grpc::Status checkToken(const std::string& token, const grpc::CallbackServerContext* context)
{
    if (token.empty())
        return grpc::Status::OK;
    const auto& metadata = context->client_metadata();
    auto found = metadata.find("authorization");
    if (found == metadata.end())
        return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                            "this server requires a token: send metadata \"authorization: Bearer <token>\"");
    const std::string expected = "Bearer " + token;
    const std::string given(found->second.data(), found->second.size());
    // Constant time: the answer's timing tells nothing about the token.
    if (given.size() != expected.size() || CRYPTO_memcmp(given.data(), expected.data(), given.size()) != 0)
        return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "the token is not valid for this server");
    return grpc::Status::OK;
}

} // namespace streamlab::server
