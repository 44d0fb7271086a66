#include "ListEventsReactor.h"

#include "StreamWriter.h"
#include "TimeText.h"

#include <algorithm>
#include <deque>
#include <limits>

namespace streamlab::server {

namespace {

constexpr int kPageSize = 256;

class ListEventsReactor : public StreamWriter<Event> {
public:
    ListEventsReactor(ServerState& state, grpc::CallbackServerContext* context, const EventFilter& filter)
        : state_(state), context_(context)
    {
        std::lock_guard<std::mutex> lock(mutex_);
        grpc::Status invalid = parse(filter);
        if (!invalid.ok()) {
            finishLocked(invalid);
            return;
        }
        probe_ = state_.probes.create(filter.probe_id());
        nextLocked();
    }

    void OnDone() override
    {
        if (liveToken_)
            state_.live->unsubscribe(liveToken_);
        delete this;
    }

private:
    void wroteLocked() override
    {
        ++sent_;
        state_.stats.eventsSent.fetch_add(1, std::memory_order_relaxed);
        nextLocked();
    }

    grpc::Status parse(const EventFilter& filter)
    {
        int64_t afterMs = std::numeric_limits<int64_t>::min();
        if (!filter.after().empty()) {
            auto parsed = parseIsoDateTime(filter.after());
            if (!parsed)
                return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                    "after: '" + filter.after()
                                        + "' is not an ISO 8601 date or date-time (e.g. 2024-01-01 or 2024-01-01T12:00:00Z)");
            afterMs = *parsed;
        }
        const auto& known = EventFactory::types();
        for (const auto& type : filter.types()) {
            if (std::find(known.begin(), known.end(), type) == known.end()) {
                std::string list;
                for (const auto& k : known)
                    list += (list.empty() ? "" : ", ") + k;
                return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "types: unknown event type '" + type + "' (known: " + list + ")");
            }
            types_.push_back(type);
        }
        follow_ = filter.follow();
        limit_ = filter.limit();
        liveFrom_ = state_.events->lastId();
        cursor_ = std::max(filter.after_id(), state_.events->cursorAfterTime(afterMs));
        return grpc::Status::OK;
    }

    // Writes the next event, fetches the next page, or waits for live events.
    void nextLocked()
    {
        if (finished() || writing_)
            return;
        if (context_->IsCancelled()) {
            finishLocked(cancelledByClient());
            return;
        }
        if (limit_ && sent_ >= limit_) {
            finishLocked(grpc::Status::OK);
            return;
        }
        if (page_.empty())
            fetchLocked();
        if (page_.empty() && follow_ && !liveToken_) {
            // Subscribe first, then look again: an event stored in between is not missed.
            liveToken_ = state_.live->subscribe([this] { onLiveEvent(); });
            fetchLocked();
        }
        if (page_.empty()) {
            if (follow_)
                waitingForLive_ = true;
            else
                finishLocked(grpc::Status::OK);
            return;
        }
        const EventRecord record = std::move(page_.front());
        page_.pop_front();
        event_.Clear();
        event_.set_id(record.id);
        event_.set_type(record.type);
        event_.set_data(record.data);
        event_.set_time_ms(record.timeMs);
        event_.set_live(record.id > liveFrom_);
        writeLocked(&event_);
    }

    void fetchLocked()
    {
        auto records = state_.events->fetch(cursor_, types_, kPageSize);
        if (!records.empty())
            cursor_ = records.back().id;
        for (auto& record : records)
            page_.push_back(std::move(record));
    }

    // On the generator's thread: only post, never write from here.
    void onLiveEvent()
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!waitingForLive_ || finished())
            return;
        waitingForLive_ = false;
        tasks_.post([this] {
            std::lock_guard<std::mutex> relock(mutex_);
            nextLocked();
        });
    }


    ServerState& state_;
    grpc::CallbackServerContext* context_;
    std::vector<std::string> types_;
    bool follow_ = false;
    uint64_t limit_ = 0;
    int64_t cursor_ = 0;
    int64_t liveFrom_ = 0;
    uint64_t sent_ = 0;
    std::deque<EventRecord> page_;
    Event event_;
    bool waitingForLive_ = false;
    uint64_t liveToken_ = 0;
    TaskGroup tasks_{state_.scheduler};   // last: destroyed first, before what its tasks use
};

} // namespace

grpc::ServerWriteReactor<Event>* startListEvents(ServerState& state, grpc::CallbackServerContext* context,
                                                 const EventFilter* filter)
{
    return new ListEventsReactor(state, context, *filter);
}

} // namespace streamlab::server
