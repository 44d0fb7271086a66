#pragma once
// A QSplitter that gives each pane at least the height its content needs at
// the pane's width. QSplitter on its own asks a pane only for its minimum
// size, which for word-wrapped text is the height of a wide pane: in a narrow
// window the splitter squeezed the flow lab's results and charts over each
// other, and the page (ScrollPage) could not see that it had to scroll. Here
// each pane's minimum height follows its layout's minimum height for its
// width, so the splitter never goes below it and the tab's minimum size says
// so.

#include <QSplitter>

namespace streamlab {

class PaneSplitter : public QSplitter {
    Q_OBJECT
public:
    explicit PaneSplitter(QWidget* parent = nullptr);
    explicit PaneSplitter(Qt::Orientation orientation, QWidget* parent = nullptr);

protected:
    void childEvent(QChildEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void fitPane(QWidget* pane);
};

} // namespace streamlab
