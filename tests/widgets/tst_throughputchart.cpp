// ThroughputChart: the window keeps only its points and markers, the axes
// follow the data, clear() starts over.
#include "ThroughputChart.h"

#include <QChart>
#include <QGraphicsItem>
#include <QLegend>
#include <QLineSeries>
#include <QValueAxis>
#include <QtTest>

using streamlab::ThroughputChart;

class TestThroughputChart : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void setup();
    void keepsOnlyTheWindowsPoints();
    void axesFollowTheData();
    void markersLeaveWithTheWindow();
    void clearStartsOver();
    void ignoresBadInput();
    void windowCanChange();
    void growingAxisFitsShortRuns();
};

void TestThroughputChart::setup()
{
    ThroughputChart chart;
    QCOMPARE(chart.windowSeconds(), 30.0);
    QCOMPARE(chart.chart()->animationOptions(), QChart::NoAnimation);
    QVERIFY(chart.renderHints().testFlag(QPainter::Antialiasing));
    QCOMPARE(chart.chart()->legend()->alignment(), Qt::AlignBottom);
    QCOMPARE(chart.addSeries(QStringLiteral("sent"), Qt::blue), 0);
    QCOMPARE(chart.addSeries(QStringLiteral("received"), Qt::red), 1);
    QCOMPARE(chart.seriesCount(), 2);
    QCOMPARE(chart.series(1)->name(), QStringLiteral("received"));
    QCOMPARE(chart.series(1)->pen().color(), QColor(Qt::red));
    QCOMPARE(chart.series(2), nullptr);
    chart.setUnit(QStringLiteral("MB/s"));
    QCOMPARE(chart.unit(), QStringLiteral("MB/s"));
    QCOMPARE(chart.axisY()->titleText(), QStringLiteral("MB/s"));
}

void TestThroughputChart::keepsOnlyTheWindowsPoints()
{
    ThroughputChart chart;
    chart.setWindowSeconds(10);
    const int a = chart.addSeries(QStringLiteral("a"), Qt::blue);
    const int b = chart.addSeries(QStringLiteral("b"), Qt::red);
    // Two minutes at 30 Hz: 3600 points each.
    for (int i = 0; i <= 3600; ++i) {
        const double t = i / 30.0;
        chart.addPoint(a, t, 1.0);
        chart.addPoint(b, t, 2.0);
        QVERIFY(chart.series(a)->count() <= 302);
    }
    const double now = 120.0;
    QCOMPARE(chart.latestTime(), now);
    for (int s : {a, b}) {
        const QList<QPointF> pts = chart.series(s)->points();
        QVERIFY(!pts.isEmpty());
        // Exactly the points of [110 s, 120 s] (301 of them), in order.
        QCOMPARE(pts.size(), 301);
        QVERIFY(pts.first().x() >= now - 10 - 1e-9);
        QVERIFY(pts.first().x() < now - 10 + 1.0 / 30);
        QCOMPARE(pts.last().x(), now);
    }
}

void TestThroughputChart::axesFollowTheData()
{
    ThroughputChart chart;
    const int s = chart.addSeries(QStringLiteral("upload"), Qt::darkGreen);
    // Before the window fills, x runs from 0 to the window.
    chart.addPoint(s, 1, 3.0);
    chart.addPoint(s, 2, 7.0);
    QCOMPARE(chart.axisX()->min(), 0.0);
    QCOMPARE(chart.axisX()->max(), 30.0);
    QCOMPARE(chart.axisY()->min(), 0.0);
    QVERIFY(chart.axisY()->max() >= 7.0);
    QCOMPARE(chart.axisY()->max(), 10.0); // a round value above 7

    // Then it scrolls with the newest point.
    chart.addPoint(s, 45, 120.0);
    QCOMPARE(chart.axisX()->min(), 15.0);
    QCOMPARE(chart.axisX()->max(), 45.0);
    QCOMPARE(chart.axisY()->max(), 200.0);

    // When the peak leaves the window, y comes back down.
    chart.addPoint(s, 76, 4.0);
    QCOMPARE(chart.series(s)->count(), 1);
    QCOMPARE(chart.axisY()->max(), 5.0);
}

void TestThroughputChart::markersLeaveWithTheWindow()
{
    ThroughputChart chart;
    chart.resize(500, 250);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    const int s = chart.addSeries(QStringLiteral("sent"), Qt::blue);
    for (int t = 0; t <= 20; ++t)
        chart.addPoint(s, t, 10);
    chart.markEvent(5, QStringLiteral("stall 3.0 s"));
    chart.markEvent(12.5, QStringLiteral("stall 0.4 s"));
    QCOMPARE(chart.markerCount(), 2);
    QCOMPARE(chart.markerLabel(0), QStringLiteral("stall 3.0 s"));
    QCOMPARE(chart.markerTime(1), 12.5);

    // The marker is a scene item with the label as tooltip, placed at its time.
    QGraphicsItem* marker = nullptr;
    for (QGraphicsItem* item : chart.scene()->items()) {
        if (item->toolTip() == QLatin1String("stall 0.4 s"))
            marker = item;
    }
    QVERIFY(marker);
    QVERIFY(marker->isVisible());
    const QRectF area = chart.chart()->plotArea();
    QVERIFY(area.isValid());
    QCOMPARE(marker->pos().x(), area.left() + 12.5 / 30.0 * area.width());

    for (int t = 21; t <= 40; ++t)
        chart.addPoint(s, t, 10); // the window is now 10..40 s
    QCOMPARE(chart.markerCount(), 1);
    QCOMPARE(chart.markerLabel(0), QStringLiteral("stall 0.4 s"));
    QCOMPARE(marker->pos().x(), chart.chart()->plotArea().left() + 2.5 / 30.0 * chart.chart()->plotArea().width());
    for (int t = 41; t <= 45; ++t)
        chart.addPoint(s, t, 10);
    QCOMPARE(chart.markerCount(), 0);
}

void TestThroughputChart::clearStartsOver()
{
    ThroughputChart chart;
    const int s = chart.addSeries(QStringLiteral("events/s"), Qt::blue);
    for (int t = 0; t < 100; ++t)
        chart.addPoint(s, t, 1000);
    chart.markEvent(99, QStringLiteral("x"));
    chart.clear();
    QCOMPARE(chart.seriesCount(), 1);
    QCOMPARE(chart.series(s)->count(), 0);
    QCOMPARE(chart.markerCount(), 0);
    QCOMPARE(chart.axisX()->min(), 0.0);
    QCOMPARE(chart.axisX()->max(), 30.0);
    QCOMPARE(chart.axisY()->max(), 1.0);
    chart.addPoint(s, 0.5, 2);
    QCOMPARE(chart.series(s)->count(), 1);
    QCOMPARE(chart.latestTime(), 0.5);
}

void TestThroughputChart::ignoresBadInput()
{
    ThroughputChart chart;
    const int s = chart.addSeries(QStringLiteral("a"), Qt::blue);
    chart.addPoint(7, 1, 1);  // no such series
    chart.addPoint(-1, 1, 1);
    chart.addPoint(s, qQNaN(), 1);
    chart.addPoint(s, 1, qInf());
    QCOMPARE(chart.series(s)->count(), 0);
    QCOMPARE(chart.axisX()->max(), 30.0);
}

void TestThroughputChart::windowCanChange()
{
    ThroughputChart chart;
    const int s = chart.addSeries(QStringLiteral("a"), Qt::blue);
    for (int t = 0; t <= 30; ++t)
        chart.addPoint(s, t, t);
    QCOMPARE(chart.series(s)->count(), 31);
    chart.setWindowSeconds(5);
    QCOMPARE(chart.series(s)->count(), 6); // 25..30
    QCOMPARE(chart.axisX()->min(), 25.0);
    QCOMPARE(chart.axisY()->max(), 50.0);
}

void TestThroughputChart::growingAxisFitsShortRuns()
{
    ThroughputChart chart;
    const int s = chart.addSeries(QStringLiteral("upload"), Qt::darkGreen);
    chart.setGrowingXAxis(true);
    QVERIFY(chart.growingXAxis());
    // A one-second run fills the plot instead of a thirtieth of it.
    chart.addPoint(s, 0.5, 600.0);
    chart.addPoint(s, 1.0, 640.0);
    QCOMPARE(chart.axisX()->min(), 0.0);
    QCOMPARE(chart.axisX()->max(), 2.0);
    QCOMPARE(chart.axisX()->tickInterval(), 0.5);
    // The span steps up with "now", not every frame.
    chart.addPoint(s, 2.2, 610.0);
    QCOMPARE(chart.axisX()->max(), 5.0);
    chart.addPoint(s, 4.9, 610.0);
    QCOMPARE(chart.axisX()->max(), 5.0);
    chart.addPoint(s, 12.0, 610.0);
    QCOMPARE(chart.axisX()->max(), 15.0);
    // Past the window it scrolls like any other chart; no point was dropped before.
    QCOMPARE(chart.series(s)->count(), 5);
    chart.addPoint(s, 40.0, 610.0);
    QCOMPARE(chart.axisX()->min(), 10.0);
    QCOMPARE(chart.axisX()->max(), 40.0);
    QCOMPARE(chart.series(s)->count(), 2);
    // Starting over starts small again; turned off, the axis is the window.
    chart.clear();
    chart.addPoint(s, 0.2, 1.0);
    QCOMPARE(chart.axisX()->max(), 2.0);
    chart.setGrowingXAxis(false);
    QCOMPARE(chart.axisX()->max(), 30.0);
}

QTEST_MAIN(TestThroughputChart)
#include "tst_throughputchart.moc"
