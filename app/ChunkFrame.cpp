#include "ChunkFrame.h"

#include "streaming_examples.pb.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <sys/mman.h>

namespace streamlab {

namespace {

constexpr size_t kHugePageBytes = 2u << 20;

size_t roundUp(size_t value, size_t step) { return (value + step - 1) / step * step; }

} // namespace

struct ChunkBufferPool::Slot {
    char* bytes = nullptr;
    bool own = false;                        // an extra buffer: freed when given back
    std::shared_ptr<ChunkBufferPool> home;   // set while lent out: the pool outlives its slices
};

std::shared_ptr<ChunkBufferPool> ChunkBufferPool::create(size_t bufferSize, size_t count)
{
    return std::shared_ptr<ChunkBufferPool>(new ChunkBufferPool(bufferSize, count));
}

ChunkBufferPool::ChunkBufferPool(size_t bufferSize, size_t count)
    : m_bufferSize(std::max<size_t>(bufferSize, 1)), m_count(count)
{
}

ChunkBufferPool::~ChunkBufferPool() { std::free(m_block); }

grpc::Slice ChunkBufferPool::take(size_t size, char** bytes)
{
    Slot* slot = nullptr;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (!m_block && m_count > 0) {
            // Whole huge pages, aligned: then the kernel can map the block with them.
            const size_t blockBytes = roundUp(m_bufferSize * m_count, kHugePageBytes);
            m_block = static_cast<char*>(std::aligned_alloc(kHugePageBytes, blockBytes));
            if (m_block) {
#ifdef MADV_HUGEPAGE
                madvise(m_block, blockBytes, MADV_HUGEPAGE);   // for systems where huge pages are opt-in
#endif
                m_slots.resize(m_count);   // never resized again: the free list points into it
                for (size_t i = 0; i < m_count; ++i) {
                    m_slots[i].bytes = m_block + i * m_bufferSize;
                    m_free.push_back(&m_slots[i]);
                }
            }
        }
        if (!m_free.empty()) {
            slot = m_free.back();
            m_free.pop_back();
        } else {
            ++m_extra;
        }
    }
    if (!slot) {
        slot = new Slot;
        slot->bytes = new char[m_bufferSize];   // not zero-filled: the caller fills it
        slot->own = true;
    }
    slot->home = shared_from_this();
    *bytes = slot->bytes;
    return grpc::Slice(slot->bytes, std::min(size, m_bufferSize), &ChunkBufferPool::giveBack, slot);
}

void ChunkBufferPool::giveBack(void* opaque)
{
    // On whichever thread let go of the slice last (usually one of gRPC's).
    auto* slot = static_cast<Slot*>(opaque);
    const std::shared_ptr<ChunkBufferPool> pool = std::move(slot->home);
    if (slot->own) {
        delete[] slot->bytes;
        delete slot;
        return;
    }
    std::lock_guard<std::mutex> lock(pool->m_mutex);
    pool->m_free.push_back(slot);
}

size_t ChunkBufferPool::freeCount() const
{
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_free.size();
}

size_t ChunkBufferPool::extraCount() const
{
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_extra;
}

namespace ChunkFrame {

grpc::ByteBuffer encode(const Chunk& fields, const grpc::Slice& data)
{
    assert(fields.data().empty());   // the data goes in as its own slice, below
    std::string head;
    {
        google::protobuf::io::StringOutputStream raw(&head);
        google::protobuf::io::CodedOutputStream out(&raw);
        fields.SerializeToCodedStream(&out);
        if (data.size() > 0) {
            // The data field's tag and length; its bytes follow in `data`.
            constexpr uint32_t kLengthDelimited = 2;   // the wire type of a bytes field
            out.WriteTag((uint32_t(Chunk::kDataFieldNumber) << 3) | kLengthDelimited);
            out.WriteVarint64(data.size());
        }
    }   // the streams trim `head` to what was written
    const grpc::Slice parts[] = {grpc::Slice(head), data};
    return grpc::ByteBuffer(parts, data.size() > 0 ? 2 : 1);
}

} // namespace ChunkFrame

} // namespace streamlab
