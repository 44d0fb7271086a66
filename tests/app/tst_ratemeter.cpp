// RateMeter with hand-made timestamps: every expected value below is worked
// out from the window arithmetic, no clock involved.
#include "RateMeter.h"

#include <QtTest>

using streamlab::RateMeter;

class TestRateMeter : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void emptyMeterHasNoRate();
    void steadyStreamMeasuresItsRate();
    void rateCoversOnlyTheTimeSinceStart();
    void firstSampleIsNotASpike();
    void oldSamplesLeaveTheWindow();
    void staleRingSlotsAreNotCounted();
    void ringReuseOverManyLaps();
    void timeGoingBackwardsCountsAtLatest();
    void eta();
    void resetForgets();
    void customWindow();
};

void TestRateMeter::emptyMeterHasNoRate()
{
    RateMeter m;
    QCOMPARE(m.rate(0), 0.0);
    QCOMPARE(m.rate(123456), 0.0);
    QCOMPARE(m.total(), 0);
    QCOMPARE(m.windowMs(), 2000);
    QCOMPARE(m.bucketMs(), 100);
}

void TestRateMeter::steadyStreamMeasuresItsRate()
{
    RateMeter m; // 2000 ms in 100 ms buckets
    m.restart(0);
    for (qint64 t = 10; t <= 9990; t += 10)
        m.add(10, t); // 1000 units/s
    // At 9995 the window starts at bucket 80 (8000 ms): samples 8000..9990 are
    // 200 x 10 units over 1995 ms.
    QCOMPARE(m.rate(9995), 2000.0 * 1000.0 / 1995.0);
    QCOMPARE(m.total(), 999 * 10);
}

void TestRateMeter::rateCoversOnlyTheTimeSinceStart()
{
    RateMeter m;
    m.restart(1000);
    m.add(500, 1200);
    m.add(500, 1500);
    // 1000 units in the 500 ms since the start, not spread over the 2 s window.
    QCOMPARE(m.rate(1500), 2000.0);
}

void TestRateMeter::firstSampleIsNotASpike()
{
    RateMeter m;
    m.restart(0);
    m.add(100, 1);
    // Spread over at least one bucket (100 ms), not over 1 ms.
    QCOMPARE(m.rate(1), 1000.0);

    RateMeter n; // without restart the meter starts at the first add
    n.add(500, 1000);
    QCOMPARE(n.rate(1000), 5000.0);
    QCOMPARE(n.rate(1500), 1000.0);
}

void TestRateMeter::oldSamplesLeaveTheWindow()
{
    RateMeter m;
    m.restart(0);
    m.add(1000, 50);
    m.add(1000, 1050);
    QCOMPARE(m.rate(1950), 2000.0 * 1000.0 / 1950.0);
    // At 2150 the window starts at bucket 2 (200 ms): the sample at 50 is out.
    QCOMPARE(m.rate(2150), 1000.0 * 1000.0 / 1950.0);
    // Long after: nothing in the window.
    QCOMPARE(m.rate(3200), 0.0);
    QCOMPARE(m.total(), 2000);
}

void TestRateMeter::staleRingSlotsAreNotCounted()
{
    // Slot 0 of the ring holds bucket 0; bucket 20 maps to the same slot and
    // must replace it, not add to it.
    RateMeter m;
    m.restart(0);
    m.add(1000, 50);
    m.add(5, 2050);
    QCOMPARE(m.rate(2050), 5.0 * 1000.0 / 1950.0);

    // A slot that was not overwritten but is older than the window is skipped.
    RateMeter n;
    n.restart(0);
    n.add(1000, 50);  // slot 0, bucket 0
    n.add(5, 2150);   // slot 1, bucket 21; the window is buckets 2..21
    QCOMPARE(n.rate(2150), 5.0 * 1000.0 / 1950.0);
}

void TestRateMeter::ringReuseOverManyLaps()
{
    // A million samples (hundreds of laps of the ring): the memory is the ring,
    // and the rate is still the recent one.
    RateMeter m;
    m.restart(0);
    qint64 t = 0;
    for (int i = 0; i < 1000000; ++i) {
        t += 1;
        m.add(i < 900000 ? 1 : 3, t); // 1000/s, then 3000/s for the last 100 s
    }
    QCOMPARE(t, 1000000);
    // Window at t=1000000: buckets 9981..10000, i.e. 998100..1000000 ms.
    QCOMPARE(m.rate(t), 1901.0 * 3.0 * 1000.0 / 1900.0);
    QCOMPARE(m.total(), 900000 + 3 * 100000);
}

void TestRateMeter::timeGoingBackwardsCountsAtLatest()
{
    RateMeter m;
    m.restart(0);
    m.add(100, 1000);
    m.add(100, 900); // counted at 1000
    QCOMPARE(m.total(), 200);
    QCOMPARE(m.rate(1000), 200.0);
    QCOMPARE(m.rate(500), 200.0); // asking about the past answers for the latest time
}

void TestRateMeter::eta()
{
    RateMeter m;
    QCOMPARE(m.etaSeconds(1000, 0), -1.0); // no rate yet
    m.restart(0);
    QCOMPARE(m.etaSeconds(1000, 500), -1.0); // started, nothing moved
    m.add(1000, 500);
    QCOMPARE(m.rate(1000), 1000.0);
    QCOMPARE(m.etaSeconds(5000, 1000), 5.0);
    QCOMPARE(m.etaSeconds(0, 1000), 0.0);
    QCOMPARE(m.etaSeconds(-3, 1000), 0.0);
    QCOMPARE(m.etaSeconds(5000, 10000), -1.0); // stalled: the rate fell to 0
}

void TestRateMeter::resetForgets()
{
    RateMeter m;
    m.restart(0);
    m.add(1000, 100);
    m.reset();
    QCOMPARE(m.total(), 0);
    QCOMPARE(m.rate(200), 0.0);
    m.add(300, 5000); // starts again here
    QCOMPARE(m.total(), 300);
    QCOMPARE(m.rate(5300), 1000.0);

    m.restart(10000);
    QCOMPARE(m.total(), 0);
    QCOMPARE(m.rate(10500), 0.0);
}

void TestRateMeter::customWindow()
{
    RateMeter m(1000, 10); // 100 ms buckets, 1 s window
    QCOMPARE(m.windowMs(), 1000);
    m.restart(0);
    m.add(100, 50);
    m.add(100, 1050);
    // At 1050 the window is buckets 1..10 (100..1050 ms): only the second sample.
    QCOMPARE(m.rate(1050), 100.0 * 1000.0 / 950.0);

    RateMeter tiny(5, 20); // a window smaller than its bucket count still works
    QCOMPARE(tiny.bucketMs(), 1);
    QCOMPARE(tiny.windowMs(), 20);
}

QTEST_APPLESS_MAIN(TestRateMeter)
#include "tst_ratemeter.moc"
