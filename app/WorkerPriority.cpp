#include "WorkerPriority.h"

#ifdef Q_OS_LINUX
#include <QDir>

#include <algorithm>
#include <cerrno>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace streamlab {

WorkerPriority::WorkerPriority(QObject* parent) : QObject(parent)
{
#ifdef Q_OS_LINUX
    m_guiThreadId = long(syscall(SYS_gettid));
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
    // Nice values stop at 19: a GUI thread started at 19 already has nothing below it.
    const int target = std::min(19, getpriority(PRIO_PROCESS, id_t(m_guiThreadId)) + kWorkerNice);
    const QStringList tasks = QDir(QStringLiteral("/proc/self/task")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString& task : tasks) {
        bool ok = false;
        const long tid = task.toLong(&ok);
        if (!ok || tid == m_guiThreadId)
            continue;
        // getpriority returns -1 for a nice of -1 as well as for an error: errno tells.
        errno = 0;
        const int nice = getpriority(PRIO_PROCESS, id_t(tid));
        if (errno != 0 || nice >= target)
            continue;   // gone already, or lowered (by us, or inherited from a lowered thread)
        if (setpriority(PRIO_PROCESS, id_t(tid), target) == 0)
            ++changed;
    }
    m_lowered += changed;
#endif
    return changed;
}

} // namespace streamlab
