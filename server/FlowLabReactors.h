#pragma once
#include "ServerState.h"
#include "streamlab_lab.grpc.pb.h"

namespace streamlab::server {
// Scenario A: write messages as fast as flow control lets us; every write is
// timed by the call's probe (StartWrite → OnWriteDone is the stall).
grpc::ServerWriteReactor<Payload>* startProduce(ServerState& state, grpc::CallbackServerContext* context,
                                                const ProduceRequest* request);
// Scenario B: read one message every read_delay_ms (taken from each message).
grpc::ServerReadReactor<Payload>* startConsume(ServerState& state, grpc::CallbackServerContext* context,
                                               ConsumeResult* result);
} // namespace streamlab::server
