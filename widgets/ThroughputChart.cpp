#include "ThroughputChart.h"

#include <QChart>
#include <QEvent>
#include <QGraphicsItem>
#include <QGraphicsLayout>
#include <QLegend>
#include <QLineSeries>
#include <QPainter>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <limits>

namespace streamlab {

namespace {
const QColor kMarkerColour(0xe6, 0x51, 0x00);

// The smallest of 1, 2, 2.5, 5 x 10^n that is >= v (v > 0): round axis ends
// and tick steps.
double niceCeil(double v)
{
    const double magnitude = std::pow(10.0, std::floor(std::log10(v)));
    for (double f : {1.0, 2.0, 2.5, 5.0, 10.0}) {
        if (f * magnitude >= v * (1 - 1e-9))
            return f * magnitude;
    }
    return 10.0 * magnitude;
}
// The x span of a growing axis: the first of a few fixed steps (so that the
// labels do not change every frame) that holds "now", at most the window.
double growingSpan(double latest, double window)
{
    for (double step : {2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0, 120.0, 300.0}) {
        if (step >= window)
            break;
        if (latest <= step)
            return step;
    }
    return window;
}

void setAxisRange(QValueAxis* axis, double min, double max, double tickInterval)
{
    if (axis->min() == min && axis->max() == max && axis->tickInterval() == tickInterval)
        return;
    // Never pass through a state with a huge number of ticks (a big range with
    // the old small interval): laying out thousands of labels takes seconds.
    if (tickInterval > axis->tickInterval()) {
        axis->setTickInterval(tickInterval);
        axis->setRange(min, max);
    } else {
        axis->setRange(min, max);
        axis->setTickInterval(tickInterval);
    }
}
} // namespace

// A dashed vertical line across the plot area with a small tag on top; its
// hover shape is a few pixels wide so the tooltip is easy to hit.
class ThroughputChart::Marker : public QGraphicsItem {
public:
    Marker(double t, const QString& label, QGraphicsItem* parent)
        : QGraphicsItem(parent), time(t), label(label)
    {
        setToolTip(label);
        setZValue(10);
    }

    void setSpan(qreal top, qreal bottom)
    {
        if (top == m_top && bottom == m_bottom)
            return;
        prepareGeometryChange();
        m_top = top;
        m_bottom = bottom;
    }

    QRectF boundingRect() const override { return QRectF(-kHalfWidth, m_top, 2 * kHalfWidth, m_bottom - m_top); }

    void paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*) override
    {
        p->setRenderHint(QPainter::Antialiasing);
        QPen pen(kMarkerColour, 1.2, Qt::DashLine);
        p->setPen(pen);
        p->drawLine(QPointF(0, m_top), QPointF(0, m_bottom));
        p->setPen(Qt::NoPen);
        p->setBrush(kMarkerColour);
        const QPointF tag[] = {{-kHalfWidth, m_top}, {kHalfWidth, m_top}, {0, m_top + kHalfWidth * 1.5}};
        p->drawPolygon(tag, 3);
    }

    const double time;
    const QString label;

private:
    static constexpr qreal kHalfWidth = 4;
    qreal m_top = 0;
    qreal m_bottom = 0;
};

// Handing the chart to the base constructor: setChart() on a default-built
// view orphans (leaks) the chart the view made for itself.
ThroughputChart::ThroughputChart(QWidget* parent)
    : QChartView(new QChart(), parent)
    , m_chart(chart())
{
    m_chart->setAnimationOptions(QChart::NoAnimation);
    m_chart->setBackgroundRoundness(0);
    m_chart->setMargins(QMargins(2, 2, 2, 2));
    m_chart->layout()->setContentsMargins(0, 0, 0, 0);
    m_chart->legend()->setAlignment(Qt::AlignBottom);
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    m_chart->legend()->setFont(small);

    m_axisX = new QValueAxis(m_chart);
    m_axisX->setLabelFormat(QStringLiteral("%.4g s")); // "0.5 s" on a growing axis, "30 s"
    m_axisX->setTickType(QValueAxis::TicksDynamic);
    m_axisX->setTickAnchor(0);
    m_axisX->setTickInterval(5);
    m_axisX->setLabelsFont(small);
    m_axisY = new QValueAxis(m_chart);
    m_axisY->setLabelFormat(QStringLiteral("%.4g")); // "75", "0.25": no trailing ".0"
    m_axisY->setTickType(QValueAxis::TicksDynamic);
    m_axisY->setTickAnchor(0);
    m_axisY->setTickInterval(0.25);
    m_axisY->setLabelsFont(small);
    m_axisY->setTitleFont(small);
    m_chart->addAxis(m_axisX, Qt::AlignBottom);
    m_chart->addAxis(m_axisY, Qt::AlignLeft);

    setRenderHint(QPainter::Antialiasing);
    setFrameShape(QFrame::NoFrame);
    setMinimumHeight(120);

    connect(m_chart, &QChart::plotAreaChanged, this, [this](const QRectF& area) {
        // A new height may hold a different number of y labels.
        if (int(area.height() / 26) != m_labelRows) {
            m_labelRows = int(area.height() / 26);
            rescale();
        } else {
            placeMarkers();
        }
    });
    applyPalette();
    rescale();
}

ThroughputChart::~ThroughputChart() = default;

int ThroughputChart::addSeries(const QString& name, const QColor& colour)
{
    auto* s = new QLineSeries(m_chart);
    s->setName(name);
    s->setPen(QPen(colour, 1.8));
    m_chart->addSeries(s); // the chart takes ownership
    s->attachAxis(m_axisX);
    s->attachAxis(m_axisY);
    m_series.push_back(s);
    applyPalette(); // the new legend entry's label colour
    return int(m_series.size()) - 1;
}

QLineSeries* ThroughputChart::series(int index) const
{
    return (index >= 0 && index < seriesCount()) ? m_series[size_t(index)] : nullptr;
}

void ThroughputChart::addPoint(int seriesIndex, double tSeconds, double value)
{
    QLineSeries* s = series(seriesIndex);
    if (!s || !std::isfinite(tSeconds) || !std::isfinite(value))
        return;
    s->append(tSeconds, value);
    m_latest = m_hasPoints ? std::max(m_latest, tSeconds) : tSeconds;
    m_hasPoints = true;
    prune();
    rescale();
}

void ThroughputChart::markEvent(double tSeconds, const QString& label)
{
    if (!std::isfinite(tSeconds))
        return;
    // A marker is an event in time like a point: it moves "now" forward.
    m_latest = m_hasPoints ? std::max(m_latest, tSeconds) : tSeconds;
    m_hasPoints = true;
    auto* m = new Marker(tSeconds, label, m_chart);
    // Keep them in time order so pruning only looks at the front.
    auto pos = std::upper_bound(m_markers.begin(), m_markers.end(), tSeconds,
                                [](double t, const Marker* mk) { return t < mk->time; });
    m_markers.insert(pos, m);
    prune();
    rescale();
    placeMarkers();
}

QString ThroughputChart::markerLabel(int index) const
{
    return (index >= 0 && index < markerCount()) ? m_markers[size_t(index)]->label : QString();
}

double ThroughputChart::markerTime(int index) const
{
    return (index >= 0 && index < markerCount()) ? m_markers[size_t(index)]->time : 0.0;
}

void ThroughputChart::clear()
{
    for (QLineSeries* s : m_series)
        s->clear();
    for (Marker* m : m_markers)
        delete m;
    m_markers.clear();
    m_latest = 0;
    m_hasPoints = false;
    rescale();
}

void ThroughputChart::setWindowSeconds(double seconds)
{
    m_windowSeconds = std::max(seconds, 0.1);
    prune();
    rescale();
    placeMarkers();
}

void ThroughputChart::setGrowingXAxis(bool on)
{
    m_growingXAxis = on;
    rescale();
}

void ThroughputChart::setUnit(const QString& unit)
{
    m_axisY->setTitleText(unit);
    m_axisY->setTitleVisible(!unit.isEmpty());
}

QString ThroughputChart::unit() const
{
    return m_axisY->titleText();
}

void ThroughputChart::prune()
{
    const double cutoff = m_latest - m_windowSeconds;
    for (QLineSeries* s : m_series) {
        int old = 0;
        const int n = s->count();
        while (old < n && s->at(old).x() < cutoff)
            ++old;
        if (old > 0)
            s->removePoints(0, old);
    }
    auto keep = std::find_if(m_markers.begin(), m_markers.end(),
                             [cutoff](const Marker* m) { return m->time >= cutoff; });
    for (auto it = m_markers.begin(); it != keep; ++it)
        delete *it;
    m_markers.erase(m_markers.begin(), keep);
}

void ThroughputChart::rescale()
{
    // x: a window that starts at 0 until it fills, then scrolls with "now".
    const double span = m_growingXAxis ? growingSpan(m_latest, m_windowSeconds) : m_windowSeconds;
    const double xMax = std::max(m_latest, span);
    const double xMin = xMax - span;

    double lo = std::numeric_limits<double>::max();
    double hi = std::numeric_limits<double>::lowest();
    for (const QLineSeries* s : m_series) {
        const int n = s->count();
        for (int i = 0; i < n; ++i) {
            const double y = s->at(i).y();
            lo = std::min(lo, y);
            hi = std::max(hi, y);
        }
    }
    // y: from 0 (rates) to a round value above the highest point in the window.
    double yMin = 0;
    double yMax = 1;
    if (hi >= lo) { // there are points
        if (lo < 0)
            yMin = -niceCeil(-lo * 1.05);
        if (hi > 0)
            yMax = niceCeil(hi * 1.05);
        else if (yMin < 0)
            yMax = 0;
    }

    setAxisRange(m_axisX, xMin, xMax, niceCeil(span / 6.0));
    // As many y labels as the plot's height holds (a short chart would elide them all to "…").
    const double plotHeight = m_chart->plotArea().height();
    const int intervals = plotHeight > 0 ? std::clamp(int(plotHeight / 26), 1, 4) : 4;
    setAxisRange(m_axisY, yMin, yMax, niceCeil((yMax - yMin) / intervals));
    placeMarkers();
}

void ThroughputChart::placeMarkers()
{
    const QRectF area = m_chart->plotArea();
    const double xMin = m_axisX->min();
    const double span = m_axisX->max() - xMin;
    for (Marker* m : m_markers) {
        const bool inside = span > 0 && m->time >= xMin && m->time <= xMin + span;
        m->setVisible(inside && area.isValid());
        if (!m->isVisible())
            continue;
        m->setPos(area.left() + (m->time - xMin) / span * area.width(), 0);
        m->setSpan(area.top(), area.bottom());
    }
}

void ThroughputChart::applyPalette()
{
    // Follow the widget palette (light or dark) instead of a fixed chart theme.
    const QPalette pal = palette();
    const QColor text = pal.color(QPalette::Text);
    QColor grid = pal.color(QPalette::Mid);
    grid.setAlpha(90);
    m_chart->setBackgroundBrush(pal.color(QPalette::Base));
    m_chart->setBackgroundPen(Qt::NoPen);
    m_chart->legend()->setLabelColor(text);
    for (QValueAxis* a : {m_axisX, m_axisY}) {
        a->setLabelsColor(text);
        a->setTitleBrush(text);
        a->setLinePenColor(pal.color(QPalette::Mid));
        a->setGridLineColor(grid);
        a->setMinorGridLineVisible(false);
    }
}

void ThroughputChart::changeEvent(QEvent* event)
{
    if (event->type() == QEvent::PaletteChange)
        applyPalette();
    QChartView::changeEvent(event);
}

} // namespace streamlab
