#pragma once
// The gRPC services: each method hands its call to a reactor (one file each).

#include "ServerState.h"
#include "streaming_examples.grpc.pb.h"
#include "streamlab_lab.grpc.pb.h"

namespace streamlab::server {

// Metadata a client may send with GetUser to make the server answer late, to
// explore deadlines (capped at 60 s).
inline constexpr char kDelayMetadataKey[] = "x-streamlab-delay-ms";

class StreamingExamplesService final : public StreamingExamples::CallbackService {
public:
    explicit StreamingExamplesService(ServerState& state) : state_(state) {}
    grpc::ServerUnaryReactor* GetUser(grpc::CallbackServerContext* context, const UserRequest* request,
                                      UserResponse* response) override;
    grpc::ServerWriteReactor<Event>* ListEvents(grpc::CallbackServerContext* context, const EventFilter* filter) override;
    grpc::ServerReadReactor<Chunk>* UploadChunks(grpc::CallbackServerContext* context, UploadResult* result) override;
    grpc::ServerBidiReactor<Message, Message>* Chat(grpc::CallbackServerContext* context) override;

private:
    ServerState& state_;
};

class FlowLabService final : public FlowLab::CallbackService {
public:
    explicit FlowLabService(ServerState& state) : state_(state) {}
    grpc::ServerWriteReactor<Payload>* Produce(grpc::CallbackServerContext* context, const ProduceRequest* request) override;
    grpc::ServerReadReactor<Payload>* Consume(grpc::CallbackServerContext* context, ConsumeResult* result) override;
    grpc::ServerWriteReactor<ProbeSample>* Watch(grpc::CallbackServerContext* context, const WatchRequest* request) override;

private:
    ServerState& state_;
};

class ServerAdminService final : public ServerAdmin::CallbackService {
public:
    explicit ServerAdminService(ServerState& state) : state_(state) {}
    grpc::ServerUnaryReactor* GetServerInfo(grpc::CallbackServerContext* context, const ServerInfoRequest* request,
                                            ServerInfo* info) override;
    grpc::ServerWriteReactor<ServerInfo>* WatchServer(grpc::CallbackServerContext* context,
                                                      const ServerInfoRequest* request) override;
    grpc::ServerUnaryReactor* ListUploads(grpc::CallbackServerContext* context, const ListUploadsRequest* request,
                                          UploadList* list) override;
    grpc::ServerUnaryReactor* GetUploadStatus(grpc::CallbackServerContext* context, const UploadStatusRequest* request,
                                              UploadStatus* status) override;

private:
    void fillInfo(ServerInfo* info) const;
    ServerState& state_;
};

} // namespace streamlab::server
