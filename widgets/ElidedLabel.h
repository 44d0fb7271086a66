#pragma once
// One line of text that changes often (a running call's summary), elided to
// the width the layout gives it, the whole line in the tooltip and on
// right-click > Copy. Unlike a QLabel, a new text never changes its size
// hint, so it repaints this widget and nothing else: a QLabel's setText asks
// its window for a new layout each time (1-6 ms of GUI-thread time in a tab,
// on every frame while a stream runs).

#include <QWidget>

namespace streamlab {

class ElidedLabel : public QWidget {
    Q_OBJECT
public:
    explicit ElidedLabel(QWidget* parent = nullptr);

    void setText(const QString& text);
    QString text() const { return m_text; }
    // For a line that changes rarely: ask the layout for the whole text's
    // width (a relayout per setText), still eliding when given less.
    void setPreferWholeText(bool prefer);
    // What is painted at the current width ("…" at the end when cut).
    QString shownText() const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    QString m_text;
    bool m_preferWholeText = false;
};

} // namespace streamlab
