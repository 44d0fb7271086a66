#pragma once
// A tab's page: the tab at the page's size, but never below the tab's
// minimum size — below it, the page scrolls. So a window can be smaller than
// the largest tab (a 1366×768 screen, two windows side by side) and nothing
// is squeezed. QScrollArea's own resizing does not serve: it never gives a
// page with word-wrapped labels less than its preferred height for the
// width, so every tab would scroll in a short window even where it fits.

#include <QScrollArea>

namespace streamlab {

class ScrollPage : public QScrollArea {
    Q_OBJECT
public:
    // Takes `content` (a tab) as its widget.
    explicit ScrollPage(QWidget* content, QWidget* parent = nullptr);

    // Scrolls the page that holds `widget`, if any, until it is in view (a
    // result that appeared below the fold of a short window).
    static void reveal(QWidget* widget);

protected:
    void resizeEvent(QResizeEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void fitContent();
};

} // namespace streamlab
