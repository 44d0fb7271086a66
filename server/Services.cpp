#include "Services.h"

#include "Auth.h"
#include "ChatReactor.h"
#include "FinishOnce.h"
#include "FlowLabReactors.h"
#include "ListEventsReactor.h"
#include "PeriodicWriter.h"
#include "UploadReactor.h"

#include <cctype>

namespace streamlab::server {

namespace {

constexpr int64_t kMaxDelayMs = 60000;

grpc::ServerUnaryReactor* finishNow(grpc::CallbackServerContext* context, const grpc::Status& status)
{
    auto* reactor = context->DefaultReactor();
    reactor->Finish(status);
    return reactor;
}

// "42" → 42; anything that is not a positive decimal number → an INVALID_ARGUMENT message.
grpc::Status parseUserId(const std::string& id, int64_t* value)
{
    if (id.empty())
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "id is empty: give a user id such as 42");
    if (id.size() > 18)
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "id is too long: user ids are numbers such as 42");
    *value = 0;
    for (char c : id) {
        if (!std::isdigit(static_cast<unsigned char>(c)))
            return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                "id '" + id + "' is not a number: user ids are numbers such as 42");
        *value = *value * 10 + (c - '0');
    }
    if (*value == 0)
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "id 0 is not valid: user ids start at 1");
    return grpc::Status::OK;
}

void fillUser(const UserRecord& user, UserResponse* response)
{
    response->set_id(std::to_string(user.id));
    response->set_name(user.name);
    response->set_email(user.email);
    response->set_username(user.username);
    response->set_company(user.company);
    response->set_job_title(user.jobTitle);
    response->set_city(user.city);
    response->set_country(user.country);
    response->set_phone(user.phone);
    response->set_created_at_ms(user.createdAtMs);
}

// GetUser answered after a delay the client asked for (to explore deadlines).
// Cancel (the client's deadline) ends it at once.
class DelayedGetUser : public FinishOnce<grpc::ServerUnaryReactor> {
public:
    DelayedGetUser(ServerState& state, int64_t delayMs, std::function<grpc::Status()> answer)
        : answer_(std::move(answer)), tasks_(state.scheduler)
    {
        tasks_.postAfter(std::chrono::milliseconds(delayMs), [this] {
            std::lock_guard<std::mutex> lock(mutex_);
            finishLocked(answer_());
        });
    }
    void OnCancel() override
    {
        std::lock_guard<std::mutex> lock(mutex_);
        finishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled while the server was waiting"));
    }
    void OnDone() override
    {
        tasks_.cancelAll();
        delete this;
    }

private:
    std::function<grpc::Status()> answer_;
    std::mutex mutex_;
    TaskGroup tasks_;   // last: destroyed first
};

} // namespace

grpc::ServerUnaryReactor* StreamingExamplesService::GetUser(grpc::CallbackServerContext* context,
                                                            const UserRequest* request, UserResponse* response)
{
    if (grpc::Status denied = checkToken(state_.config.authToken, context); !denied.ok())
        return finishNow(context, denied);
    int64_t id = 0;
    grpc::Status valid = parseUserId(request->id(), &id);
    if (!valid.ok())
        return finishNow(context, valid);

    auto answer = [this, id, response]() -> grpc::Status {
        auto user = state_.users->find(id);
        if (!user)
            return grpc::Status(grpc::StatusCode::NOT_FOUND, "user " + std::to_string(id) + " not found");
        fillUser(*user, response);
        return grpc::Status::OK;
    };

    int64_t delayMs = 0;
    const auto& metadata = context->client_metadata();
    auto delay = metadata.find(kDelayMetadataKey);
    if (delay != metadata.end()) {
        const std::string text(delay->second.data(), delay->second.size());
        try {
            delayMs = std::clamp<int64_t>(std::stoll(text), 0, kMaxDelayMs);
        } catch (const std::exception&) {
            return finishNow(context, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                                   std::string(kDelayMetadataKey) + " must be a number of milliseconds"));
        }
    }
    if (delayMs > 0)
        return new DelayedGetUser(state_, delayMs, std::move(answer));
    return finishNow(context, answer());
}

grpc::ServerWriteReactor<Event>* StreamingExamplesService::ListEvents(grpc::CallbackServerContext* context,
                                                                      const EventFilter* filter)
{
    if (grpc::Status denied = checkToken(state_.config.authToken, context); !denied.ok())
        return new RefusedWriter<Event>(denied);
    return startListEvents(state_, context, filter);
}

grpc::ServerReadReactor<Chunk>* StreamingExamplesService::UploadChunks(grpc::CallbackServerContext* context,
                                                                       UploadResult* result)
{
    if (grpc::Status denied = checkToken(state_.config.authToken, context); !denied.ok())
        return new RefusedReader<Chunk>(denied);
    return startUpload(state_, context, result);
}

grpc::ServerBidiReactor<Message, Message>* StreamingExamplesService::Chat(grpc::CallbackServerContext* context)
{
    if (grpc::Status denied = checkToken(state_.config.authToken, context); !denied.ok())
        return new RefusedBidi<Message, Message>(denied);
    return startChat(state_, context);
}

grpc::ServerWriteReactor<Payload>* FlowLabService::Produce(grpc::CallbackServerContext* context,
                                                           const ProduceRequest* request)
{
    if (grpc::Status denied = checkToken(state_.config.authToken, context); !denied.ok())
        return new RefusedWriter<Payload>(denied);
    return startProduce(state_, context, request);
}

grpc::ServerReadReactor<Payload>* FlowLabService::Consume(grpc::CallbackServerContext* context, ConsumeResult* result)
{
    if (grpc::Status denied = checkToken(state_.config.authToken, context); !denied.ok())
        return new RefusedReader<Payload>(denied);
    return startConsume(state_, context, result);
}

grpc::ServerWriteReactor<ProbeSample>* FlowLabService::Watch(grpc::CallbackServerContext* context,
                                                             const WatchRequest* request)
{
    if (grpc::Status denied = checkToken(state_.config.authToken, context); !denied.ok())
        return new RefusedWriter<ProbeSample>(denied);
    const auto interval = std::chrono::milliseconds(request->interval_ms() ? std::clamp(request->interval_ms(), 10u, 10000u) : 50u);
    const auto giveUpAt = std::chrono::steady_clock::now()
        + std::chrono::milliseconds(request->wait_ms() ? std::min(request->wait_ms(), 60000u) : 5000u);
    ServerState& state = state_;
    const std::string id = request->probe_id();
    std::shared_ptr<CallProbe> probe;
    return PeriodicWriter<ProbeSample>::start(
        state_.scheduler, interval, [&state, id, giveUpAt, probe](ProbeSample* out, grpc::Status* error) mutable {
            if (!probe)
                probe = state.probes.find(id);
            if (!probe) {
                if (std::chrono::steady_clock::now() < giveUpAt)
                    return SampleOutcome::Skip;   // the observed call may not have arrived yet
                *error = grpc::Status(grpc::StatusCode::NOT_FOUND, "no call with probe id '" + id + "'");
                return SampleOutcome::Fail;
            }
            const ProbeSnapshot s = probe->snapshot();
            out->set_elapsed_ms(s.elapsedMs);
            out->set_messages_written(s.messagesWritten);
            out->set_bytes_written(s.bytesWritten);
            out->set_messages_read(s.messagesRead);
            out->set_bytes_read(s.bytesRead);
            out->set_write_pending(s.writePending);
            out->set_current_write_blocked_ms(s.currentWriteBlockedMs);
            out->set_last_write_ms(s.lastWriteMs);
            out->set_max_write_ms(s.maxWriteMs);
            out->set_stalled_writes(s.stalledWrites);
            out->set_finished(s.finished);
            out->set_final_status(s.finalStatus);
            return s.finished ? SampleOutcome::WriteLast : SampleOutcome::Write;
        });
}

void ServerAdminService::fillInfo(ServerInfo* info) const
{
    info->set_product("streamlab");
    info->set_version(STREAMLAB_VERSION);
    info->set_instance_id(state_.instanceId);
    info->set_listen_address(state_.listenAddress);
    info->set_started_at_ms(state_.startedAtMs);
    info->set_clients(state_.stats.clients());
    info->set_active_calls(state_.stats.activeCalls());
    info->set_total_calls(state_.stats.totalCalls());
    info->set_chat_participants(uint32_t(state_.chat->participants()));
    info->set_users(uint64_t(state_.users->count()));
    info->set_events(uint64_t(state_.events->lastId()));
    info->set_events_sent(state_.stats.eventsSent.load());
    info->set_uploads(uint64_t(state_.uploads->completedCount()));
}

grpc::ServerUnaryReactor* ServerAdminService::GetServerInfo(grpc::CallbackServerContext* context,
                                                            const ServerInfoRequest*, ServerInfo* info)
{
    if (grpc::Status denied = checkToken(state_.config.authToken, context); !denied.ok())
        return finishNow(context, denied);
    fillInfo(info);
    return finishNow(context, grpc::Status::OK);
}

grpc::ServerWriteReactor<ServerInfo>* ServerAdminService::WatchServer(grpc::CallbackServerContext* context,
                                                                      const ServerInfoRequest* request)
{
    if (grpc::Status denied = checkToken(state_.config.authToken, context); !denied.ok())
        return new RefusedWriter<ServerInfo>(denied);
    const auto interval = std::chrono::milliseconds(request->interval_ms() ? std::clamp(request->interval_ms(), 100u, 60000u) : 1000u);
    return PeriodicWriter<ServerInfo>::start(state_.scheduler, interval, [this](ServerInfo* out, grpc::Status*) {
        fillInfo(out);
        return SampleOutcome::Write;
    });
}

grpc::ServerUnaryReactor* ServerAdminService::ListUploads(grpc::CallbackServerContext* context,
                                                          const ListUploadsRequest* request, UploadList* list)
{
    if (grpc::Status denied = checkToken(state_.config.authToken, context); !denied.ok())
        return finishNow(context, denied);
    const int limit = request->limit() ? int(std::min(request->limit(), 10000u)) : 200;
    for (const auto& upload : state_.uploads->list(limit)) {
        auto* item = list->add_uploads();
        item->set_upload_id(upload.uploadId);
        item->set_name(upload.storedName);
        item->set_size(upload.size);
        item->set_sha256(upload.sha256);
        item->set_stored_at_ms(upload.storedAtMs);
    }
    return finishNow(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* ServerAdminService::GetUploadStatus(grpc::CallbackServerContext* context,
                                                              const UploadStatusRequest* request, UploadStatus* status)
{
    if (grpc::Status denied = checkToken(state_.config.authToken, context); !denied.ok())
        return finishNow(context, denied);
    if (request->upload_id().empty())
        return finishNow(context, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "upload_id is required"));
    const UploadState held = state_.uploads->state(request->upload_id());
    status->set_upload_id(request->upload_id());
    status->set_exists(held.exists);
    status->set_offset(held.offset);
    status->set_completed(held.completed);
    status->set_stored_name(held.storedName);
    status->set_sha256(held.sha256);
    status->set_cap_bytes(state_.uploads->capBytes());
    return finishNow(context, grpc::Status::OK);
}

} // namespace streamlab::server
