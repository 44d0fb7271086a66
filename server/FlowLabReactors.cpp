#include "FlowLabReactors.h"

#include "FinishOnce.h"

namespace streamlab::server {

namespace {

constexpr uint32_t kMaxPayloadBytes = (4u << 20) - 1024;   // under the 4 MiB message limit
constexpr uint32_t kMaxReadDelayMs = 10000;

class ProduceReactor : public FinishOnce<grpc::ServerWriteReactor<Payload>> {
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

    void OnWriteDone(bool ok) override
    {
        if (probe_)
            probe_->writeDone(ok);
        std::lock_guard<std::mutex> lock(mutex_);
        writing_ = false;
        if (!ok) {
            finishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
            return;
        }
        writeNextLocked();
    }

    void OnCancel() override
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!writing_)
            finishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client"));
    }

    void OnDone() override { delete this; }

private:
    void writeNextLocked()
    {
        if (finished())
            return;
        if (context_->IsCancelled()) {
            finishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client"));
            return;
        }
        if (maxMessages_ && payload_.seq() >= maxMessages_) {
            finishLocked(grpc::Status::OK);
            return;
        }
        payload_.set_seq(payload_.seq() + 1);
        writing_ = true;
        if (probe_)
            probe_->writeStarted(payload_.ByteSizeLong());
        StartWrite(&payload_);
    }


    grpc::CallbackServerContext* context_;
    const uint64_t maxMessages_;
    std::mutex mutex_;
    Payload payload_;
    bool writing_ = false;
};

class ConsumeReactor : public FinishOnce<grpc::ServerReadReactor<Payload>> {
public:
    ConsumeReactor(ServerState& state, grpc::CallbackServerContext* context, ConsumeResult* result)
        : state_(state), context_(context), result_(result)
    {
        StartRead(&payload_);
    }

    void OnReadDone(bool ok) override
    {
        std::lock_guard<std::mutex> lock(mutex_);
        readPending_ = false;
        if (finished())
            return;
        if (!ok) {
            finishLocked(context_->IsCancelled() ? grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client")
                                                 : grpc::Status::OK);
            return;
        }
        if (!probe_ && result_->messages() == 0)
            probe_ = state_.probes.create(payload_.probe_id());
        const size_t bytes = payload_.ByteSizeLong();
        result_->set_messages(result_->messages() + 1);
        result_->set_bytes(result_->bytes() + bytes);
        if (probe_)
            probe_->messageRead(bytes);
        const uint32_t delay = std::min(payload_.read_delay_ms(), kMaxReadDelayMs);
        if (delay == 0) {
            readPending_ = true;
            StartRead(&payload_);
            return;
        }
        tasks_.postAfter(std::chrono::milliseconds(delay), [this] {
            std::lock_guard<std::mutex> relock(mutex_);
            if (finished())
                return;
            readPending_ = true;
            StartRead(&payload_);
        });
    }

    void OnCancel() override
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!readPending_)
            finishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client"));
    }

    void OnDone() override
    {
        tasks_.cancelAll();
        delete this;
    }

private:
    ServerState& state_;
    grpc::CallbackServerContext* context_;
    ConsumeResult* result_;
    std::mutex mutex_;
    Payload payload_;
    bool readPending_ = true;
    TaskGroup tasks_{state_.scheduler};   // last: destroyed first
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
