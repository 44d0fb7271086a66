#include "LiveValueLabel.h"

namespace streamlab {

LiveValueLabel::LiveValueLabel(QWidget* parent) : QLabel(parent)
{
    setTextFormat(Qt::PlainText);   // rich text would lay out a document on every update
    setWordWrap(false);             // a wrapped label's height depends on its width: not fixable
}

void LiveValueLabel::showValue(const QString& text)
{
    if (text == this->text())
        return;
    setText(text);   // with the size fixed already, this only repaints
    // The size hint of plain, unwrapped text: its widest line by its lines.
    const QSize grown = sizeHint().expandedTo(minimumSize());
    if (grown != minimumSize() || grown != maximumSize())
        setFixedSize(grown);   // the rare relayout: a wider value than ever before
}

} // namespace streamlab
