#include "FlowLabTab.h"

#include "CallTimelineWidget.h"
#include "Connection.h"
#include "PatternHeader.h"
#include "StatusBadge.h"
#include "ThroughputChart.h"
#include "ui_flowlabtab.h"

#include <QAbstractSpinBox>
#include <QKeySequence>
#include <QLegend>
#include <QLineSeries>
#include <QLocale>
#include <QSettings>
#include <QShortcut>
#include <QValueAxis>

namespace streamlab {

namespace {

enum BytesSeries { SenderSeries, ConsumedSeries };
enum InFlightSeries { InFlightSeriesIndex, WindowSeries };

constexpr int kRestartDebounceMs = 300;

// Chart units: binary byte units, switched up (and the points rescaled)
// before a label would need more than four digits.
struct ByteUnit {
    double bytes;
    const char* name;
};
constexpr ByteUnit kByteUnits[] = {{1024.0, "KiB"}, {1024.0 * 1024.0, "MiB"}, {1024.0 * 1024.0 * 1024.0, "GiB"}};
constexpr double kMaxAxisValue = 5000;

const QColor kSenderColour(0x15, 0x65, 0xc0);
const QColor kConsumedColour(0x2e, 0x7d, 0x32);
const QColor kInFlightColour(0x6a, 0x1b, 0x9a);
const QColor kWindowColour(0x75, 0x75, 0x75);
const QColor kBlockedColour(0xc6, 0x28, 0x28);

QString scenarioLine(const FlowSettings& s)
{
    const QString size = FlowLabCall::sizeText(s.messageBytes);
    if (s.scenario == FlowScenario::ServerToClient) {
        const QString pace = s.paused ? FlowLabTab::tr("the client app is paused (it asks for nothing)")
            : s.consumerDelayMs > 0   ? FlowLabTab::tr("the client app asks for one every %1 ms").arg(s.consumerDelayMs)
                                      : FlowLabTab::tr("the client app reads as fast as it can");
        return FlowLabTab::tr("A: the server writes %1 messages as fast as flow control lets it; %2.").arg(size, pace);
    }
    const QString pace = s.consumerDelayMs > 0 ? FlowLabTab::tr("the server app reads one every %1 ms").arg(s.consumerDelayMs)
                                               : FlowLabTab::tr("the server app reads as fast as it can");
    return FlowLabTab::tr("B: the client writes %1 messages as fast as flow control lets it and times each write; %2.").arg(size, pace);
}

} // namespace

QList<FlowPreset> FlowLabTab::presets()
{
    QList<FlowPreset> list;
    FlowSettings defaults;
    defaults.consumerDelayMs = 200;
    list.append({tr("Defaults — BDP grows the window to ~4 MiB"), defaults,
                 tr("gRPC's defaults and a reader that takes a message every 200 ms: the server completes 4 or 8 MiB at "
                    "once — the window BDP probing gave this connection — and only then waits.")});

    FlowSettings small;
    // 16 KiB messages, one per read: each write waits exactly as long as the
    // reader does. (A 16 KiB message does not quite fit a 16 KiB window — 5-byte
    // gRPC prefix + protobuf framing — so nothing completed waits in flight:
    // the start of the blocked message fills the window. With smaller
    // messages chttp2 batches its window updates and the sender moves in
    // bursts of several messages.)
    small.consumerDelayMs = 500;
    small.lookaheadBytes = 16 * 1024;
    small.bdpProbe = false;
    list.append({tr("16 KiB window, slow reader — stalls"), small,
                 tr("BDP off and lookahead_bytes 16384, 16 KiB messages: each write of the server waits for the reader, "
                    "which asks for the next message every 500 ms.")});

    FlowSettings guide = defaults;
    guide.guideInitialWindowSize = 16 * 1024;
    list.append({tr("The guide's option — no effect"), guide,
                 tr("The guide's grpc.http2.initial_window_size = 16384, set for real: gRPC C++ has no such option, so "
                    "the stall comes after 4 or 8 MiB, exactly as with the defaults.")});

    FlowSettings paused = small;
    paused.consumerDelayMs = 0;
    paused.paused = true;
    list.append({tr("Paused reader — sender blocked until resume"), paused,
                 tr("A 16 KiB window and a reader that takes the first message, then asks for nothing: the server "
                    "completes a window's worth and its next write is blocked as long as the pause lasts. Press Resume reader.")});

    FlowSettings upload;
    upload.scenario = FlowScenario::ClientToServer;
    upload.consumerDelayMs = 200;
    list.append({tr("Slow server reader — upload stalls"), upload,
                 tr("The client writes as fast as it can; the server app reads one message every 200 ms: once the "
                    "server's receive window is full, the client's own writes wait.")});
    return list;
}

FlowLabTab::FlowLabTab(Connection* connection, QWidget* parent)
    : LabTab(parent), m_ui(std::make_unique<Ui::FlowLabTab>()), m_lab(new FlowLabCall(connection, this))
{
    m_ui->setupUi(this);
    m_ui->header->setPattern(
        QStringLiteral("rpc Produce (ProduceRequest) returns (stream Payload);\nrpc Consume (stream Payload) returns (ConsumeResult);"),
        tr("Flow control: a stream's sender can only run a window ahead of what the receiving app has taken. "
           "It matters whenever a producer is faster than its consumer — downloads, uploads, feeds, telemetry."));
    m_ui->splitter->setStretchFactor(0, 5);
    m_ui->splitter->setStretchFactor(1, 1);
    QFont small = m_ui->channelNote->font();
    small.setPointSizeF(small.pointSizeF() * 0.9);
    m_ui->channelNote->setFont(small);
    m_ui->channelNote->setForegroundRole(QPalette::PlaceholderText);
    m_ui->channelValue->setFont(small);
    m_ui->predictedValue->setFont(small);
    QFont bold = m_ui->onsetCaption->font();
    bold.setBold(true);
    m_ui->onsetCaption->setFont(bold);
    m_ui->predictedCaption->setFont(bold);
    m_ui->onsetValue->setFont(bold);
    m_ui->explanation->setAutoFillBackground(true);

    const QList<FlowPreset> all = presets();
    const QList<QPushButton*> buttons = presetButtons();
    for (int i = 0; i < buttons.size() && i < all.size(); ++i) {
        buttons[i]->setToolTip(all[i].expectation);
        buttons[i]->setStyleSheet(QStringLiteral("text-align: left; padding: 3px 8px;"));
        connect(buttons[i], &QPushButton::clicked, this, [this, i] { runPreset(i); });
    }

    setUpCharts();
    m_restartTimer.setSingleShot(true);
    m_restartTimer.setInterval(kRestartDebounceMs);
    connect(&m_restartTimer, &QTimer::timeout, this, &FlowLabTab::restartForChange);

    connect(m_ui->startButton, &QPushButton::clicked, this, &FlowLabTab::startRun);
    connect(m_ui->stopButton, &QPushButton::clicked, this, &FlowLabTab::stopRun);
    connect(m_ui->pauseButton, &QPushButton::toggled, this, [this](bool paused) {
        m_ui->pauseButton->setText(paused ? tr("Res&ume reader") : tr("Pa&use reader"));
        if (m_settingControls)
            return;
        m_lab->setPaused(paused);
        m_runSettings.paused = paused;
        showExplanation();
    });
    connect(m_ui->delaySpin, qOverload<int>(&QSpinBox::valueChanged), this, [this](int ms) {
        if (m_settingControls)
            return;
        m_lab->setConsumerDelayMs(ms);   // live: no new connection needed
        m_runSettings.consumerDelayMs = ms;
    });
    connect(m_ui->scenarioA, &QRadioButton::toggled, this, [this] {
        updateScenarioControls();
        settingChanged(tr("The scenario"));
    });
    connect(m_ui->messageSpin, qOverload<int>(&QSpinBox::valueChanged), this, [this] { settingChanged(tr("The message size")); });
    connect(m_ui->lookaheadSpin, qOverload<int>(&QSpinBox::valueChanged), this, [this] { settingChanged(tr("The receive window")); });
    connect(m_ui->bdpCheck, &QCheckBox::toggled, this, [this] { settingChanged(tr("BDP probing")); });
    connect(m_ui->guideSpin, qOverload<int>(&QSpinBox::valueChanged), this, [this] { settingChanged(tr("The guide's option")); });

    auto* escape = new QShortcut(QKeySequence(Qt::Key_Escape), this);
    escape->setContext(Qt::WidgetWithChildrenShortcut);
    connect(escape, &QShortcut::activated, this, &FlowLabTab::stopRun);
    for (int key : {int(Qt::Key_Return), int(Qt::Key_Enter)}) {
        auto* enter = new QShortcut(QKeySequence(key), this);
        enter->setContext(Qt::WidgetWithChildrenShortcut);
        connect(enter, &QShortcut::activated, this, [this] {
            // Enter on a focused button presses it; anywhere else it starts a run.
            QWidget* focus = focusWidget();
            if (auto* button = qobject_cast<QPushButton*>(focus); button && button->isEnabled()) {
                button->click();
                return;
            }
            // A number being typed counts: take it before starting.
            if (auto* spin = qobject_cast<QAbstractSpinBox*>(focus))
                spin->interpretText();
            startRun();
        });
    }

    connect(m_lab, &StreamCall::started, this, [this](const QString& method) {
        m_ui->timeline->beginCall(method);
        onStarted();
    });
    connect(m_lab, &StreamCall::trace, m_ui->timeline, &CallTimelineWidget::append);
    connect(m_lab, &StreamCall::finished, this, &FlowLabTab::onFinished);
    connect(m_lab, &FlowLabCall::batch, this, &FlowLabTab::showBatch);
    connect(m_lab, &FlowLabCall::channelOpened, this, [this](const QString& description) {
        m_ui->channelValue->setText(description);
    });

    updateScenarioControls();
    m_prediction = FlowLabCall::predictWindow(settingsFromControls());
    showFigures();
    showExplanation();
    m_ui->channelValue->setText(tr("none yet: each run opens its own connection, apart from the app's main one "
                                   "(which carries the figures)."));
}

FlowLabTab::~FlowLabTab() = default;

QList<QPushButton*> FlowLabTab::presetButtons() const
{
    return {m_ui->presetDefaults, m_ui->presetSmallWindow, m_ui->presetGuide, m_ui->presetPaused, m_ui->presetUpload};
}

ThroughputChart* FlowLabTab::bytesChart() const { return m_ui->bytesChart; }
ThroughputChart* FlowLabTab::inFlightChart() const { return m_ui->inFlightChart; }
ThroughputChart* FlowLabTab::blockedChart() const { return m_ui->blockedChart; }
StatusBadge* FlowLabTab::statusBadge() const { return m_ui->statusBadge; }
QString FlowLabTab::statusText() const { return m_ui->statusText->text(); }
QString FlowLabTab::explanationText() const { return m_ui->explanation->text(); }
QString FlowLabTab::onsetText() const { return m_ui->onsetValue->text(); }
QString FlowLabTab::predictedText() const { return m_ui->predictedValue->text(); }

void FlowLabTab::setUpCharts()
{
    ThroughputChart* bytes = m_ui->bytesChart;
    bytes->addSeries(tr("sender completed"), kSenderColour);
    bytes->addSeries(tr("receiving app consumed"), kConsumedColour);
    bytes->setUnit(QString::fromLatin1(kByteUnits[m_bytesUnit].name));
    bytes->setToolTip(tr("Bytes the sender's writes have completed (passed flow control) and bytes the receiving app has taken"));

    ThroughputChart* inFlight = m_ui->inFlightChart;
    inFlight->addSeries(tr("in flight (completed − consumed)"), kInFlightColour);
    inFlight->addSeries(tr("predicted window"), kWindowColour);
    QPen dashed = inFlight->series(WindowSeries)->pen();
    dashed.setStyle(Qt::DashLine);
    inFlight->series(WindowSeries)->setPen(dashed);
    inFlight->setUnit(QString::fromLatin1(kByteUnits[m_inFlightUnit].name));
    inFlight->setToolTip(tr("What the sender has completed but the receiving app has not taken: bounded by the receive window"));

    ThroughputChart* blocked = m_ui->blockedChart;
    blocked->addSeries(tr("sender's write, blocked so far"), kBlockedColour);
    blocked->setUnit(tr("s blocked"));
    blocked->setToolTip(tr("How long the sender's pending write has waited (StartWrite → OnWriteDone). Each dashed line marks a stall"));
    // One time axis for the three: its labels under the last chart only.
    for (ThroughputChart* chart : {bytes, inFlight})
        chart->axisX()->setLabelsVisible(false);
    // Legends beside the charts, not under them: a short window (a laptop's
    // 1366×768) then still has room for each chart's labels. All three as
    // wide as the widest, so the plots keep one time axis, one above the other.
    qreal legendWidth = 0;
    for (ThroughputChart* chart : {bytes, inFlight, blocked}) {
        QLegend* legend = chart->chart()->legend();
        legend->setAlignment(Qt::AlignRight);
        legendWidth = std::max(legendWidth, legend->effectiveSizeHint(Qt::PreferredSize).width());
    }
    for (ThroughputChart* chart : {bytes, inFlight, blocked}) {
        chart->chart()->legend()->setMinimumWidth(legendWidth);
        chart->chart()->legend()->setMaximumWidth(legendWidth);
        // Small enough for the window to fit a 768-pixel-high screen; they grow with it.
        chart->setMinimumHeight(80);
    }
}

void FlowLabTab::setByteUnit(ThroughputChart* chart, int& unit, int wanted)
{
    wanted = std::clamp(wanted, 0, int(std::size(kByteUnits)) - 1);
    if (wanted == unit)
        return;
    const double factor = kByteUnits[unit].bytes / kByteUnits[wanted].bytes;
    for (int i = 0; i < chart->seriesCount(); ++i) {
        QList<QPointF> points = chart->series(i)->points();
        for (QPointF& p : points)
            p.setY(p.y() * factor);
        chart->series(i)->replace(points);
    }
    unit = wanted;
    chart->setUnit(QString::fromLatin1(kByteUnits[unit].name));
}

void FlowLabTab::addBytes(ThroughputChart* chart, int& unit, int series, double t, qint64 bytes)
{
    while (unit + 1 < int(std::size(kByteUnits)) && double(bytes) / kByteUnits[unit].bytes >= kMaxAxisValue)
        setByteUnit(chart, unit, unit + 1);
    chart->addPoint(series, t, double(bytes) / kByteUnits[unit].bytes);
}

void FlowLabTab::resetCharts()
{
    for (ThroughputChart* chart : {m_ui->bytesChart, m_ui->inFlightChart, m_ui->blockedChart})
        chart->clear();
    const bool a = m_runSettings.scenario == FlowScenario::ServerToClient;
    m_ui->bytesChart->series(SenderSeries)->setName(a ? tr("server completed") : tr("client completed"));
    m_ui->bytesChart->series(ConsumedSeries)->setName(a ? tr("client app consumed") : tr("server app consumed"));
    m_ui->blockedChart->series(0)->setName(a ? tr("server's write, blocked so far") : tr("client's write, blocked so far"));
    // Units to suit the run: the in-flight chart in MiB for windows of a MiB or more.
    m_bytesUnit = 1;
    m_ui->bytesChart->setUnit(QString::fromLatin1(kByteUnits[m_bytesUnit].name));
    m_inFlightUnit = m_prediction.bytes >= (1 << 20) ? 1 : 0;
    m_ui->inFlightChart->setUnit(QString::fromLatin1(kByteUnits[m_inFlightUnit].name));
}

FlowSettings FlowLabTab::settingsFromControls() const
{
    FlowSettings s;
    s.scenario = m_ui->scenarioB->isChecked() ? FlowScenario::ClientToServer : FlowScenario::ServerToClient;
    s.messageBytes = m_ui->messageSpin->value() * 1024;
    s.consumerDelayMs = m_ui->delaySpin->value();
    s.paused = s.scenario == FlowScenario::ServerToClient && m_ui->pauseButton->isChecked();
    s.lookaheadBytes = m_ui->lookaheadSpin->value();
    s.bdpProbe = m_ui->bdpCheck->isChecked();
    s.guideInitialWindowSize = m_ui->guideSpin->value();
    return s;
}

void FlowLabTab::setControls(const FlowSettings& s)
{
    m_settingControls = true;
    (s.scenario == FlowScenario::ClientToServer ? m_ui->scenarioB : m_ui->scenarioA)->setChecked(true);
    m_ui->messageSpin->setValue(std::max(1, s.messageBytes / 1024));
    m_ui->delaySpin->setValue(s.consumerDelayMs);
    m_ui->pauseButton->setChecked(s.paused);
    m_ui->lookaheadSpin->setValue(s.lookaheadBytes);
    m_ui->bdpCheck->setChecked(s.bdpProbe);
    m_ui->guideSpin->setValue(s.guideInitialWindowSize);
    m_settingControls = false;
    updateScenarioControls();
}

void FlowLabTab::updateScenarioControls()
{
    const bool a = !m_ui->scenarioB->isChecked();
    m_ui->delayLabel->setText(a ? tr("Client &reads every") : tr("Server &reads every"));
    m_ui->pauseButton->setEnabled(a);
    if (!a && m_ui->pauseButton->isChecked()) {
        const bool was = m_settingControls;
        m_settingControls = true;
        m_ui->pauseButton->setChecked(false);
        m_settingControls = was;
    }
    const QString receiver = a ? tr("The client's receive window (scenario A's receiver).")
                               : tr("Scenario B's receiver is the server: these client settings are applied but do not change its window.");
    for (QWidget* w : {static_cast<QWidget*>(m_ui->lookaheadSpin), static_cast<QWidget*>(m_ui->bdpCheck), static_cast<QWidget*>(m_ui->guideSpin)})
        w->setStatusTip(receiver);
    if (!m_lab->running()) {
        m_prediction = FlowLabCall::predictWindow(settingsFromControls());
        showFigures();
    }
}

void FlowLabTab::runPreset(int index)
{
    const QList<FlowPreset> all = presets();
    if (index < 0 || index >= all.size())
        return;
    m_restartTimer.stop();
    setControls(all[index].settings);
    m_pendingNotice = tr("Preset “%1”: %2").arg(all[index].name, all[index].expectation);
    startRun();
}

void FlowLabTab::startRun()
{
    m_restartTimer.stop();
    const FlowSettings settings = settingsFromControls();
    QString error;
    const FlowSettings previous = m_runSettings;
    m_runSettings = settings;   // onStarted() reads it while start() runs
    if (!m_lab->start(settings, &error)) {
        m_runSettings = previous;   // a run in progress goes on as it was
        m_ui->statusBadge->setState(tr("NOT STARTED"), StatusBadge::Tone::Bad);
        m_ui->statusText->setText(error);
        m_pendingNotice.clear();
        return;
    }
}

void FlowLabTab::stopRun()
{
    m_restartTimer.stop();
    m_lab->stop();
}

void FlowLabTab::settingChanged(const QString& what)
{
    if (m_settingControls)
        return;
    if (!m_lab->running()) {
        m_prediction = FlowLabCall::predictWindow(settingsFromControls());
        showFigures();
        return;
    }
    // A channel-level setting (or the call's own) changed during a run: it
    // takes a new connection, so the run restarts on one.
    m_changed = what;
    m_restartTimer.start();
}

void FlowLabTab::restartForChange()
{
    if (!m_lab->running())
        return;
    m_pendingNotice = tr("%1 changed: the lab opened a fresh connection with the new settings and restarted the run.").arg(m_changed);
    startRun();
}

void FlowLabTab::onStarted()
{
    m_prediction = FlowLabCall::predictWindow(m_runSettings);
    m_summary = {};
    m_lastSample = {};
    m_hasSample = false;
    m_lastStall.reset();
    m_markedStalls = 0;
    resetCharts();
    setRunning(true);
    m_ui->statusBadge->setState(tr("RUNNING"), StatusBadge::Tone::Busy);
    const QString line = scenarioLine(m_runSettings);
    m_ui->statusText->setText(m_pendingNotice.isEmpty() ? line : m_pendingNotice);
    m_ui->statusText->setToolTip(line);
    m_pendingNotice.clear();
    showFigures();
    showExplanation();
}

void FlowLabTab::onFinished(const CallStatus& status)
{
    setRunning(false);
    const QString reason = m_lab->endReason();
    if (!reason.isEmpty()) {
        m_ui->statusBadge->setStatus(status.codeName);
        m_ui->statusText->setText(reason);
    } else if (status.cancelled()) {
        m_ui->statusBadge->setState(tr("STOPPED"), StatusBadge::Tone::Neutral);
        m_ui->statusText->setText(tr("Stopped. %1").arg(scenarioLine(m_runSettings)));
    } else {
        m_ui->statusBadge->setStatus(status.codeName);
        m_ui->statusText->setText(status.text);
    }
    showExplanation();
}

void FlowLabTab::setRunning(bool running)
{
    m_ui->stopButton->setEnabled(running);
    m_ui->startButton->setText(running ? tr("Res&tart") : tr("Star&t"));
}

void FlowLabTab::showBatch(const FlowBatch& batch)
{
    for (const FlowSample& s : batch.samples) {
        addBytes(m_ui->bytesChart, m_bytesUnit, SenderSeries, s.tSeconds, s.senderBytes);
        addBytes(m_ui->bytesChart, m_bytesUnit, ConsumedSeries, s.tSeconds, s.consumedBytes);
        addBytes(m_ui->inFlightChart, m_inFlightUnit, InFlightSeriesIndex, s.tSeconds, s.inFlightBytes);
        addBytes(m_ui->inFlightChart, m_inFlightUnit, WindowSeries, s.tSeconds, m_prediction.bytes);
        m_ui->blockedChart->addPoint(0, s.tSeconds, s.blockedMs / 1000.0);
        m_lastSample = s;
        m_hasSample = true;
    }
    for (const FlowStall& stall : batch.stalls) {
        if (stall.index > m_markedStalls) {
            m_markedStalls = stall.index;
            const QString label = FlowLabCall::describeStallOnset(stall, m_runSettings);
            for (ThroughputChart* chart : {m_ui->bytesChart, m_ui->inFlightChart, m_ui->blockedChart})
                chart->markEvent(stall.onsetSeconds, label);
        }
        m_lastStall = stall;
    }
    m_summary = batch.summary;
    showFigures();
    showExplanation();
}

void FlowLabTab::showFigures()
{
    const QLocale locale;
    m_ui->predictedValue->setText(m_prediction.text);
    if (m_summary.hasFirstStall) {
        const QString window = (m_prediction.approximate ? QStringLiteral("≈ ") : QString()) + FlowLabCall::sizeText(m_prediction.bytes);
        m_ui->onsetValue->setText(tr("%1 completed before the first stall (at %2 s) — the window predicts %3")
                                      .arg(FlowLabCall::sizeText(m_summary.firstStallBytesBefore),
                                           locale.toString(m_summary.firstStallSeconds, 'f', 2), window));
    } else {
        m_ui->onsetValue->setText(m_hasSample ? tr("no stall so far") : tr("—"));
    }
    if (!m_hasSample) {
        for (LiveValueLabel* l : {m_ui->stallsValue, m_ui->inFlightValue, m_ui->totalsValue, m_ui->writesValue})
            l->showValue(tr("—"));
        return;
    }
    m_ui->stallsValue->showValue(m_summary.stalls ? tr("%1 (longest %2 ms)").arg(m_summary.stalls).arg(qRound(m_summary.longestStallMs))
                                                : tr("none"));
    m_ui->inFlightValue->showValue(tr("%1 / %2").arg(FlowLabCall::sizeText(m_lastSample.inFlightBytes),
                                                   FlowLabCall::sizeText(m_summary.maxInFlightBytes)));
    m_ui->totalsValue->showValue(tr("%1 / %2").arg(FlowLabCall::sizeText(m_lastSample.senderBytes),
                                                 FlowLabCall::sizeText(m_lastSample.consumedBytes)));
    m_ui->writesValue->showValue(tr("%1 ms · %n over 50 ms", nullptr, int(m_lastSample.slowWrites))
                                   .arg(qRound(m_lastSample.maxWriteMs)));
}

void FlowLabTab::showExplanation()
{
    QString text;
    StatusBadge::Tone tone = StatusBadge::Tone::Neutral;
    if (m_lastStall && m_lastStall->ongoing && m_lab->running()) {
        text = FlowLabCall::explainStall(*m_lastStall, m_runSettings);
        tone = StatusBadge::Tone::Warning;
    } else if (m_lastStall) {
        FlowStall last = *m_lastStall;
        last.ongoing = false;
        text = FlowLabCall::explainStall(last, m_runSettings);
        if (m_lab->running() && m_hasSample && !m_lastSample.writePending)
            text = tr("Flowing again. Last stall: %1").arg(text);
        tone = m_lab->running() ? StatusBadge::Tone::Warning : StatusBadge::Tone::Neutral;
    } else if (m_hasSample) {
        text = tr("No stall: every write has passed flow control within %1 ms (the longest took %2 ms). "
                  "The receiving app keeps up, or the window still has room.")
                   .arg(qRound(FlowStallDetector::kThresholdMs))
                   .arg(qRound(m_lastSample.maxWriteMs));
        tone = StatusBadge::Tone::Good;
    } else if (m_lab->running()) {
        text = tr("Waiting for the first figures…");
    } else {
        text = tr("Pick a preset, or set the options and press Start. The charts show what the sender has completed, what "
                  "the receiving app has consumed, the difference in flight (bounded by the window) and how long the "
                  "sender's write has been blocked; each stall is marked with a dashed line (hover it for its numbers).");
    }
    m_ui->explanation->setText(text);
    QPalette p = palette();
    if (tone != StatusBadge::Tone::Neutral) {
        QColor fill = StatusBadge::fillColour(tone);
        fill.setAlpha(40);
        p.setColor(QPalette::Window, fill);
    } else {
        p.setColor(QPalette::Window, palette().color(QPalette::Base));
    }
    m_ui->explanation->setPalette(p);
}

void FlowLabTab::saveSettings(QSettings& settings) const
{
    const FlowSettings s = settingsFromControls();
    settings.setValue(QStringLiteral("flowlab/scenario"), s.scenario == FlowScenario::ClientToServer ? QStringLiteral("B") : QStringLiteral("A"));
    settings.setValue(QStringLiteral("flowlab/messageKiB"), m_ui->messageSpin->value());
    settings.setValue(QStringLiteral("flowlab/delayMs"), s.consumerDelayMs);
    settings.setValue(QStringLiteral("flowlab/lookaheadBytes"), s.lookaheadBytes);
    settings.setValue(QStringLiteral("flowlab/bdpProbe"), s.bdpProbe);
    settings.setValue(QStringLiteral("flowlab/guideInitialWindowSize"), s.guideInitialWindowSize);
    settings.setValue(QStringLiteral("flowlab/splitter"), m_ui->splitter->saveState());
}

void FlowLabTab::restoreSettings(QSettings& settings)
{
    FlowSettings s;
    s.scenario = settings.value(QStringLiteral("flowlab/scenario")).toString() == QLatin1String("B") ? FlowScenario::ClientToServer
                                                                                                   : FlowScenario::ServerToClient;
    s.messageBytes = std::clamp(settings.value(QStringLiteral("flowlab/messageKiB"), 16).toInt(), 1, 4095) * 1024;
    s.consumerDelayMs = std::clamp(settings.value(QStringLiteral("flowlab/delayMs"), 0).toInt(), 0, FlowLabCall::kMaxDelayMs);
    s.lookaheadBytes = std::clamp(settings.value(QStringLiteral("flowlab/lookaheadBytes"), 0).toInt(), 0, m_ui->lookaheadSpin->maximum());
    s.bdpProbe = settings.value(QStringLiteral("flowlab/bdpProbe"), true).toBool();
    s.guideInitialWindowSize = std::clamp(settings.value(QStringLiteral("flowlab/guideInitialWindowSize"), 0).toInt(), 0,
                                          m_ui->guideSpin->maximum());
    setControls(s);
    m_ui->splitter->restoreState(settings.value(QStringLiteral("flowlab/splitter")).toByteArray());
    if (!m_lab->running()) {
        m_prediction = FlowLabCall::predictWindow(s);
        showFigures();
    }
}

} // namespace streamlab
