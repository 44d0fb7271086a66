#include "PlotColumn.h"

#include <QChart>

#include <algorithm>
#include <climits>
#include <cmath>

namespace streamlab {

PlotColumn::PlotColumn(const QList<QChart*>& charts, QObject* parent) : QObject(parent)
{
    m_pending.setSingleShot(true);
    m_pending.setInterval(0);
    connect(&m_pending, &QTimer::timeout, this, &PlotColumn::align);
    for (QChart* chart : charts) {
        m_members.append({chart, 0, 0});
        connect(chart, &QChart::plotAreaChanged, &m_pending, qOverload<>(&QTimer::start));
    }
}

void PlotColumn::align()
{
    // Where each plot would be without our margins; then the innermost edges.
    int left = 0;
    int right = INT_MAX;
    for (const Member& m : std::as_const(m_members)) {
        const QRectF area = m.chart->plotArea();
        left = std::max(left, int(std::ceil(area.left())) - m.extraLeft);
        right = std::min(right, int(std::floor(area.right())) + m.extraRight);
    }
    for (Member& m : m_members) {
        const QRectF area = m.chart->plotArea();
        const int naturalLeft = int(std::ceil(area.left())) - m.extraLeft;
        const int naturalRight = int(std::floor(area.right())) + m.extraRight;
        const int extraLeft = left - naturalLeft;
        const int extraRight = naturalRight - right;
        if (extraLeft == m.extraLeft && extraRight == m.extraRight)
            continue;   // lined up already: no new layout, so no new round
        QMargins margins = m.chart->margins();
        margins.setLeft(margins.left() - m.extraLeft + extraLeft);
        margins.setRight(margins.right() - m.extraRight + extraRight);
        m.extraLeft = extraLeft;
        m.extraRight = extraRight;
        m.chart->setMargins(margins);
    }
}

} // namespace streamlab
