// ThreadSanitizer builds only (preset "tsan"; linked into every executable by
// cmake/StreamlabOptions.cmake). Debian's grpc, abseil and Qt are not built
// with TSan, so the synchronisation inside them is invisible: every hand-off
// of a call between gRPC's threads looks like a data race in our reactors.
// Instead of suppressing whole classes of reports, this file shows TSan the
// synchronisation that really happens, so that what it still reports is about
// Streamlab's own code:
//
// 1. absl::Mutex / absl::CondVar. Every lock in grpc's core and C++ layers is
//    an absl::Mutex from libabsl_synchronization, always called through the
//    PLT, so a definition in the executable interposes it. Each wrapper calls
//    the real function and adds the happens-before edge the real mutex
//    creates: "release" before an unlock, "acquire" after a lock. No lock
//    state is tracked (TSan does not see these as mutexes, so no lock-order
//    reports), only ordering; shared (reader) holders release to a second
//    address that only writers acquire, so readers do not order each other.
//    This makes grpc's executors, thread pools and work queues visible: a
//    closure queued under a lock happens before it runs on another thread.
//
// 2. grpc++'s generated code reaches the core through
//    grpc::g_core_codegen_interface. A wrapper adds, per grpc_call, "release"
//    when a batch of operations is started (StartCall, StartRead,
//    StartWrite, Finish...) and "acquire" where the C++ layer finalises a
//    completed batch (grpc_call_unref, before the reaction runs). That is
//    grpc's guarantee that a reaction happens after its operation was
//    started; the lock-free parts of the core that carry it (call combiner,
//    closure lists) are otherwise invisible. It is slightly stronger than the
//    guarantee (any batch started on a call, not only the one completing), so
//    it can only hide a race between two accesses on the SAME call that are
//    also separated in time by a grpc operation on it.
//
// 3. clone(CLONE_VM) (QProcess starts every child with vfork semantics):
//    libtsan's clone interceptor runs its fork-child bookkeeping in the child,
//    which shares the parent's memory and thread state, so the PARENT ends up
//    marked "after multi-threaded fork" and dies at its next pthread_create
//    ("starting new threads after multi-threaded fork is not supported"). A
//    CLONE_VM child only execs or exits, so it goes straight to glibc's
//    clone; every other clone still goes through TSan's interceptor.
//
// Nothing here silences a report: a race between two of our threads that no
// mutex, no grpc operation and no Qt queue orders is still reported
// (tests/server/tst_tsan_canary.cpp proves it on every TSan run). Compiled
// without TSan instrumentation (its own bookkeeping must not be tracked).

#include <grpcpp/impl/codegen/core_codegen_interface.h>
#include <grpcpp/impl/grpc_library.h>
#include <grpcpp/support/status.h>

#include <sanitizer/tsan_interface.h>

#include <dlfcn.h>
#include <sched.h>

#include <atomic>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

[[noreturn]] void fail(const char* what)
{
    std::fprintf(stderr, "TsanGrpcSync: %s\n", what);
    std::abort();
}

// The next definition of `name` after this executable (the real library function).
template <typename F>
F realFunction(std::atomic<void*>& cache, const char* name)
{
    void* p = cache.load(std::memory_order_acquire);
    if (!p) {
        p = dlsym(RTLD_NEXT, name);
        if (!p)
            fail(name);
        cache.store(p, std::memory_order_release);
    }
    return reinterpret_cast<F>(p);
}

void* readersOf(const void* mutex) { return static_cast<char*>(const_cast<void*>(mutex)) + 1; }
void acquireExclusive(const void* mutex)
{
    __tsan_acquire(const_cast<void*>(mutex));
    __tsan_acquire(readersOf(mutex));
}
void acquireShared(const void* mutex) { __tsan_acquire(const_cast<void*>(mutex)); }
void releaseExclusive(const void* mutex) { __tsan_release(const_cast<void*>(mutex)); }
void releaseShared(const void* mutex) { __tsan_release(readersOf(mutex)); }
void releaseAll(const void* mutex)   // held either way, about to wait (Await, CondVar::Wait)
{
    releaseExclusive(mutex);
    releaseShared(mutex);
}

} // namespace

// ---- 1. absl::Mutex / absl::CondVar (Debian's abseil 20220623, inline namespace debian3)

namespace absl {
inline namespace debian3 {
class Condition;
class Duration {   // same layout and trivially copyable: passed as in the library
    int64_t hi_;
    uint32_t lo_;
};
class Time {
    Duration rep_;
};
class Mutex {
public:
    void Lock();
    void Unlock();
    bool TryLock();
    void ReaderLock();
    void ReaderUnlock();
    bool ReaderTryLock();
    void LockWhen(const Condition& cond);
    void ReaderLockWhen(const Condition& cond);
    bool LockWhenWithTimeout(const Condition& cond, Duration timeout);
    bool LockWhenWithDeadline(const Condition& cond, Time deadline);
    bool ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout);
    bool ReaderLockWhenWithDeadline(const Condition& cond, Time deadline);
    void Await(const Condition& cond);
    bool AwaitWithTimeout(const Condition& cond, Duration timeout);
    bool AwaitWithDeadline(const Condition& cond, Time deadline);
};
class CondVar {
public:
    void Wait(Mutex* mu);
    bool WaitWithTimeout(Mutex* mu, Duration timeout);
    bool WaitWithDeadline(Mutex* mu, Time deadline);
};
} // namespace debian3
} // namespace absl

#define STREAMLAB_REAL(type, mangled)   \
    static std::atomic<void*> cache_{}; \
    const auto real = realFunction<type>(cache_, mangled)

namespace absl {
inline namespace debian3 {

void Mutex::Lock()
{
    STREAMLAB_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex4LockEv");
    real(this);
    acquireExclusive(this);
}

void Mutex::Unlock()
{
    STREAMLAB_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex6UnlockEv");
    releaseExclusive(this);
    real(this);
}

bool Mutex::TryLock()
{
    STREAMLAB_REAL(bool (*)(Mutex*), "_ZN4absl7debian35Mutex7TryLockEv");
    const bool locked = real(this);
    if (locked)
        acquireExclusive(this);
    return locked;
}

void Mutex::ReaderLock()
{
    STREAMLAB_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex10ReaderLockEv");
    real(this);
    acquireShared(this);
}

void Mutex::ReaderUnlock()
{
    STREAMLAB_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex12ReaderUnlockEv");
    releaseShared(this);
    real(this);
}

bool Mutex::ReaderTryLock()
{
    STREAMLAB_REAL(bool (*)(Mutex*), "_ZN4absl7debian35Mutex13ReaderTryLockEv");
    const bool locked = real(this);
    if (locked)
        acquireShared(this);
    return locked;
}

void Mutex::LockWhen(const Condition& cond)
{
    STREAMLAB_REAL(void (*)(Mutex*, const Condition&), "_ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE");
    real(this, cond);
    acquireExclusive(this);
}

void Mutex::ReaderLockWhen(const Condition& cond)
{
    STREAMLAB_REAL(void (*)(Mutex*, const Condition&), "_ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE");
    real(this, cond);
    acquireShared(this);
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout)
{
    STREAMLAB_REAL(bool (*)(Mutex*, const Condition&, Duration),
                   "_ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
    const bool met = real(this, cond, timeout);
    acquireExclusive(this);   // held on return either way
    return met;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline)
{
    STREAMLAB_REAL(bool (*)(Mutex*, const Condition&, Time),
                   "_ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
    const bool met = real(this, cond, deadline);
    acquireExclusive(this);
    return met;
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout)
{
    STREAMLAB_REAL(bool (*)(Mutex*, const Condition&, Duration),
                   "_ZN4absl7debian35Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
    const bool met = real(this, cond, timeout);
    acquireShared(this);
    return met;
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline)
{
    STREAMLAB_REAL(bool (*)(Mutex*, const Condition&, Time),
                   "_ZN4absl7debian35Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
    const bool met = real(this, cond, deadline);
    acquireShared(this);
    return met;
}

void Mutex::Await(const Condition& cond)
{
    STREAMLAB_REAL(void (*)(Mutex*, const Condition&), "_ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE");
    releaseAll(this);
    real(this, cond);
    acquireExclusive(this);
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout)
{
    STREAMLAB_REAL(bool (*)(Mutex*, const Condition&, Duration),
                   "_ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
    releaseAll(this);
    const bool met = real(this, cond, timeout);
    acquireExclusive(this);
    return met;
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline)
{
    STREAMLAB_REAL(bool (*)(Mutex*, const Condition&, Time),
                   "_ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
    releaseAll(this);
    const bool met = real(this, cond, deadline);
    acquireExclusive(this);
    return met;
}

void CondVar::Wait(Mutex* mu)
{
    STREAMLAB_REAL(void (*)(CondVar*, Mutex*), "_ZN4absl7debian37CondVar4WaitEPNS0_5MutexE");
    releaseAll(mu);
    real(this, mu);
    acquireExclusive(mu);
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout)
{
    STREAMLAB_REAL(bool (*)(CondVar*, Mutex*, Duration),
                   "_ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
    releaseAll(mu);
    const bool timedOut = real(this, mu, timeout);
    acquireExclusive(mu);
    return timedOut;
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline)
{
    STREAMLAB_REAL(bool (*)(CondVar*, Mutex*, Time),
                   "_ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
    releaseAll(mu);
    const bool timedOut = real(this, mu, deadline);
    acquireExclusive(mu);
    return timedOut;
}

} // namespace debian3
} // namespace absl

// ---- 2. grpc_call: a started batch happens before the reaction to a completed one

namespace {

class CallOrdering final : public grpc::CoreCodegenInterface {
public:
    explicit CallOrdering(grpc::CoreCodegenInterface* core) : core_(core) {}

    grpc_call_error grpc_call_start_batch(grpc_call* call, const grpc_op* ops, size_t nops, void* tag,
                                          void* reserved) override
    {
        __tsan_release(call);
        return core_->grpc_call_start_batch(call, ops, nops, tag, reserved);
    }
    grpc_call_error grpc_call_cancel_with_status(grpc_call* call, grpc_status_code status, const char* description,
                                                 void* reserved) override
    {
        __tsan_release(call);
        return core_->grpc_call_cancel_with_status(call, status, description, reserved);
    }
    void grpc_call_unref(grpc_call* call) override
    {
        __tsan_acquire(call);   // before: the unref may free the call
        core_->grpc_call_unref(call);
    }

    // Everything else: as is.
    void assert_fail(const char* failed_assertion, const char* file, int line) override
    {
        core_->assert_fail(failed_assertion, file, line);
    }
    const grpc_completion_queue_factory* grpc_completion_queue_factory_lookup(
        const grpc_completion_queue_attributes* attributes) override
    {
        return core_->grpc_completion_queue_factory_lookup(attributes);
    }
    grpc_completion_queue* grpc_completion_queue_create(const grpc_completion_queue_factory* factory,
                                                        const grpc_completion_queue_attributes* attributes,
                                                        void* reserved) override
    {
        return core_->grpc_completion_queue_create(factory, attributes, reserved);
    }
    grpc_completion_queue* grpc_completion_queue_create_for_next(void* reserved) override
    {
        return core_->grpc_completion_queue_create_for_next(reserved);
    }
    grpc_completion_queue* grpc_completion_queue_create_for_pluck(void* reserved) override
    {
        return core_->grpc_completion_queue_create_for_pluck(reserved);
    }
    void grpc_completion_queue_shutdown(grpc_completion_queue* cq) override { core_->grpc_completion_queue_shutdown(cq); }
    void grpc_completion_queue_destroy(grpc_completion_queue* cq) override { core_->grpc_completion_queue_destroy(cq); }
    grpc_event grpc_completion_queue_pluck(grpc_completion_queue* cq, void* tag, gpr_timespec deadline,
                                           void* reserved) override
    {
        return core_->grpc_completion_queue_pluck(cq, tag, deadline, reserved);
    }
    void* gpr_malloc(size_t size) override { return core_->gpr_malloc(size); }
    void gpr_free(void* p) override { core_->gpr_free(p); }
    void grpc_init() override { core_->grpc_init(); }
    void grpc_shutdown() override { core_->grpc_shutdown(); }
    void gpr_mu_init(gpr_mu* mu) override { core_->gpr_mu_init(mu); }
    void gpr_mu_destroy(gpr_mu* mu) override { core_->gpr_mu_destroy(mu); }
    void gpr_mu_lock(gpr_mu* mu) override { core_->gpr_mu_lock(mu); }
    void gpr_mu_unlock(gpr_mu* mu) override { core_->gpr_mu_unlock(mu); }
    void gpr_cv_init(gpr_cv* cv) override { core_->gpr_cv_init(cv); }
    void gpr_cv_destroy(gpr_cv* cv) override { core_->gpr_cv_destroy(cv); }
    int gpr_cv_wait(gpr_cv* cv, gpr_mu* mu, gpr_timespec abs_deadline) override
    {
        return core_->gpr_cv_wait(cv, mu, abs_deadline);
    }
    void gpr_cv_signal(gpr_cv* cv) override { core_->gpr_cv_signal(cv); }
    void gpr_cv_broadcast(gpr_cv* cv) override { core_->gpr_cv_broadcast(cv); }
    grpc_byte_buffer* grpc_byte_buffer_copy(grpc_byte_buffer* bb) override { return core_->grpc_byte_buffer_copy(bb); }
    void grpc_byte_buffer_destroy(grpc_byte_buffer* bb) override { core_->grpc_byte_buffer_destroy(bb); }
    size_t grpc_byte_buffer_length(grpc_byte_buffer* bb) override { return core_->grpc_byte_buffer_length(bb); }
    int grpc_byte_buffer_reader_init(grpc_byte_buffer_reader* reader, grpc_byte_buffer* buffer) override
    {
        return core_->grpc_byte_buffer_reader_init(reader, buffer);
    }
    void grpc_byte_buffer_reader_destroy(grpc_byte_buffer_reader* reader) override
    {
        core_->grpc_byte_buffer_reader_destroy(reader);
    }
    int grpc_byte_buffer_reader_next(grpc_byte_buffer_reader* reader, grpc_slice* slice) override
    {
        return core_->grpc_byte_buffer_reader_next(reader, slice);
    }
    int grpc_byte_buffer_reader_peek(grpc_byte_buffer_reader* reader, grpc_slice** slice) override
    {
        return core_->grpc_byte_buffer_reader_peek(reader, slice);
    }
    grpc_byte_buffer* grpc_raw_byte_buffer_create(grpc_slice* slice, size_t nslices) override
    {
        return core_->grpc_raw_byte_buffer_create(slice, nslices);
    }
    grpc_slice grpc_slice_new_with_user_data(void* p, size_t len, void (*destroy)(void*), void* user_data) override
    {
        return core_->grpc_slice_new_with_user_data(p, len, destroy, user_data);
    }
    grpc_slice grpc_slice_new_with_len(void* p, size_t len, void (*destroy)(void*, size_t)) override
    {
        return core_->grpc_slice_new_with_len(p, len, destroy);
    }
    int grpc_call_failed_before_recv_message(const grpc_call* c) override
    {
        return core_->grpc_call_failed_before_recv_message(c);
    }
    void grpc_call_ref(grpc_call* call) override { core_->grpc_call_ref(call); }
    void* grpc_call_arena_alloc(grpc_call* call, size_t length) override
    {
        return core_->grpc_call_arena_alloc(call, length);
    }
    const char* grpc_call_error_to_string(grpc_call_error error) override
    {
        return core_->grpc_call_error_to_string(error);
    }
    grpc_slice grpc_empty_slice() override { return core_->grpc_empty_slice(); }
    grpc_slice grpc_slice_malloc(size_t length) override { return core_->grpc_slice_malloc(length); }
    void grpc_slice_unref(grpc_slice slice) override { core_->grpc_slice_unref(slice); }
    grpc_slice grpc_slice_ref(grpc_slice slice) override { return core_->grpc_slice_ref(slice); }
    grpc_slice grpc_slice_split_tail(grpc_slice* s, size_t split) override { return core_->grpc_slice_split_tail(s, split); }
    grpc_slice grpc_slice_split_head(grpc_slice* s, size_t split) override { return core_->grpc_slice_split_head(s, split); }
    grpc_slice grpc_slice_sub(grpc_slice s, size_t begin, size_t end) override { return core_->grpc_slice_sub(s, begin, end); }
    void grpc_slice_buffer_add(grpc_slice_buffer* sb, grpc_slice slice) override { core_->grpc_slice_buffer_add(sb, slice); }
    void grpc_slice_buffer_add_indexed(grpc_slice_buffer* sb, grpc_slice slice) override
    {
        core_->grpc_slice_buffer_add_indexed(sb, slice);
    }
    void grpc_slice_buffer_pop(grpc_slice_buffer* sb) override { core_->grpc_slice_buffer_pop(sb); }
    grpc_slice grpc_slice_from_static_buffer(const void* buffer, size_t length) override
    {
        return core_->grpc_slice_from_static_buffer(buffer, length);
    }
    grpc_slice grpc_slice_from_copied_buffer(const void* buffer, size_t length) override
    {
        return core_->grpc_slice_from_copied_buffer(buffer, length);
    }
    void grpc_metadata_array_init(grpc_metadata_array* array) override { core_->grpc_metadata_array_init(array); }
    void grpc_metadata_array_destroy(grpc_metadata_array* array) override { core_->grpc_metadata_array_destroy(array); }
    const grpc::Status& ok() override { return core_->ok(); }
    const grpc::Status& cancelled() override { return core_->cancelled(); }
    gpr_timespec gpr_inf_future(gpr_clock_type type) override { return core_->gpr_inf_future(type); }
    gpr_timespec gpr_time_0(gpr_clock_type type) override { return core_->gpr_time_0(type); }

private:
    grpc::CoreCodegenInterface* const core_;
};

// Before main, single-threaded: libgrpc++'s own initialisers have run (the
// libraries are initialised before the executable).
struct InstallCallOrdering {
    InstallCallOrdering()
    {
        static grpc::internal::GrpcLibraryInitializer initializer;   // sets the interface if nobody has yet
        initializer.summon();
        if (!grpc::g_core_codegen_interface)
            fail("no grpc::g_core_codegen_interface to wrap");
        grpc::g_core_codegen_interface = new CallOrdering(grpc::g_core_codegen_interface);
    }
} installCallOrdering;

} // namespace

// ---- 3. clone(CLONE_VM): straight to glibc (see the top of the file)

extern "C" int clone(int (*fn)(void*), void* stack, int flags, void* arg, ...)
{
    va_list rest;
    va_start(rest, arg);
    pid_t* parentTid = va_arg(rest, pid_t*);
    void* tls = va_arg(rest, void*);
    pid_t* childTid = va_arg(rest, pid_t*);
    va_end(rest);

    using CloneFn = int (*)(int (*)(void*), void*, int, void*, ...);
    static std::atomic<void*> tsanClone{}, glibcClone{};
    if (flags & CLONE_VM) {
        void* p = glibcClone.load(std::memory_order_acquire);
        if (!p) {
            void* libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
            p = libc ? dlsym(libc, "clone") : nullptr;
            if (!p)
                fail("glibc's clone not found");
            glibcClone.store(p, std::memory_order_release);
        }
        return reinterpret_cast<CloneFn>(p)(fn, stack, flags, arg, parentTid, tls, childTid);
    }
    return realFunction<CloneFn>(tsanClone, "clone")(fn, stack, flags, arg, parentTid, tls, childTid);
}
