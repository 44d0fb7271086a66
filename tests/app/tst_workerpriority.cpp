// WorkerPriority on real threads of this process: the kernel's own per-thread
// nice values (getpriority on a thread id) are what is checked.
#include "WorkerPriority.h"

#include <QtTest>

#include <condition_variable>
#include <mutex>
#include <thread>

#ifdef Q_OS_LINUX
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

using streamlab::WorkerPriority;

namespace {

#ifdef Q_OS_LINUX
long currentTid() { return long(syscall(SYS_gettid)); }
int niceOf(long tid) { return getpriority(PRIO_PROCESS, id_t(tid)); }
#endif

// A thread that tells its id and waits until released.
class ParkedThread {
public:
    ParkedThread()
        : m_thread([this] {
              std::unique_lock<std::mutex> lock(m_mutex);
#ifdef Q_OS_LINUX
              m_tid = currentTid();
#endif
              m_changed.notify_all();
              m_changed.wait(lock, [this] { return m_release; });
          })
    {
        std::unique_lock<std::mutex> lock(m_mutex);
        m_changed.wait(lock, [this] { return m_tid != 0; });
    }
    ~ParkedThread()
    {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_release = true;
        }
        m_changed.notify_all();
        m_thread.join();
    }
    long tid() const { return m_tid; }

private:
    std::mutex m_mutex;
    std::condition_variable m_changed;
    long m_tid = 0;
    bool m_release = false;
    std::thread m_thread;
};

} // namespace

class TestWorkerPriority : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void lowersOtherThreadsNotTheGuiThread();
    void lowersEachThreadOnce();
    void laterThreadsAreLoweredByTheScan();
    void aThreadCanLowerItselfAtOnce();
};

void TestWorkerPriority::init()
{
#ifndef Q_OS_LINUX
    QSKIP("per-thread priorities are set on Linux only");
#endif
}

void TestWorkerPriority::lowersOtherThreadsNotTheGuiThread()
{
#ifdef Q_OS_LINUX
    const long gui = currentTid();
    const int guiNice = niceOf(gui);
    if (guiNice + WorkerPriority::kWorkerNice > 19)
        QSKIP("this test runs at a nice value with no room below it");
    ParkedThread worker;
    QCOMPARE(niceOf(worker.tid()), guiNice);   // threads start at their creator's priority

    WorkerPriority priority;
    QCOMPARE(niceOf(worker.tid()), guiNice + WorkerPriority::kWorkerNice);
    QCOMPARE(niceOf(gui), guiNice);
    QVERIFY(priority.lowered() >= 1);
#endif
}

void TestWorkerPriority::lowersEachThreadOnce()
{
#ifdef Q_OS_LINUX
    ParkedThread worker;
    WorkerPriority priority;
    // Everything is lowered already: a second pass finds nothing to do.
    QCOMPARE(priority.lowerWorkers(), 0);
    const int before = priority.lowered();
    ParkedThread another;
    QCOMPARE(priority.lowerWorkers(), 1);
    QCOMPARE(priority.lowered(), before + 1);
#endif
}

void TestWorkerPriority::laterThreadsAreLoweredByTheScan()
{
#ifdef Q_OS_LINUX
    const int guiNice = niceOf(currentTid());
    if (guiNice + WorkerPriority::kWorkerNice > 19)
        QSKIP("this test runs at a nice value with no room below it");
    WorkerPriority priority;
    ParkedThread late;   // started from the GUI thread after the first pass: normal priority
    QCOMPARE(niceOf(late.tid()), guiNice);
    // No call here: the periodic scan finds it.
    QTRY_COMPARE_WITH_TIMEOUT(niceOf(late.tid()), guiNice + WorkerPriority::kWorkerNice,
                              5 * WorkerPriority::kScanIntervalMs);
#endif
}

// What an upload's reader does first: no waiting for the scan.
void TestWorkerPriority::aThreadCanLowerItselfAtOnce()
{
#ifdef Q_OS_LINUX
    const long gui = currentTid();
    const int guiNice = niceOf(gui);
    if (guiNice + WorkerPriority::kWorkerNice > 19)
        QSKIP("this test runs at a nice value with no room below it");
    auto niceAfterLowering = [] {
        int nice = 0;
        std::thread([&] {
            WorkerPriority::lowerCurrentThread();
            nice = niceOf(currentTid());
        }).join();
        return nice;
    };
    // With no WorkerPriority alive, threads are left as they are.
    QCOMPARE(niceAfterLowering(), guiNice);
    {
        WorkerPriority priority;
        QCOMPARE(niceAfterLowering(), guiNice + WorkerPriority::kWorkerNice);
        WorkerPriority::lowerCurrentThread();   // the GUI thread: left alone
        QCOMPARE(niceOf(gui), guiNice);
        // Already lowered (inherited): not lowered again.
        int nested = 0;
        std::thread([&] {
            WorkerPriority::lowerCurrentThread();
            std::thread([&] {
                WorkerPriority::lowerCurrentThread();
                nested = niceOf(currentTid());
            }).join();
        }).join();
        QCOMPARE(nested, guiNice + WorkerPriority::kWorkerNice);
    }
    QCOMPARE(niceAfterLowering(), guiNice);   // gone with the object
#endif
}

QTEST_GUILESS_MAIN(TestWorkerPriority)
#include "tst_workerpriority.moc"
