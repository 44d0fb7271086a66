#include "CallTracker.h"

#include <condition_variable>
#include <map>
#include <mutex>

namespace streamlab {

namespace {
struct Registry {
    std::mutex mutex;
    std::condition_variable empty;
    std::map<uint64_t, grpc::ClientContext*> calls;
    uint64_t nextId = 1;
};
Registry& registry()
{
    static Registry* instance = new Registry;   // never destroyed: reactors may end during exit
    return *instance;
}
} // namespace

CallTracker::Token::~Token()
{
    if (!m_id)
        return;
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    r.calls.erase(m_id);
    if (r.calls.empty())
        r.empty.notify_all();
}

CallTracker::Token& CallTracker::Token::operator=(Token&& other) noexcept
{
    if (this != &other) {
        Token dropped(m_id);
        m_id = other.m_id;
        other.m_id = 0;
    }
    return *this;
}

CallTracker::Token CallTracker::track(grpc::ClientContext* context)
{
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    const uint64_t id = r.nextId++;
    r.calls.emplace(id, context);
    return Token(id);
}

void CallTracker::cancelAll()
{
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    for (auto& call : r.calls)
        call.second->TryCancel();   // thread-safe, any thread
}

bool CallTracker::waitForAll(std::chrono::milliseconds timeout)
{
    Registry& r = registry();
    std::unique_lock<std::mutex> lock(r.mutex);
    return r.empty.wait_for(lock, timeout, [&] { return r.calls.empty(); });
}

int CallTracker::inFlight()
{
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    return int(r.calls.size());
}

} // namespace streamlab
