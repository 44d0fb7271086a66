#pragma once
#include "ServerState.h"
#include "streaming_examples.grpc.pb.h"

namespace streamlab::server {
// Bidirectional streaming: one participant of the chat room. Reads and writes
// are independent; writes come from a bounded queue with one in flight.
grpc::ServerBidiReactor<Message, Message>* startChat(ServerState& state, grpc::CallbackServerContext* context);
} // namespace streamlab::server
