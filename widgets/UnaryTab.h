#pragma once
// Tab "Unary · GetUser": a lookup form, the result card, the status and
// latency, "repeat N" with p50/p99, and the call timeline.

#include "LabTab.h"
#include "UserLookup.h"

#include <memory>

class QSettings;

namespace Ui {
class UnaryTab;
}

namespace streamlab {

class Connection;

class UnaryTab : public LabTab {
    Q_OBJECT
public:
    explicit UnaryTab(Connection* connection, QWidget* parent = nullptr);
    ~UnaryTab() override;

    void saveSettings(QSettings& settings) const override;
    void restoreSettings(QSettings& settings) override;
    UserLookup* lookup() const { return m_lookup; }
    // Starts a lookup of what the id field holds (what Enter does).
    void lookUpEnteredId();

private:
    void startRepeat();
    void showResult(const LookupResult& result);
    void showStats(const LatencyStats& stats, bool final);
    void setBusy(bool busy);
    void clearCard();

    std::unique_ptr<Ui::UnaryTab> m_ui;
    UserLookup* m_lookup;
};

} // namespace streamlab
