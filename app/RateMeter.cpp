#include "RateMeter.h"

#include <algorithm>

namespace streamlab {

namespace {
// Floor division: timestamps may be negative (e.g. a caller's own epoch).
qint64 floorDiv(qint64 a, qint64 b)
{
    const qint64 q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}
} // namespace

RateMeter::RateMeter(qint64 windowMs, int bucketCount)
    : m_bucketMs(std::max<qint64>(1, windowMs / std::max(1, bucketCount)))
    , m_buckets(size_t(std::max(1, bucketCount)))
{
}

void RateMeter::restart(qint64 nowMs)
{
    reset();
    m_started = true;
    m_startMs = nowMs;
    m_lastMs = nowMs;
}

void RateMeter::reset()
{
    std::fill(m_buckets.begin(), m_buckets.end(), Bucket{});
    m_started = false;
    m_startMs = m_lastMs = 0;
    m_total = 0;
}

void RateMeter::add(qint64 amount, qint64 nowMs)
{
    if (!m_started) {
        m_started = true;
        m_startMs = nowMs;
        m_lastMs = nowMs;
    }
    nowMs = std::max(nowMs, m_lastMs);
    m_lastMs = nowMs;
    m_total += amount;

    const qint64 index = floorDiv(nowMs, m_bucketMs);
    Bucket& b = m_buckets[size_t(((index % qint64(m_buckets.size())) + qint64(m_buckets.size()))
                                 % qint64(m_buckets.size()))];
    if (b.index != index) { // the slot still holds a bucket from an older lap of the ring
        b.index = index;
        b.sum = 0;
    }
    b.sum += amount;
}

double RateMeter::rate(qint64 nowMs) const
{
    if (!m_started)
        return 0;
    nowMs = std::max(nowMs, m_lastMs);
    const qint64 n = qint64(m_buckets.size());
    const qint64 newest = floorDiv(nowMs, m_bucketMs);
    const qint64 oldest = newest - n + 1;

    qint64 sum = 0;
    for (const Bucket& b : m_buckets) {
        if (b.index >= oldest && b.index <= newest)
            sum += b.sum;
    }
    // The window covers the oldest bucket's start up to now (the newest bucket
    // is only partly elapsed); a meter younger than that covers less time.
    const qint64 from = std::max(oldest * m_bucketMs, m_startMs);
    // At least one bucket, so a first sample right at the start does not read
    // as an absurd spike.
    const qint64 spanMs = std::max(nowMs - from, m_bucketMs);
    return double(sum) * 1000.0 / double(spanMs);
}

double RateMeter::etaSeconds(qint64 remaining, qint64 nowMs) const
{
    if (remaining <= 0)
        return 0;
    const double r = rate(nowMs);
    if (r <= 0)
        return -1;
    return double(remaining) / r;
}

} // namespace streamlab
