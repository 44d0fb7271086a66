#pragma once
// A compact live chart: one or more named series over time (x: seconds since
// the start, y: a value in some unit such as "MB/s"), scrolling over the last
// windowSeconds(). Old points and markers are removed as they leave the
// window, so memory stays flat however long it runs. No animation: it is fed
// at ~30 Hz. With growing x axis on, a short run fills the plot: the axis
// spans 0 to the next of a few steps past "now" (2, 5, 10, 15, 20 s, ...)
// until the window is full, then scrolls as usual.

#include <QChartView>
#include <QColor>
#include <QList>
#include <QString>

#include <vector>

QT_FORWARD_DECLARE_CLASS(QLineSeries)
QT_FORWARD_DECLARE_CLASS(QValueAxis)

namespace streamlab {

class ThroughputChart : public QChartView {
    Q_OBJECT
public:
    static constexpr double DefaultWindowSeconds = 30.0;

    explicit ThroughputChart(QWidget* parent = nullptr);
    ~ThroughputChart() override;

    // Returns the new series' index for addPoint().
    int addSeries(const QString& name, const QColor& colour);
    int seriesCount() const { return int(m_series.size()); }
    QLineSeries* series(int index) const;

    // Points of one series must come in time order. Out-of-range indexes are
    // ignored.
    void addPoint(int seriesIndex, double tSeconds, double value);

    // A dashed vertical line at tSeconds, with `label` as its tooltip (the
    // flow-control lab marks stalls with it). Like a point, it moves "now"
    // forward, and it leaves with the window.
    void markEvent(double tSeconds, const QString& label);
    int markerCount() const { return int(m_markers.size()); }
    QString markerLabel(int index) const;
    double markerTime(int index) const;

    // Removes every point and marker; the series stay, the axes start over.
    void clear();

    void setWindowSeconds(double seconds);
    double windowSeconds() const { return m_windowSeconds; }
    void setGrowingXAxis(bool on);
    bool growingXAxis() const { return m_growingXAxis; }
    void setUnit(const QString& unit); // the y axis title
    QString unit() const;

    QValueAxis* axisX() const { return m_axisX; }
    QValueAxis* axisY() const { return m_axisY; }
    double latestTime() const { return m_latest; }

protected:
    void changeEvent(QEvent* event) override;

private:
    class Marker;

    void prune();
    void rescale();
    void placeMarkers();
    void applyPalette();

    QChart* m_chart = nullptr;
    QValueAxis* m_axisX = nullptr;
    QValueAxis* m_axisY = nullptr;
    std::vector<QLineSeries*> m_series;
    std::vector<Marker*> m_markers; // oldest first; owned by the chart's scene
    int m_labelRows = -1;   // y labels the plot's height held at the last rescale
    double m_windowSeconds = DefaultWindowSeconds;
    double m_latest = 0;
    bool m_hasPoints = false;
    bool m_growingXAxis = false;
};

} // namespace streamlab
