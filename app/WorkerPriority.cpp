#include "WorkerPriority.h"

#ifdef Q_OS_LINUX
#include <QDir>

#include <algorithm>
#include <cerrno>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <atomic>

namespace streamlab {

namespace {

#ifdef Q_OS_LINUX
// The live WorkerPriority's GUI thread, for lowerCurrentThread(); 0: none.
std::atomic<long> g_guiThreadId{0};

long currentThreadId() { return long(syscall(SYS_gettid)); }

// Nice values stop at 19: a GUI thread started at 19 already has nothing below it.
int workerNiceFor(long guiThreadId) { return std::min(19, getpriority(PRIO_PROCESS, id_t(guiThreadId)) + WorkerPriority::kWorkerNice); }

// Lowers thread `tid` to `target` unless it is there already; true when it did.
bool lowerThread(long tid, int target)
{
    // getpriority returns -1 for a nice of -1 as well as for an error: errno tells.
    errno = 0;
    const int nice = getpriority(PRIO_PROCESS, id_t(tid));
    if (errno != 0 || nice >= target)
        return false;   // gone already, or lowered (by us, or inherited from a lowered thread)
    return setpriority(PRIO_PROCESS, id_t(tid), target) == 0;
}
#endif

} // namespace

WorkerPriority::WorkerPriority(QObject* parent) : QObject(parent)
{
#ifdef Q_OS_LINUX
    m_guiThreadId = currentThreadId();
    g_guiThreadId.store(m_guiThreadId);
    lowerWorkers();
    m_scan.setInterval(kScanIntervalMs);
    connect(&m_scan, &QTimer::timeout, this, &WorkerPriority::lowerWorkers);
    m_scan.start();
#endif
}

int WorkerPriority::lowerWorkers()
{
    int changed = 0;
#ifdef Q_OS_LINUX
    const int target = workerNiceFor(m_guiThreadId);
    const QStringList tasks = QDir(QStringLiteral("/proc/self/task")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString& task : tasks) {
        bool ok = false;
        const long tid = task.toLong(&ok);
        if (!ok || tid == m_guiThreadId)
            continue;
        if (lowerThread(tid, target))
            ++changed;
    }
    m_lowered += changed;
#endif
    return changed;
}

WorkerPriority::~WorkerPriority()
{
#ifdef Q_OS_LINUX
    long mine = m_guiThreadId;
    g_guiThreadId.compare_exchange_strong(mine, 0);
#endif
}

void WorkerPriority::lowerCurrentThread()
{
#ifdef Q_OS_LINUX
    const long gui = g_guiThreadId.load();
    const long self = currentThreadId();
    if (gui != 0 && self != gui)
        lowerThread(self, workerNiceFor(gui));
#endif
}

} // namespace streamlab
