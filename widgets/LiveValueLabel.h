#pragma once
// A label for a value that changes several times a second while a call runs
// (counters, rates, the server's write figures). Its size is fixed and only
// ever grows, so a new value repaints this label and nothing else: a plain
// QLabel whose text changes tells its window to redo the whole layout (the
// word-wrapped labels, group boxes and splitter of a tab), measured at 1-6 ms
// of GUI-thread time per update in the events tab during a flood — ten times
// a second, each one a late frame for the table beside it.

#include <QLabel>

namespace streamlab {

class LiveValueLabel : public QLabel {
    Q_OBJECT
public:
    explicit LiveValueLabel(QWidget* parent = nullptr);

    // Shows `text` (plain text unless the form sets another textFormat;
    // never wrapped); grows the label when it does not fit, never shrinks it
    // (a value that shrinks and grows again would move its neighbours back
    // and forth).
    void showValue(const QString& text);
};

} // namespace streamlab
