#include "ScrollPage.h"

#include "LabTab.h"

#include <QEvent>
#include <QLayout>
#include <QScrollBar>

#include <algorithm>

namespace streamlab {

ScrollPage::ScrollPage(QWidget* content, QWidget* parent) : QScrollArea(parent)
{
    setObjectName(content->objectName() + QStringLiteral("Page"));
    setFrameShape(QFrame::NoFrame);
    setWidgetResizable(false);   // sized here instead: see the header
    setWidget(content);
    content->installEventFilter(this);
}

void ScrollPage::reveal(QWidget* widget)
{
    for (QWidget* up = widget ? widget->parentWidget() : nullptr; up; up = up->parentWidget()) {
        if (auto* page = qobject_cast<ScrollPage*>(up)) {
            page->ensureWidgetVisible(widget, 0, 0);
            return;
        }
    }
}

void ScrollPage::resizeEvent(QResizeEvent* event)
{
    QScrollArea::resizeEvent(event);
    fitContent();
}

bool ScrollPage::eventFilter(QObject* watched, QEvent* event)
{
    // The tab's minimum changed (a longer text, a shown widget).
    if (watched == widget() && event->type() == QEvent::LayoutRequest)
        fitContent();
    return QScrollArea::eventFilter(watched, event);
}

void ScrollPage::fitContent()
{
    QWidget* content = widget();
    if (!content)
        return;
    const QSize room = maximumViewportSize();   // without scroll bars
    const int barWidth = verticalScrollBar()->sizeHint().width();
    const int barHeight = horizontalScrollBar()->sizeHint().height();
    // Let the tab choose its arrangement first (its minimum follows it);
    // leave room for a vertical bar so that a side-by-side arrangement
    // never needs a sideways one.
    if (auto* tab = qobject_cast<LabTab*>(content))
        tab->arrangeForWidth(room.width() - barWidth);
    const QSize minimum = content->minimumSizeHint().expandedTo(content->minimumSize());
    // Word-wrapped labels need more height at a narrow width than the
    // minimum size says: ask the layout for the width it will get.
    auto minimumHeightAt = [&](int width) {
        const QLayout* layout = content->layout();
        const int forWidth = layout && layout->hasHeightForWidth() ? layout->totalMinimumHeightForWidth(width) : 0;
        return std::max(minimum.height(), forWidth);
    };
    // A scroll bar in one direction takes its breadth from the other; once
    // needed it stays needed, so this settles within a few passes.
    bool vertical = false;
    bool horizontal = false;
    QSize size;
    for (int pass = 0; pass < 3; ++pass) {
        const int roomWidth = room.width() - (vertical ? barWidth : 0);
        const int roomHeight = room.height() - (horizontal ? barHeight : 0);
        size.setWidth(std::max(roomWidth, minimum.width()));
        size.setHeight(std::max(roomHeight, minimumHeightAt(size.width())));
        const bool needVertical = vertical || size.height() > roomHeight;
        const bool needHorizontal = horizontal || size.width() > roomWidth;
        if (needVertical == vertical && needHorizontal == horizontal)
            break;
        vertical = needVertical;
        horizontal = needHorizontal;
    }
    if (content->size() != size)
        content->resize(size);
}

} // namespace streamlab
