#pragma once
// Items made on gRPC's threads, taken by the GUI thread in batches (at most
// once per frame, see StreamCall). push() never blocks for long: it only
// appends under a mutex.

#include <mutex>
#include <vector>

namespace streamlab {

template <typename T>
class Inbox {
public:
    void push(T item)
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_items.push_back(std::move(item));
    }
    std::vector<T> takeAll()
    {
        std::vector<T> taken;
        std::lock_guard<std::mutex> lock(m_mutex);
        taken.swap(m_items);
        return taken;
    }
    size_t size() const
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_items.size();
    }

private:
    mutable std::mutex m_mutex;
    std::vector<T> m_items;
};

} // namespace streamlab
