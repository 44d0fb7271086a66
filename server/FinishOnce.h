#pragma once
// What every Streamlab server reactor does when it ends: Finish exactly once,
// whichever path gets there first (the last write, a cancel, an error, a
// timer), and tell the call's probe how it ended.

#include "CallProbe.h"

#include <grpcpp/support/status.h>

#include <memory>

namespace streamlab::server {

template <class GrpcReactor>
class FinishOnce : public GrpcReactor {
protected:
    // Call with the reactor's own lock held. False when it had finished already.
    bool finishLocked(const grpc::Status& status)
    {
        if (finished_)
            return false;
        finished_ = true;
        if (probe_)
            probe_->finish(status.ok() ? "OK" : status.error_message());
        this->Finish(status);
        return true;
    }
    bool finished() const { return finished_; }

    std::shared_ptr<CallProbe> probe_;   // set by reactors whose client named a probe

private:
    bool finished_ = false;
};

} // namespace streamlab::server
