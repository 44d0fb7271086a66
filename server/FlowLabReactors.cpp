#include "FlowLabReactors.h"

#include "PacedReader.h"
#include "StreamWriter.h"

namespace streamlab::server {

namespace {

constexpr uint32_t kMaxPayloadBytes = (4u << 20) - 1024;   // under the 4 MiB message limit

class ProduceReactor : public StreamWriter<Payload> {
public:
    ProduceReactor(ServerState& state, grpc::CallbackServerContext* context, const ProduceRequest& request)
        : context_(context), maxMessages_(request.max_messages())
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (request.message_size() == 0 || request.message_size() > kMaxPayloadBytes) {
            finishLocked(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                      "message_size must be 1.." + std::to_string(kMaxPayloadBytes) + " bytes"));
            return;
        }
        probe_ = state.probes.create(request.probe_id());
        payload_.mutable_data()->assign(request.message_size(), 'x');
        writeNextLocked();
    }

    void OnDone() override { delete this; }

private:
    void wroteLocked() override { writeNextLocked(); }

    void writeNextLocked()
    {
        if (finished())
            return;
        if (context_->IsCancelled()) {
            finishLocked(cancelledByClient());
            return;
        }
        if (maxMessages_ && payload_.seq() >= maxMessages_) {
            finishLocked(grpc::Status::OK);
            return;
        }
        payload_.set_seq(payload_.seq() + 1);
        writeLocked(&payload_);
    }


    grpc::CallbackServerContext* context_;
    const uint64_t maxMessages_;
    Payload payload_;
};

class ConsumeReactor : public PacedReader<Payload> {
public:
    ConsumeReactor(ServerState& state, grpc::CallbackServerContext* context, ConsumeResult* result)
        : PacedReader(state.scheduler), state_(state), context_(context), result_(result)
    {
        startReading();
    }

    void OnReadDone(bool ok) override
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!readCompletedLocked())
            return;
        if (!ok) {
            finishLocked(context_->IsCancelled() ? grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client")
                                                 : grpc::Status::OK);
            return;
        }
        if (!probe_ && result_->messages() == 0)
            probe_ = state_.probes.create(request_.probe_id());
        const size_t bytes = request_.ByteSizeLong();
        result_->set_messages(result_->messages() + 1);
        result_->set_bytes(result_->bytes() + bytes);
        if (probe_)
            probe_->messageRead(bytes);
        readNextLocked(request_.read_delay_ms());
    }

private:
    void cancelledLocked() override { finishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client")); }

    ServerState& state_;
    grpc::CallbackServerContext* context_;
    ConsumeResult* result_;
};

} // namespace

grpc::ServerWriteReactor<Payload>* startProduce(ServerState& state, grpc::CallbackServerContext* context,
                                                const ProduceRequest* request)
{
    return new ProduceReactor(state, context, *request);
}

grpc::ServerReadReactor<Payload>* startConsume(ServerState& state, grpc::CallbackServerContext* context,
                                               ConsumeResult* result)
{
    return new ConsumeReactor(state, context, result);
}

} // namespace streamlab::server
