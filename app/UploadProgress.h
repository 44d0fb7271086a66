#pragma once
// What the client streaming tab shows about an upload, as plain Qt values:
// where it is (bytes of the file the server has or was sent), how fast it goes
// (MB/s over a sliding window, RateMeter), when it should end (ETA), and how
// long the client's writes are held up by flow control.
//
// UploadProgressMeter turns "this many bytes done at this time" into such a
// value; UploadCall feeds it once per frame from its completed writes.

#include "RateMeter.h"

#include <QLatin1Char>
#include <QLocale>
#include <QMetaType>
#include <QString>

namespace streamlab {

struct UploadProgress {
    enum class Phase {
        Idle,       // nothing started
        Preparing,  // asking the server how much of the upload it holds (resume)
        Hashing,    // hashing the part of the file the server already holds (resume)
        Sending,    // chunks going out
        Finishing,  // everything sent: the server stores and hashes the file
        Done        // the call ended (see UploadOutcome)
    };
    Phase phase = Phase::Idle;
    qint64 totalBytes = 0;      // the file's size
    qint64 resumedFrom = 0;     // where this call started (0: a fresh upload)
    qint64 sentBytes = 0;       // resumedFrom + data of this call's completed writes
    qint64 hashedBytes = 0;     // Hashing: how much of the held part is hashed
    qint64 chunksSent = 0;      // completed writes of this call
    double bytesPerSecond = 0;  // over the meter's sliding window
    double etaSeconds = -1;     // -1: unknown
    double elapsedMs = 0;       // since the call started
    // Flow control as the client sees it: a write is "blocked" from StartWrite
    // until OnWriteDone (the message has passed flow control).
    bool writePending = false;
    double currentWriteMs = 0;  // how long the pending write has waited
    double lastWriteMs = 0;     // the last completed write
    double maxWriteMs = 0;      // the longest completed write
    double blockedMs = 0;       // all completed writes, summed

    double fraction() const
    {
        if (totalBytes <= 0)
            return phase == Phase::Done || phase == Phase::Finishing ? 1.0 : 0.0;
        return double(sentBytes) / double(totalBytes);
    }
    double megabytesPerSecond() const { return bytesPerSecond / 1e6; }
};

// Rate and ETA of a transfer from timestamped totals. Time comes from the
// caller (ms on any monotonic clock), so tests need no sleeps.
class UploadProgressMeter {
public:
    explicit UploadProgressMeter(qint64 windowMs = 2000) : m_rate(windowMs, 20) {}

    // A transfer of `totalBytes` starts at `nowMs` with `alreadyDone` bytes
    // already in place (a resume): they count for the position, not the rate.
    void start(qint64 totalBytes, qint64 alreadyDone, qint64 nowMs)
    {
        m_total = totalBytes;
        m_done = alreadyDone;
        m_rate.restart(nowMs);
    }
    // The transfer has reached `doneBytes` (never less than before) at `nowMs`.
    void update(qint64 doneBytes, qint64 nowMs)
    {
        if (doneBytes > m_done) {
            m_rate.add(doneBytes - m_done, nowMs);
            m_done = doneBytes;
        } else {
            m_rate.add(0, nowMs);
        }
    }
    qint64 done() const { return m_done; }
    qint64 total() const { return m_total; }
    double bytesPerSecond(qint64 nowMs) const { return m_rate.rate(nowMs); }
    double etaSeconds(qint64 nowMs) const { return m_rate.etaSeconds(m_total - m_done, nowMs); }
    // Bytes counted since start() (the resumed part excluded).
    qint64 transferred() const { return m_rate.total(); }

private:
    RateMeter m_rate;
    qint64 m_total = 0;
    qint64 m_done = 0;
};

// "1.5 MB", "812.0 kB", "17 bytes": decimal units, as MB/s is.
inline QString formatBytes(qint64 bytes)
{
    if (bytes < 1000 && bytes > -1000)
        return QLocale().toString(bytes) + (bytes == 1 ? QStringLiteral(" byte") : QStringLiteral(" bytes"));
    return QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeSIFormat);
}

// "1:05:07", "4:12", "0:03"; "—" for a negative (unknown) duration.
inline QString formatDuration(double seconds)
{
    if (seconds < 0)
        return QStringLiteral("—");
    const qint64 total = qint64(seconds + 0.5);
    const qint64 h = total / 3600, m = (total / 60) % 60, s = total % 60;
    if (h > 0)
        return QStringLiteral("%1:%2:%3").arg(h).arg(m, 2, 10, QLatin1Char('0')).arg(s, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1:%2").arg(m).arg(s, 2, 10, QLatin1Char('0'));
}

} // namespace streamlab

Q_DECLARE_METATYPE(streamlab::UploadProgress)
