#pragma once
// What the main window needs from every tab: its settings, and a way to stop
// its calls when the window closes (CallTracker cancels them as well).

#include <QWidget>

class QSettings;

namespace streamlab {

class LabTab : public QWidget {
    Q_OBJECT
public:
    using QWidget::QWidget;
    virtual void saveSettings(QSettings& settings) const = 0;
    virtual void restoreSettings(const QSettings& settings) = 0;
};

} // namespace streamlab
