#pragma once
// The real streamlab-server executable as a child process, for the fault and
// soak tests: started on 127.0.0.1 (port 0, or a given port to come back on
// the same address), its port read from its "ready on 127.0.0.1:PORT" line,
// killed with SIGKILL or stopped with SIGTERM. Whatever is still running when
// the object goes is killed and waited for.

#include "TimingScale.h"

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QString>
#include <QStringList>

namespace streamlab::test {

class ServerProcess {
public:
#ifdef STREAMLAB_SERVER_EXE
    ServerProcess() : m_program(QStringLiteral(STREAMLAB_SERVER_EXE)) {}
#endif
    explicit ServerProcess(const QString& program) : m_program(program) {}
    ~ServerProcess() { kill(); }

    // Starts the server and waits for its ready line. False (with the log in
    // log()) when it did not come up within `timeoutMs`.
    bool start(const QString& dataDir, int port = 0, const QStringList& extraArguments = {}, int timeoutMs = 60000)
    {
        kill();
        m_log.clear();
        m_port = 0;
        m_process.setProgram(m_program);
        m_process.setArguments(QStringList{QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(port),
                                           QStringLiteral("--data-dir"), dataDir}
                               + extraArguments);
        m_process.start();
        if (!m_process.waitForStarted(10000)) {
            m_log = m_process.errorString().toUtf8();
            return false;
        }
        static const QRegularExpression ready(QStringLiteral("ready on 127\\.0\\.0\\.1:(\\d+)"));
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < timeoutMs && m_process.state() == QProcess::Running) {
            m_process.waitForReadyRead(100);
            m_log += m_process.readAllStandardError();
            const auto match = ready.match(QString::fromUtf8(m_log));
            if (match.hasMatch()) {
                m_port = match.captured(1).toInt();
                return true;
            }
        }
        m_log += m_process.readAllStandardError();
        return false;
    }

    // SIGKILL: no chance to clean up, as in a crash. Waits until it is gone.
    void kill()
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        m_process.kill();
        m_process.waitForFinished(10000);
        m_log += m_process.readAllStandardError();
    }

    // SIGTERM and wait; SIGKILL if it does not stop in time. True when it stopped by itself with 0.
    bool stop(int timeoutMs = 10000)
    {
        if (m_process.state() == QProcess::NotRunning)
            return false;
        m_process.terminate();
        const bool stopped = m_process.waitForFinished(timeoutMs);
        m_log += m_process.readAllStandardError();
        if (!stopped) {
            kill();
            return false;
        }
        return m_process.exitStatus() == QProcess::NormalExit && m_process.exitCode() == 0;
    }

    bool running() const { return m_process.state() == QProcess::Running; }
    int port() const { return m_port; }
    QString address() const { return QStringLiteral("127.0.0.1:%1").arg(m_port); }
    qint64 pid() const { return m_process.processId(); }
    QByteArray log()
    {
        m_log += m_process.readAllStandardError();
        return m_log;
    }
    QProcess& process() { return m_process; }

private:
    QString m_program;
    QProcess m_process;
    QByteArray m_log;
    int m_port = 0;
};

// Resident memory of a process in KiB (VmRSS in /proc/PID/status); -1 when unknown.
inline qint64 residentKiB(qint64 pid)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    // /proc files report size 0: read line by line.
    for (QByteArray line = status.readLine(); !line.isEmpty(); line = status.readLine()) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    }
    return -1;
}

} // namespace streamlab::test
