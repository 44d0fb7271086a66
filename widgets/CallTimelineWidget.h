#pragma once
// The call timeline that sits at the bottom of every tab: a one-line summary
// of the current call (method, elapsed, messages and bytes each way, status)
// over a table of its trace lines. It follows the newest line unless the user
// has scrolled up to read something.

#include "CallTrace.h"

#include <QList>
#include <QString>
#include <QWidget>

#include <memory>

class QTableView;

namespace Ui {
class CallTimelineWidget;
}

namespace streamlab {

class CallTimelineModel;

class CallTimelineWidget : public QWidget {
    Q_OBJECT
public:
    explicit CallTimelineWidget(QWidget* parent = nullptr);
    ~CallTimelineWidget() override;

    void beginCall(const QString& method);
    void append(const QList<streamlab::CallTraceEntry>& entries);
    CallTimelineModel* model() const { return m_model; }

    QTableView* view() const;
    // True while the view sticks to the newest line: at the start, and again
    // whenever the user scrolls back to the bottom.
    bool isFollowingNewest() const { return m_follow; }
    // The full summary line (the label may show it elided).
    QString summaryText() const { return m_summary; }

protected:
    void changeEvent(QEvent* event) override;

private:
    void setUpColumns();
    void updateSummary();

    std::unique_ptr<Ui::CallTimelineWidget> m_ui;
    CallTimelineModel* m_model = nullptr;
    QString m_summary;
    bool m_follow = true;
    int m_rowsBeingRemoved = 0;
};

} // namespace streamlab
