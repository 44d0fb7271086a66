#include "StopSignals.h"

#include <QSocketNotifier>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <csignal>

#include <fcntl.h>
#include <unistd.h>

namespace streamlab {

namespace {

constexpr int kSignals[] = {SIGINT, SIGTERM};

int g_pipe[2] = {-1, -1};
struct sigaction g_previous[std::size(kSignals)];
std::atomic<bool> g_active{false};

// Async-signal-safe only: write(), sigaction(), errno.
void onSignal(int number)
{
    const int savedErrno = errno;
    const unsigned char byte = static_cast<unsigned char>(number);
    // Non-blocking: a full pipe (signals faster than the app reads) loses a
    // byte, never blocks the thread the signal landed on.
    [[maybe_unused]] const ssize_t written = ::write(g_pipe[1], &byte, 1);
    // The next one of this kind ends the process (the app is closing already).
    struct sigaction fallback {};
    fallback.sa_handler = SIG_DFL;
    sigemptyset(&fallback.sa_mask);
    ::sigaction(number, &fallback, nullptr);
    errno = savedErrno;
}

} // namespace

StopSignals::StopSignals(QObject* parent) : QObject(parent)
{
    if (g_active.exchange(true)) {
        qWarning("streamlab: StopSignals is installed already; this one does nothing");
        return;
    }
    if (::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        qWarning("streamlab: no pipe for SIGINT/SIGTERM (%s); they end the app without closing it",
                 strerror(errno));
        g_active = false;
        return;
    }
    m_notifier = new QSocketNotifier(g_pipe[0], QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &StopSignals::readPipe);
    for (size_t i = 0; i < std::size(kSignals); ++i) {
        struct sigaction action {};
        action.sa_handler = onSignal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESTART;   // other threads' system calls carry on
        ::sigaction(kSignals[i], &action, &g_previous[i]);
    }
    m_installed = true;
}

StopSignals::~StopSignals()
{
    if (!m_installed)
        return;
    for (size_t i = 0; i < std::size(kSignals); ++i)
        ::sigaction(kSignals[i], &g_previous[i], nullptr);
    delete m_notifier;
    ::close(g_pipe[0]);
    ::close(g_pipe[1]);
    g_pipe[0] = g_pipe[1] = -1;
    g_active = false;
}

void StopSignals::readPipe()
{
    unsigned char bytes[16];
    for (;;) {
        const ssize_t got = ::read(g_pipe[0], bytes, sizeof bytes);
        if (got <= 0)
            return;   // EAGAIN: all taken
        for (ssize_t i = 0; i < got; ++i)
            Q_EMIT received(int(bytes[i]));
    }
}

} // namespace streamlab
