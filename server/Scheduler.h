#pragma once
// The server's own small executor for work that must not run on the thread
// that triggered it: delayed reads (demo delays), live-event wake-ups, chat
// fan-out kicks and probe sampling. Reactions never sleep; they post here.
//
// Tasks are owned by a TaskGroup. Destroying the group cancels its pending
// tasks and waits for a running one to end, so a reactor that owns a group
// can `delete this` in OnDone without a task touching freed memory.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace streamlab::server {

class Scheduler {
public:
    using Clock = std::chrono::steady_clock;
    using TaskId = uint64_t;

    // `name`: the threads' name, as top -H and perf show them (at most 15 characters).
    explicit Scheduler(int threads = 2, const char* name = "scheduler");
    ~Scheduler();
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    TaskId postAt(Clock::time_point when, uint64_t group, std::function<void()> fn);
    // Cancels the task; if it is running on another thread, waits until it ends.
    void cancel(TaskId id);
    // Cancels every task of the group and waits for a running one to end.
    void cancelGroup(uint64_t group);
    uint64_t newGroupId();
    // Ends the threads; pending tasks are dropped.
    void stop();

private:
    struct Task {
        TaskId id;
        uint64_t group;
        std::function<void()> fn;
    };
    void run();
    bool runningIn(uint64_t group, TaskId id) const;

    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable finished_;
    std::multimap<Clock::time_point, Task> queue_;
    std::vector<std::pair<TaskId, uint64_t>> running_;   // (task, group) per busy thread
    std::vector<std::thread::id> runningThreads_;
    std::vector<std::thread> threads_;
    TaskId nextId_ = 1;
    uint64_t nextGroup_ = 1;
    bool stopping_ = false;
};

// The tasks of one owner (usually a reactor).
class TaskGroup {
public:
    explicit TaskGroup(Scheduler& scheduler) : scheduler_(scheduler), group_(scheduler.newGroupId()) {}
    ~TaskGroup() { scheduler_.cancelGroup(group_); }
    TaskGroup(const TaskGroup&) = delete;
    TaskGroup& operator=(const TaskGroup&) = delete;

    Scheduler::TaskId post(std::function<void()> fn) { return postAfter(std::chrono::milliseconds(0), std::move(fn)); }
    Scheduler::TaskId postAfter(std::chrono::milliseconds delay, std::function<void()> fn)
    {
        return scheduler_.postAt(Scheduler::Clock::now() + delay, group_, std::move(fn));
    }
    void cancel(Scheduler::TaskId id) { scheduler_.cancel(id); }
    void cancelAll() { scheduler_.cancelGroup(group_); }

private:
    Scheduler& scheduler_;
    uint64_t group_;
};

} // namespace streamlab::server
