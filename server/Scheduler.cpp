#include "Scheduler.h"

#include <algorithm>

#include <pthread.h>

namespace streamlab::server {

Scheduler::Scheduler(int threads, const char* name)
{
    for (int i = 0; i < std::max(1, threads); ++i) {
        threads_.emplace_back([this] { run(); });
        pthread_setname_np(threads_.back().native_handle(), name);
    }
}

Scheduler::~Scheduler() { stop(); }

void Scheduler::stop()
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_ && threads_.empty())
            return;
        stopping_ = true;
        queue_.clear();
    }
    wake_.notify_all();
    for (auto& thread : threads_)
        if (thread.joinable())
            thread.join();
    threads_.clear();
}

uint64_t Scheduler::newGroupId()
{
    std::lock_guard<std::mutex> lock(mutex_);
    return nextGroup_++;
}

Scheduler::TaskId Scheduler::postAt(Clock::time_point when, uint64_t group, std::function<void()> fn)
{
    TaskId id;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_)
            return 0;
        id = nextId_++;
        queue_.emplace(when, Task{id, group, std::move(fn)});
    }
    wake_.notify_one();
    return id;
}

bool Scheduler::runningIn(uint64_t group, TaskId id) const
{
    const auto self = std::this_thread::get_id();
    for (size_t i = 0; i < running_.size(); ++i) {
        const bool match = id ? running_[i].first == id : running_[i].second == group;
        // A task may cancel its own group (e.g. the reactor finishing itself):
        // never wait for ourselves.
        if (match && runningThreads_[i] != self)
            return true;
    }
    return false;
}

void Scheduler::cancel(TaskId id)
{
    if (id == 0)
        return;
    std::unique_lock<std::mutex> lock(mutex_);
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
        if (it->second.id == id) {
            queue_.erase(it);
            return;
        }
    }
    finished_.wait(lock, [&] { return !runningIn(0, id); });
}

void Scheduler::cancelGroup(uint64_t group)
{
    std::unique_lock<std::mutex> lock(mutex_);
    auto dropQueued = [&] {
        bool dropped = false;
        for (auto it = queue_.begin(); it != queue_.end();) {
            if (it->second.group == group) {
                it = queue_.erase(it);
                dropped = true;
            } else {
                ++it;
            }
        }
        return dropped;
    };
    // A running task of the group may post another one before it ends: drop
    // again after it has ended, until nothing of the group is left.
    do {
        dropQueued();
        finished_.wait(lock, [&] { return !runningIn(group, 0); });
    } while (dropQueued());
}

void Scheduler::run()
{
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
        if (queue_.empty()) {
            wake_.wait(lock);
            continue;
        }
        const auto due = queue_.begin()->first;
        if (due > Clock::now()) {
            wake_.wait_until(lock, due);
            continue;
        }
        Task task = std::move(queue_.begin()->second);
        queue_.erase(queue_.begin());
        running_.emplace_back(task.id, task.group);
        runningThreads_.push_back(std::this_thread::get_id());
        lock.unlock();
        task.fn();
        task.fn = nullptr;   // release captures outside the lock
        lock.lock();
        for (size_t i = 0; i < running_.size(); ++i) {
            if (running_[i].first == task.id) {
                running_.erase(running_.begin() + long(i));
                runningThreads_.erase(runningThreads_.begin() + long(i));
                break;
            }
        }
        finished_.notify_all();
    }
}

} // namespace streamlab::server
