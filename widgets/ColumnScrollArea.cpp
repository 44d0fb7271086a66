#include "ColumnScrollArea.h"

#include <QEvent>
#include <QScrollBar>

namespace streamlab {

ColumnScrollArea::ColumnScrollArea(QWidget* parent) : QScrollArea(parent)
{
    setWidgetResizable(true);
    setFrameShape(QFrame::NoFrame);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    // Its height hint is the content's: a layout gives it that much where it
    // can, and less (it scrolls) where it cannot.
    setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Preferred);
}

int ColumnScrollArea::scrollBarWidth() const { return verticalScrollBar()->sizeHint().width(); }

QSize ColumnScrollArea::sizeHint() const
{
    if (!widget())
        return QScrollArea::sizeHint();
    // Room for the scroll bar always, so the width does not jump when it shows.
    const QSize content = widget()->sizeHint().expandedTo(widget()->minimumSizeHint());
    return {content.width() + scrollBarWidth(), content.height()};
}

QSize ColumnScrollArea::minimumSizeHint() const
{
    if (!widget())
        return QScrollArea::minimumSizeHint();
    // Full width; a few lines of height (the rest scrolls).
    return {widget()->minimumSizeHint().width() + scrollBarWidth(), 3 * fontMetrics().height()};
}

// The content's size changes (the style polishes it, a button's text grows):
// tell the layout that this widget's hints changed with it. (QScrollArea
// filters its widget's events already.)
bool ColumnScrollArea::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == widget() && event->type() == QEvent::LayoutRequest)
        updateGeometry();
    return QScrollArea::eventFilter(watched, event);
}

} // namespace streamlab
