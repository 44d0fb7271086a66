#pragma once
// One UploadChunks message (a streamlab.Chunk) as it goes on the wire, built
// around the file's bytes without copying them.
//
// Sending a generated Chunk makes grpc++ serialise it: the whole chunk is
// copied into a fresh buffer for every write (64 KiB to 4 MiB), on top of
// reading it from the file and hashing it. Here the reader reads straight
// into a buffer that gRPC sends as it is, and the message is two slices: the
// encoded fields other than `data` (a few bytes; the metadata on the first
// chunk) followed by the data field's tag and length — then the data slice,
// shared, not copied. Protobuf does not mind the field order, so the server
// parses it as the Chunk it is.

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include <memory>
#include <mutex>
#include <vector>

namespace streamlab {

class Chunk;

// Chunk-sized buffers, used again once gRPC has let go of them, carved out
// of one block that the kernel may back with huge pages. Both matter here
// (measured on a 1 GB upload, the client's CPU time): a fresh allocation per
// chunk is page-faulted in every time (the allocator hands freed blocks back
// to the kernel), and with 1 MiB chunks in 4 KiB pages the kernel's copies
// (the file into the buffer, the buffer into the socket) cost 0.18 s more
// system time than in huge pages. Thread-safe; the slices it hands out keep
// it alive, so they may outlive their upload.
class ChunkBufferPool : public std::enable_shared_from_this<ChunkBufferPool> {
public:
    // `count` buffers of `bufferSize` bytes (the chunk size), made on first use.
    static std::shared_ptr<ChunkBufferPool> create(size_t bufferSize, size_t count);
    ~ChunkBufferPool();
    ChunkBufferPool(const ChunkBufferPool&) = delete;
    ChunkBufferPool& operator=(const ChunkBufferPool&) = delete;

    // A slice of `size` bytes (at most the buffer size) for the caller to fill
    // through `*bytes` before handing it on. Its buffer comes back to the
    // pool when gRPC and every copy of the slice are done with it. When all
    // are out, a buffer of its own, freed after use.
    grpc::Slice take(size_t size, char** bytes);

    size_t freeCount() const;
    size_t extraCount() const;   // buffers made beyond `count` so far

private:
    struct Slot;
    ChunkBufferPool(size_t bufferSize, size_t count);
    static void giveBack(void* slot);

    const size_t m_bufferSize;
    const size_t m_count;
    mutable std::mutex m_mutex;
    char* m_block = nullptr;                   // m_count buffers, once the first is taken
    std::vector<Slot> m_slots;                 // the block's buffers
    std::vector<Slot*> m_free;
    size_t m_extra = 0;
};

namespace ChunkFrame {

// The wire form of `fields` (a Chunk whose `data` is empty) with `data` as its data.
grpc::ByteBuffer encode(const Chunk& fields, const grpc::Slice& data);

} // namespace ChunkFrame

} // namespace streamlab
