#pragma once
// Sliding-window rate (bytes/s, events/s, ...) over the last windowMs, fed with
// timestamped amounts. Time is passed in by the caller (e.g. a QElapsedTimer's
// elapsed()), so the meter has no clock of its own and tests need no sleeps.
//
// Samples land in a fixed ring of buckets, so memory stays constant however
// many samples arrive and add() is O(1); rate() is O(bucket count).

#include <QtGlobal>

#include <vector>

namespace streamlab {

class RateMeter {
public:
    // The window is split into bucketCount buckets; the rate's resolution is
    // one bucket (windowMs / bucketCount, at least 1 ms), and windowMs() is
    // rounded to a whole number of buckets.
    explicit RateMeter(qint64 windowMs = 2000, int bucketCount = 20);

    // Forget everything; the next rate is measured from nowMs. Call it when the
    // transfer starts, so the first sample's rate covers the time it took.
    // Without it, the meter starts at the first add().
    void restart(qint64 nowMs);
    void reset(); // forget everything, start at the next add()

    // Timestamps should not go backwards; if they do, the amount counts at the
    // latest time seen.
    void add(qint64 amount, qint64 nowMs);

    // Units per second over the window ending at nowMs (or over the time since
    // the start, when that is shorter). 0 before anything was added.
    double rate(qint64 nowMs) const;

    // Seconds until `remaining` more units are done at the current rate;
    // -1 when unknown (no rate yet, or the rate dropped to 0); 0 when nothing
    // remains.
    double etaSeconds(qint64 remaining, qint64 nowMs) const;

    qint64 total() const { return m_total; } // everything added since the start
    qint64 windowMs() const { return m_bucketMs * qint64(m_buckets.size()); }
    qint64 bucketMs() const { return m_bucketMs; }

private:
    struct Bucket {
        qint64 index = -1; // absolute bucket number (time / bucketMs); -1 = empty
        qint64 sum = 0;
    };

    qint64 m_bucketMs;
    std::vector<Bucket> m_buckets;
    qint64 m_startMs = 0;
    qint64 m_lastMs = 0;
    qint64 m_total = 0;
    bool m_started = false;
};

} // namespace streamlab
