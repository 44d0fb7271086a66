#include "FlowLabReactors.h"

namespace streamlab::server {

namespace {

constexpr uint32_t kMaxPayloadBytes = (4u << 20) - 1024;   // under the 4 MiB message limit
constexpr uint32_t kMaxReadDelayMs = 10000;

class ProduceReactor : public grpc::ServerWriteReactor<Payload> {
public:
    ProduceReactor(ServerState& state, grpc::CallbackServerContext* context, const ProduceRequest& request)
        : context_(context), maxMessages_(request.max_messages())
    {
        if (request.message_size() == 0 || request.message_size() > kMaxPayloadBytes) {
            finished_ = true;
            Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                "message_size must be 1.." + std::to_string(kMaxPayloadBytes) + " bytes"));
            return;
        }
        probe_ = state.probes.create(request.probe_id());
        payload_.mutable_data()->assign(request.message_size(), 'x');
        std::lock_guard<std::mutex> lock(mutex_);
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

    void OnDone() override
    {
        if (probe_)
            probe_->finish(finalStatus_);
        delete this;
    }

private:
    void writeNextLocked()
    {
        if (finished_)
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

    void finishLocked(const grpc::Status& status)
    {
        if (finished_)
            return;
        finished_ = true;
        finalStatus_ = status.ok() ? "OK" : status.error_message();
        Finish(status);
    }

    grpc::CallbackServerContext* context_;
    const uint64_t maxMessages_;
    std::shared_ptr<CallProbe> probe_;
    std::mutex mutex_;
    Payload payload_;
    bool writing_ = false;
    bool finished_ = false;
    std::string finalStatus_;
};

class ConsumeReactor : public grpc::ServerReadReactor<Payload> {
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
        if (finished_)
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
            if (finished_)
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
        if (probe_)
            probe_->finish(finalStatus_);
        tasks_.cancelAll();
        delete this;
    }

private:
    void finishLocked(const grpc::Status& status)
    {
        if (finished_)
            return;
        finished_ = true;
        finalStatus_ = status.ok() ? "OK" : status.error_message();
        Finish(status);
    }

    ServerState& state_;
    grpc::CallbackServerContext* context_;
    ConsumeResult* result_;
    std::shared_ptr<CallProbe> probe_;
    std::mutex mutex_;
    Payload payload_;
    bool readPending_ = true;
    bool finished_ = false;
    std::string finalStatus_;
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
