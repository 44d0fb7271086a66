// libFuzzer target: arbitrary bytes as the request messages of each
// StreamingExamples RPC, sent over loopback to a real in-process server, so
// the server's own handling code (parsing, validation, reactors, stores)
// meets them exactly as from a hostile client.
//
// Input: byte 0 picks the RPC (unless STREAMLAB_FUZZ_RPC=0..3 pins one);
// then up to 16 messages, each a 2-byte little-endian length and that many
// bytes, written as the call's requests. Every call has a short deadline.
#include "EmbeddedServer.h"

#include <google/protobuf/stubs/logging.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

const char* const kMethods[] = {
    "/streamlab.StreamingExamples/GetUser",
    "/streamlab.StreamingExamples/ListEvents",
    "/streamlab.StreamingExamples/UploadChunks",
    "/streamlab.StreamingExamples/Chat",
};
constexpr int kMaxMessages = 16;
constexpr int kMaxReads = 64;   // a follow stream never ends by itself

streamlab::server::EmbeddedServer* g_server = nullptr;
std::filesystem::path g_dataDir;
grpc::GenericStub* g_stub = nullptr;
int g_pinnedRpc = -1;

// One call as a generic bidi stream: write every message, half-close, read
// what comes back (bounded), then wait for the end.
class FuzzCall : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
public:
    FuzzCall(const std::string& method, std::vector<std::string> messages) : m_messages(std::move(messages))
    {
        m_context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
        g_stub->PrepareBidiStreamingCall(&m_context, method, grpc::StubOptions(), this);
        StartRead(&m_in);
        writeNext();
        StartCall();
    }

    void OnWriteDone(bool ok) override
    {
        if (!ok)
            return;
        writeNext();
    }
    void OnReadDone(bool ok) override
    {
        if (!ok)
            return;
        if (++m_reads >= kMaxReads) {
            m_context.TryCancel();
            return;
        }
        StartRead(&m_in);
    }
    void OnDone(const grpc::Status&) override
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_done = true;
        m_cv.notify_all();
    }
    void wait()
    {
        std::unique_lock<std::mutex> lock(m_mutex);
        m_cv.wait(lock, [this] { return m_done; });
    }

private:
    void writeNext()
    {
        if (m_next >= m_messages.size()) {
            StartWritesDone();
            return;
        }
        const std::string& bytes = m_messages[m_next++];
        grpc::Slice slice(bytes.data(), bytes.size());
        m_out = grpc::ByteBuffer(&slice, 1);
        StartWrite(&m_out);
    }

    grpc::ClientContext m_context;
    std::vector<std::string> m_messages;
    size_t m_next = 0;
    grpc::ByteBuffer m_out, m_in;
    int m_reads = 0;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_done = false;
};

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    // Invalid UTF-8 in string fields is logged by protobuf on every parse
    // failure: expected here, and it would drown libFuzzer's output.
    google::protobuf::SetLogHandler([](google::protobuf::LogLevel, const char*, int, const std::string&) {});
    if (const char* pinned = std::getenv("STREAMLAB_FUZZ_RPC"))
        g_pinnedRpc = std::atoi(pinned) % 4;
    const auto dir = std::filesystem::temp_directory_path() / ("streamlab-fuzz-" + std::to_string(::getpid()));
    g_dataDir = dir;
    std::atexit([] {
        std::error_code ignored;
        std::filesystem::remove_all(g_dataDir, ignored);
    });
    streamlab::server::ServerConfig config;
    config.listenAddress = "127.0.0.1:0";
    config.dataDir = dir;
    config.seedEvents = 2000;
    config.uploadCapBytes = 1 << 20;
    config.eventRatePerSecond = 200;
    config.chatRatePerSecond = 1e6;
    config.chatRateBurst = 1000000;
    g_server = new streamlab::server::EmbeddedServer(config);
    std::string error;
    if (!g_server->start(&error)) {
        std::fprintf(stderr, "fuzz_rpc: server did not start: %s\n", error.c_str());
        std::abort();
    }
    auto channel = grpc::CreateChannel(g_server->address(), grpc::InsecureChannelCredentials());
    g_stub = new grpc::GenericStub(channel);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < 1)
        return 0;
    const int rpc = g_pinnedRpc >= 0 ? g_pinnedRpc : data[0] % 4;
    std::vector<std::string> messages;
    size_t pos = 1;
    while (pos + 2 <= size && int(messages.size()) < kMaxMessages) {
        const size_t length = size_t(data[pos]) | (size_t(data[pos + 1]) << 8);
        pos += 2;
        const size_t take = std::min(length, size - pos);
        messages.emplace_back(reinterpret_cast<const char*>(data + pos), take);
        pos += take;
    }
    FuzzCall call(kMethods[rpc], std::move(messages));
    call.wait();
    return 0;
}
