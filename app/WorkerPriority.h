#pragma once
// Keeps the GUI thread ahead of the app's other threads when the CPUs are
// busy. A fast stream keeps gRPC's callback threads (shared by the client and
// the bundled server) running flat out; on a 2-core machine the GUI thread
// then waited up to ~14 ms for a CPU on top of its own frame work, so frames
// were late (largest heartbeat gap 16-24 ms). With every other thread of the
// process at a lower priority (nice +5: a third of the GUI thread's CPU share
// when both want one), the GUI thread gets a CPU when it wakes and the
// largest gap falls to 9-15 ms, with no loss of stream throughput (the GUI
// thread uses little CPU; the workers get the rest).
//
// gRPC creates its threads itself, so there is no hook at creation: threads
// started by a lowered thread inherit its priority, and a scan of the
// process's threads every second lowers any other new one (a few dozen
// setpriority() calls at most). A thread the app starts from the GUI thread
// (an upload's reader, a test file's writer) would run at the GUI thread's
// priority until that scan, up to a second: such threads lower themselves
// first (lowerCurrentThread()). Raising a priority back needs privileges,
// so this is one-way: only the GUI thread stays at the normal priority.
// Linux only (per-thread nice values); elsewhere this does nothing.

#include <QObject>
#include <QTimer>

namespace streamlab {

class WorkerPriority : public QObject {
    Q_OBJECT
public:
    static constexpr int kWorkerNice = 5;
    static constexpr int kScanIntervalMs = 1000;

    // Constructed on the GUI thread: that thread is the one left alone.
    explicit WorkerPriority(QObject* parent = nullptr);
    ~WorkerPriority() override;

    // Lowers every thread of the process but the GUI thread; returns how
    // many it lowered this time (0 when all were lowered already).
    int lowerWorkers();
    // Threads this object has lowered so far.
    int lowered() const { return m_lowered; }

    // Lowers the calling thread to the workers' priority, unless it is there
    // already. Does nothing while no WorkerPriority exists (tests, tools that
    // do not lower their workers) or on the GUI thread. Thread-safe.
    static void lowerCurrentThread();

private:
    long m_guiThreadId = 0;
    int m_lowered = 0;
    QTimer m_scan;
};

} // namespace streamlab
