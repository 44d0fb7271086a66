#pragma once
// A column of controls that scrolls up and down only when the window is too
// short for it. It is as wide as its content (never cut off sideways) and,
// where there is room, as tall: QScrollArea's own size hint stops at 24
// lines of text, so a taller column scrolled even in a tall window.

#include <QScrollArea>

namespace streamlab {

class ColumnScrollArea : public QScrollArea {
    Q_OBJECT
public:
    explicit ColumnScrollArea(QWidget* parent = nullptr);

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    int scrollBarWidth() const;
};

} // namespace streamlab
