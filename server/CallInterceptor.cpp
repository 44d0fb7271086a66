#include "CallInterceptor.h"

#include "StatusText.h"

#include <grpcpp/server_context.h>

#include <chrono>
#include <cstdio>

namespace streamlab::server {

namespace {

using grpc::experimental::InterceptionHookPoints;

class CallInterceptor : public grpc::experimental::Interceptor {
public:
    CallInterceptor(grpc::experimental::ServerRpcInfo* info, ServerStats& stats,
                    const std::function<void(const std::string&)>& log)
        : info_(info), stats_(stats), log_(log), started_(std::chrono::steady_clock::now())
    {
    }

    ~CallInterceptor() override
    {
        if (!counted_)
            return;
        stats_.callEnded(peer_);
        if (!log_)
            return;
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
        std::string status = sentStatus_ ? statusCodeName(code_) : "CANCELLED";
        if (sentStatus_ && code_ != grpc::StatusCode::OK && !message_.empty())
            status += " \"" + message_ + "\"";
        char took[32];
        std::snprintf(took, sizeof took, "%.1f ms", ms);
        log_("call #" + std::to_string(number_) + " end   " + info_->method() + " " + status + " " + took);
    }

    void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override
    {
        if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA) && !counted_) {
            peer_ = info_->server_context()->peer();
            number_ = stats_.callStarted(peer_);
            counted_ = true;
            if (log_)
                log_("call #" + std::to_string(number_) + " start " + info_->method() + " from " + peer_);
        }
        if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
            const grpc::Status status = methods->GetSendStatus();
            sentStatus_ = true;
            code_ = status.error_code();
            message_ = status.error_message();
        }
        methods->Proceed();
    }

private:
    grpc::experimental::ServerRpcInfo* info_;
    ServerStats& stats_;
    const std::function<void(const std::string&)>& log_;
    std::chrono::steady_clock::time_point started_;
    std::string peer_;
    uint64_t number_ = 0;
    bool counted_ = false;
    bool sentStatus_ = false;
    grpc::StatusCode code_ = grpc::StatusCode::OK;
    std::string message_;
};

} // namespace

grpc::experimental::Interceptor* CallInterceptorFactory::CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info)
{
    return new CallInterceptor(info, stats_, log_);
}

} // namespace streamlab::server
