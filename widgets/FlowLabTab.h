#pragma once
// Tab "Flow control": see HTTP/2 flow control stall a fast sender. Presets
// (one click each), the settings (scenario, message size, the receiving
// app's pace, the receive window, BDP probing, the guide's option), live
// charts of what the sender completed, what the receiving app consumed, the
// difference in flight and how long the sender's write has been blocked,
// stalls marked on them and explained with their numbers, the predicted
// window next to the measured stall onset, and the call timeline.

#include "FlowLab.h"
#include "LabTab.h"

#include <QTimer>

#include <memory>

namespace Ui {
class FlowLabTab;
}

class QPushButton;

namespace streamlab {

class Connection;
class StatusBadge;
class ThroughputChart;

struct FlowPreset {
    QString name;          // the button's text
    FlowSettings settings;
    QString expectation;   // what the user should see
};

class FlowLabTab : public LabTab {
    Q_OBJECT
public:
    explicit FlowLabTab(Connection* connection, QWidget* parent = nullptr);
    ~FlowLabTab() override;

    void saveSettings(QSettings& settings) const override;
    void restoreSettings(QSettings& settings) override;

    static QList<FlowPreset> presets();
    // Sets the controls to the preset and starts a run (what its button does).
    void runPreset(int index);
    // Starts a run with what the controls say (what Start and Enter do).
    void startRun();
    void stopRun();

    FlowLabCall* lab() const { return m_lab; }
    FlowSettings settingsFromControls() const;
    void setControls(const FlowSettings& settings);
    QList<QPushButton*> presetButtons() const;
    ThroughputChart* bytesChart() const;
    ThroughputChart* inFlightChart() const;
    ThroughputChart* blockedChart() const;
    StatusBadge* statusBadge() const;
    QString statusText() const;
    QString explanationText() const;
    QString onsetText() const;
    QString predictedText() const;

private:
    void setUpCharts();
    void setByteUnit(ThroughputChart* chart, int& unit, int wanted);
    void addBytes(ThroughputChart* chart, int& unit, int series, double t, qint64 bytes);
    void resetCharts();
    void showBatch(const FlowBatch& batch);
    void showFigures();
    void showExplanation();
    void onStarted();
    void onFinished(const CallStatus& status);
    void updateScenarioControls();
    void settingChanged(const QString& what);
    void restartForChange();
    void setRunning(bool running);

    std::unique_ptr<Ui::FlowLabTab> m_ui;
    FlowLabCall* m_lab;
    FlowSettings m_runSettings;   // what the run in progress was started with
    FlowWindowPrediction m_prediction;
    FlowRunSummary m_summary;
    FlowSample m_lastSample;
    bool m_hasSample = false;
    std::optional<FlowStall> m_lastStall;
    int m_markedStalls = 0;
    int m_bytesUnit = 1;      // index into the tab's byte units (MiB)
    int m_inFlightUnit = 0;   // KiB
    bool m_settingControls = false;
    QTimer m_restartTimer;
    QString m_changed;   // what changed, for the restart's message
    QString m_pendingNotice;
};

} // namespace streamlab
