#include "PaneSplitter.h"

#include <QChildEvent>
#include <QEvent>
#include <QLayout>

#include <algorithm>

namespace streamlab {

namespace {
// A pane's own minimum height (from its form, or 0), kept apart from the one
// set here, which changes with the width.
constexpr char kOwnMinimum[] = "streamlabPaneOwnMinimumHeight";
} // namespace

PaneSplitter::PaneSplitter(QWidget* parent) : QSplitter(parent) {}

PaneSplitter::PaneSplitter(Qt::Orientation orientation, QWidget* parent) : QSplitter(orientation, parent) {}

void PaneSplitter::childEvent(QChildEvent* event)
{
    QSplitter::childEvent(event);
    // Every child widget is watched; the handles the splitter makes itself
    // have no layout, so fitPane() passes over them. (Telling them apart here
    // does not work: a child is announced from its base constructor.)
    if (event->added() && event->child()->isWidgetType())
        event->child()->installEventFilter(this);
    else if (event->removed())
        event->child()->removeEventFilter(this);
}

bool PaneSplitter::eventFilter(QObject* watched, QEvent* event)
{
    // A new width, or content that changed (a longer text, a shown part).
    if ((event->type() == QEvent::Resize || event->type() == QEvent::LayoutRequest) && watched->parent() == this)
        fitPane(static_cast<QWidget*>(watched));
    return QSplitter::eventFilter(watched, event);
}

void PaneSplitter::fitPane(QWidget* pane)
{
    QLayout* layout = pane->layout();
    if (!layout || !layout->hasHeightForWidth())
        return;
    QVariant own = pane->property(kOwnMinimum);
    if (!own.isValid()) {
        own = pane->minimumHeight();
        pane->setProperty(kOwnMinimum, own);
    }
    const int needs = std::max(own.toInt(), layout->totalMinimumHeightForWidth(pane->width()));
    if (pane->minimumHeight() != needs)
        pane->setMinimumHeight(needs);   // the splitter, and the page above it, follow
}

} // namespace streamlab
