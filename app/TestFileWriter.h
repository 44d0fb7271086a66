#pragma once
// Makes a test file for uploads: `size` bytes of pseudo-random data (so no
// transport or disk can shrink it), written on a worker thread with progress
// (at most ~30 updates a second) and cancel. A cancelled or failed file is
// removed; an existing file is never overwritten.

#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QObject>
#include <QTimer>

#include <atomic>
#include <memory>

namespace streamlab {

struct TestFileResult {
    bool ok = false;
    bool cancelled = false;
    QString path;
    qint64 size = 0;
    QString error;      // for a person; empty when ok or cancelled
    double elapsedMs = 0;
};

class TestFileWriter : public QObject {
    Q_OBJECT
public:
    explicit TestFileWriter(QObject* parent = nullptr);
    ~TestFileWriter() override;   // cancels and waits for the worker (the partial file is removed)

    // False with a message when it cannot start (busy, no room, bad folder).
    bool start(const QString& path, qint64 size, QString* error);
    void cancel();
    bool busy() const { return m_watcher.isRunning(); }

    // A free name in `folder` for a test file of `size` bytes, e.g. "streamlab-test-500MB-20240101-120000.bin".
    static QString suggestedPath(const QString& folder, qint64 size);

Q_SIGNALS:
    void progress(qint64 written, qint64 total);
    void finished(const streamlab::TestFileResult& result);

private:
    struct Job {
        std::atomic<qint64> written{0};
        std::atomic<bool> stop{false};
    };
    std::shared_ptr<Job> m_job;
    qint64 m_total = 0;
    QFutureWatcher<TestFileResult> m_watcher;
    QTimer m_progressTimer;
};

} // namespace streamlab

Q_DECLARE_METATYPE(streamlab::TestFileResult)
