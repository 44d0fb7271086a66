#pragma once
// What the main window needs from every tab: its settings, and a way to stop
// its calls when the window closes (CallTracker cancels them as well).
// Restoring may take something out of the settings: what one copy of the app
// must have to itself (the chat tab's unsent lines), since two copies on one
// machine share the file.

#include <QWidget>

class QSettings;

namespace streamlab {

class LabTab : public QWidget {
    Q_OBJECT
public:
    using QWidget::QWidget;
    virtual void saveSettings(QSettings& settings) const = 0;
    virtual void restoreSettings(QSettings& settings) = 0;
    // The page (ScrollPage) has this much width for the tab. A tab whose
    // parts sit side by side may stack them when they would not fit, so the
    // page does not scroll sideways. Default: one arrangement for all widths.
    virtual void arrangeForWidth(int /*width*/) {}
};

} // namespace streamlab
