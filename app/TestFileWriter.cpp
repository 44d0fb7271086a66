#include "TestFileWriter.h"

#include "UploadProgress.h"
#include "WorkerPriority.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QStorageInfo>
#include <QtConcurrent>

#include <vector>

namespace streamlab {

namespace {

constexpr qint64 kBlockBytes = 1 << 20;
constexpr qint64 kFreeSpaceMargin = 64LL << 20;   // leave the disk some room

// splitmix64: fast, and every block differs.
quint64 nextRandom(quint64& state)
{
    quint64 z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

TestFileResult writeFile(const QString& path, qint64 size, quint64 seed, const std::shared_ptr<std::atomic<qint64>>& written,
                         const std::shared_ptr<std::atomic<bool>>& stop)
{
    TestFileResult result;
    result.path = path;
    result.size = size;
    QElapsedTimer clock;
    clock.start();
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::NewOnly)) {
        result.error = QObject::tr("Cannot create %1: %2").arg(QDir::toNativeSeparators(path), file.errorString());
        return result;
    }
    std::vector<quint64> block(size_t(kBlockBytes / 8));
    quint64 state = seed;
    qint64 done = 0;
    while (done < size) {
        if (stop->load()) {
            result.cancelled = true;
            break;
        }
        for (quint64& word : block)
            word = nextRandom(state);
        const qint64 n = std::min(kBlockBytes, size - done);
        if (file.write(reinterpret_cast<const char*>(block.data()), n) != n) {
            result.error = QObject::tr("Cannot write %1: %2").arg(QDir::toNativeSeparators(path), file.errorString());
            break;
        }
        done += n;
        written->store(done);
    }
    if (result.error.isEmpty() && !result.cancelled && !file.flush())
        result.error = QObject::tr("Cannot write %1: %2").arg(QDir::toNativeSeparators(path), file.errorString());
    file.close();
    result.ok = result.error.isEmpty() && !result.cancelled;
    if (!result.ok)
        QFile::remove(path);
    result.elapsedMs = double(clock.nsecsElapsed()) / 1e6;
    return result;
}

} // namespace

TestFileWriter::TestFileWriter(QObject* parent) : QObject(parent)
{
    qRegisterMetaType<streamlab::TestFileResult>();
    m_progressTimer.setInterval(33);
    connect(&m_progressTimer, &QTimer::timeout, this, [this] {
        if (m_job)
            Q_EMIT progress(m_job->written.load(), m_total);
    });
    connect(&m_watcher, &QFutureWatcher<TestFileResult>::finished, this, [this] {
        m_progressTimer.stop();
        const TestFileResult result = m_watcher.result();
        if (result.ok)
            Q_EMIT progress(result.size, result.size);
        Q_EMIT finished(result);
    });
}

TestFileWriter::~TestFileWriter()
{
    cancel();
    m_watcher.waitForFinished();
}

void TestFileWriter::cancel()
{
    if (m_job)
        m_job->stop = true;
}

QString TestFileWriter::suggestedPath(const QString& folder, qint64 size)
{
    const QString sizeText = size % (1000 * 1000) == 0 ? QStringLiteral("%1MB").arg(size / (1000 * 1000))
                                                         : QStringLiteral("%1B").arg(size);
    const QString stem = QStringLiteral("streamlab-test-%1-%2").arg(sizeText, QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")));
    const QDir dir(folder);
    QString path = dir.filePath(stem + QStringLiteral(".bin"));
    for (int n = 2; QFileInfo::exists(path); ++n)
        path = dir.filePath(QStringLiteral("%1 (%2).bin").arg(stem).arg(n));
    return path;
}

bool TestFileWriter::start(const QString& path, qint64 size, QString* error)
{
    auto refuse = [error](const QString& message) {
        if (error)
            *error = message;
        return false;
    };
    if (busy())
        return refuse(tr("A test file is already being written."));
    if (size < 0)
        return refuse(tr("The size cannot be negative."));
    const QFileInfo info(path);
    const QFileInfo folder(info.absolutePath());
    if (!folder.isDir())
        return refuse(tr("The folder %1 does not exist.").arg(QDir::toNativeSeparators(info.absolutePath())));
    if (info.exists())
        return refuse(tr("%1 already exists.").arg(QDir::toNativeSeparators(path)));
    const QStorageInfo storage(info.absolutePath());
    if (storage.isValid() && storage.bytesAvailable() >= 0 && storage.bytesAvailable() < size + kFreeSpaceMargin)
        return refuse(tr("Not enough room in %1 for %2: %3 free.")
                          .arg(QDir::toNativeSeparators(info.absolutePath()), formatBytes(size), formatBytes(storage.bytesAvailable())));

    auto job = std::make_shared<Job>();
    // Handed to a pool thread under Qt's own lock, which ThreadSanitizer
    // cannot see: this release store, read first by the worker (`stop`
    // before it touches `written`), states the ordering where it can.
    job->stop.store(false, std::memory_order_release);
    m_job = job;
    m_total = size;
    // The worker holds only what it needs, shared.
    auto written = std::shared_ptr<std::atomic<qint64>>(job, &job->written);
    auto stop = std::shared_ptr<std::atomic<bool>>(job, &job->stop);
    const quint64 seed = QRandomGenerator::global()->generate64();
    m_watcher.setFuture(QtConcurrent::run([path, size, seed, written, stop] {
        WorkerPriority::lowerCurrentThread();   // a pool thread the GUI thread may just have started
        return writeFile(path, size, seed, written, stop);
    }));
    m_progressTimer.start();
    Q_EMIT progress(0, size);
    return true;
}

} // namespace streamlab
