#pragma once
#include "ServerState.h"
#include "streaming_examples.grpc.pb.h"

namespace streamlab::server {
// Server streaming: the matching history page by page, then (with follow) live
// events. One write in flight; the next page is read only when the writes of
// the last one have passed flow control, so a slow client holds one page.
grpc::ServerWriteReactor<Event>* startListEvents(ServerState& state, grpc::CallbackServerContext* context,
                                                 const EventFilter* filter);
} // namespace streamlab::server
