#pragma once
#include "ServerState.h"
#include "streaming_examples.grpc.pb.h"

namespace streamlab::server {
// Client streaming: chunks go to the upload's partial file as they arrive;
// the file is stored under its name only when the client half-closes.
grpc::ServerReadReactor<Chunk>* startUpload(ServerState& state, grpc::CallbackServerContext* context,
                                            UploadResult* result);
} // namespace streamlab::server
