#pragma once
// Every client call in flight, app-wide. Closing the window cancels them all
// and waits (briefly) until gRPC has finished each one, so the process never
// exits under a running reactor.

#include <grpcpp/client_context.h>

#include <chrono>
#include <memory>

namespace streamlab {

class CallTracker {
public:
    // Registers a call while the returned token lives. `context` is cancelled
    // by cancelAll(); it must stay valid while the token lives.
    class Token {
    public:
        Token() = default;
        ~Token();
        Token(Token&& other) noexcept : m_id(other.m_id) { other.m_id = 0; }
        Token& operator=(Token&& other) noexcept;
        Token(const Token&) = delete;
        Token& operator=(const Token&) = delete;

    private:
        friend class CallTracker;
        explicit Token(uint64_t id) : m_id(id) {}
        uint64_t m_id = 0;
    };

    static Token track(grpc::ClientContext* context);
    static void cancelAll();
    // True when no call is left within `timeout`.
    static bool waitForAll(std::chrono::milliseconds timeout);
    static int inFlight();
};

} // namespace streamlab
