#pragma once
// Charts stacked in a column over one time axis: their plot areas start and
// end at the same x, so a moment (a stall's marker) is at the same place in
// each. Qt Charts sizes each plot on its own: a wider y label ("0.75" against
// "20") or the time labels' overhang under the last chart moved the plots a
// few pixels apart. This adds to each chart's left and right margin what
// lines it up with the narrowest plot.

#include <QList>
#include <QObject>
#include <QTimer>

class QChart;

namespace streamlab {

class PlotColumn : public QObject {
    Q_OBJECT
public:
    // The charts must be as wide as each other and one above the other.
    explicit PlotColumn(const QList<QChart*>& charts, QObject* parent = nullptr);

private:
    void align();

    struct Member {
        QChart* chart = nullptr;
        int extraLeft = 0;    // what this object added to the chart's margins
        int extraRight = 0;
    };
    QList<Member> m_members;
    QTimer m_pending;   // one alignment after a burst of layout changes
};

} // namespace streamlab
