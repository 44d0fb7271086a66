#include "ServerStreamingTab.h"

#include "CallTimelineModel.h"
#include "CallTimelineWidget.h"
#include "PatternHeader.h"
#include "StatusBadge.h"
#include "WorkerPriority.h"
#include "ui_serverstreamingtab.h"

#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QKeySequence>
#include <QLocale>
#include <QScrollBar>
#include <QSettings>
#include <QShortcut>
#include <QStandardPaths>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>

namespace streamlab {

namespace {
const QString kPrefix = QStringLiteral("serverStreaming/");
constexpr auto kDefaultAfter = "2024-01-01T00:00";
// Below this, a pending write is just a write (a busy loop or a scheduler hiccup), not a stall.
constexpr quint32 kBlockedThresholdMs = 50;
constexpr qint64 kCountersIntervalMs = 100;
// A flood brings a "Received ×N" line every frame: the timeline gets them
// merged, a few times a second (every other kind of line at once).
constexpr int kTraceIntervalMs = 250;

QString seconds(double ms)
{
    return ms < 1000 ? QObject::tr("%1 ms").arg(QLocale().toString(ms, 'f', ms < 10 ? 1 : 0))
                     : QObject::tr("%1 s").arg(QLocale().toString(ms / 1000.0, 'f', 1));
}
} // namespace

ServerStreamingTab::ServerStreamingTab(Connection* connection, QWidget* parent)
    : LabTab(parent)
    , m_ui(std::make_unique<Ui::ServerStreamingTab>())
    , m_stream(new EventStream(connection, this))
    , m_model(new EventTableModel(this))
{
    m_ui->setupUi(this);
    m_ui->header->setPattern(
        QStringLiteral("rpc ListEvents (EventFilter) returns (stream Event);"),
        tr("Server streaming: one request, then a stream of answers the server writes as it has them. Fits feeds, "
           "logs, search results and anything too large or too live for one response."));
    m_ui->splitter->setStretchFactor(0, 3);
    m_ui->splitter->setStretchFactor(1, 1);
    m_ui->splitter->setSizes({600, 170});
    m_ui->afterEdit->setText(QString::fromLatin1(kDefaultAfter));
    for (const QString& type : EventStream::knownTypes()) {
        auto* item = new QListWidgetItem(type, m_ui->typesList);
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsUserCheckable);
        item->setCheckState(Qt::Checked);
    }
    // Every type without a scroll bar where there is room; in a short
    // window (a laptop's 768 pixels) four of them, and the list scrolls,
    // rather than the whole tab.
    const int rowHeight = m_ui->typesList->sizeHintForRow(0);
    const int frame = 2 * m_ui->typesList->frameWidth() + 2;
    m_ui->typesList->setSizeAdjustPolicy(QAbstractScrollArea::AdjustToContents);
    m_ui->typesList->setMinimumHeight(rowHeight * std::min(4, m_ui->typesList->count()) + frame);
    m_ui->typesList->setMaximumHeight(rowHeight * m_ui->typesList->count() + frame);
    m_ui->windowCombo->addItem(tr("Automatic (gRPC default)"), 0);
    m_ui->windowCombo->addItem(tr("64 KiB"), 64 * 1024);
    m_ui->windowCombo->addItem(tr("16 KiB"), 16 * 1024);
    m_ui->windowCombo->addItem(tr("4 KiB"), 4 * 1024);
    m_ui->windowCombo->addItem(tr("1 KiB: a slow live stream stalls in seconds"), 1024);
    m_ui->stallBanner->setVisible(false);
    m_ui->serverValue->showValue(tr("Shown while a call runs."));
    setUpTable();
    setStatus(QString(), tr("Choose a filter and press Start."), false);
    m_exportDir = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    if (!QFileInfo(m_exportDir).isDir())
        m_exportDir = QDir::homePath();
    onCounters(EventStreamCounters());

    connect(m_ui->afterEdit, &QLineEdit::returnPressed, this, &ServerStreamingTab::startStream);
    connect(m_ui->startButton, &QPushButton::clicked, this, &ServerStreamingTab::startStream);
    connect(m_ui->stopButton, &QPushButton::clicked, this, &ServerStreamingTab::stopStream);
    connect(m_ui->pauseButton, &QPushButton::toggled, this, &ServerStreamingTab::setPaused);
    connect(m_ui->nowButton, &QToolButton::clicked, this, [this] {
        m_ui->afterEdit->setText(QDateTime::currentDateTimeUtc().toString(Qt::ISODate));
    });
    connect(m_ui->capSpin, &QSpinBox::valueChanged, this, [this](int rows) {
        m_model->setCapacity(rows);
        updateRowsText();
    });
    connect(m_ui->clearButton, &QPushButton::clicked, m_model, &EventTableModel::clear);
    connect(m_ui->exportCsvButton, &QPushButton::clicked, this,
            [this] { chooseExportFile(EventTableModel::ExportFormat::Csv); });
    connect(m_ui->exportJsonButton, &QPushButton::clicked, this,
            [this] { chooseExportFile(EventTableModel::ExportFormat::Json); });
    auto* escape = new QShortcut(QKeySequence(Qt::Key_Escape), this);
    escape->setContext(Qt::WidgetWithChildrenShortcut);
    connect(escape, &QShortcut::activated, this, &ServerStreamingTab::stopStream);

    connect(m_stream, &EventStream::started, this, &ServerStreamingTab::onStarted);
    connect(m_stream, &EventStream::trace, this, &ServerStreamingTab::queueTrace);
    m_traceTimer.setSingleShot(true);
    m_traceTimer.setInterval(kTraceIntervalMs);
    connect(&m_traceTimer, &QTimer::timeout, this, &ServerStreamingTab::flushTrace);
    connect(m_stream, &EventStream::eventsReceived, m_model, &EventTableModel::appendRows);
    connect(m_stream, &EventStream::countersChanged, this, &ServerStreamingTab::onCounters);
    connect(m_stream, &EventStream::serverWriteStateChanged, this, &ServerStreamingTab::onServerState);
    connect(m_stream, &EventStream::pausedChanged, this, &ServerStreamingTab::onPausedChanged);
    connect(m_stream, &EventStream::finished, this, &ServerStreamingTab::onFinished);
    connect(m_model, &QAbstractItemModel::modelReset, this, &ServerStreamingTab::updateRowsText);

    connect(&m_exportWatcher, &QFutureWatcher<QString>::finished, this, [this] {
        const QString error = m_exportWatcher.result();
        m_ui->exportCsvButton->setEnabled(true);
        m_ui->exportJsonButton->setEnabled(true);
        m_ui->exportStatus->setStyleSheet(error.isEmpty() ? QString() : QStringLiteral("color: #b3261e;"));
        m_ui->exportStatus->setText(error.isEmpty() ? (m_exportRows == 1 ? tr("Exported 1 row to %1.")
                                                                          : tr("Exported %1 rows to %2.").arg(QLocale().toString(m_exportRows)))
                                                              .arg(QDir::toNativeSeparators(m_exportPath))
                                                    : error);
        Q_EMIT exportFinished(error);
    });
}

ServerStreamingTab::~ServerStreamingTab()
{
    // The export works on its own copy of the rows; it only has to end before we do.
    m_exportWatcher.waitForFinished();
}

QTableView* ServerStreamingTab::view() const
{
    return m_ui->eventsView;
}

void ServerStreamingTab::setUpTable()
{
    QTableView* v = m_ui->eventsView;
    v->setModel(m_model);
    // Ids, times, type names and JSON: nothing in them needs text shaping
    // (ligatures, kerning), and shaping was half of the table's paint time
    // during a flood, where every frame paints some 30 new rows.
    QFont font = v->font();
    font.setStyleStrategy(QFont::PreferNoShaping);
    v->setFont(font);
    const QFontMetrics fm = v->fontMetrics();
    // Every row one line high: no per-row measuring, cheap with 100,000 rows.
    v->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    v->verticalHeader()->setDefaultSectionSize(fm.height() + 6);
    v->verticalHeader()->hide();
    QHeaderView* h = v->horizontalHeader();
    h->setSectionResizeMode(QHeaderView::Interactive);
    h->setStretchLastSection(true);
    const int pad = 24;
    h->resizeSection(EventTableModel::IdColumn, fm.horizontalAdvance(QStringLiteral("99999999")) + pad);
    h->resizeSection(EventTableModel::TimeColumn, fm.horizontalAdvance(QStringLiteral("2024-01-01T00:00:00.000Z")) + pad);
    h->resizeSection(EventTableModel::TypeColumn, fm.horizontalAdvance(QStringLiteral("payment.succeeded")) + pad);

    // Follow the newest row unless the user has scrolled up to read; the
    // user's own scrolling decides (at the bottom = follow).
    QScrollBar* bar = v->verticalScrollBar();
    connect(bar, &QScrollBar::valueChanged, this, [this, bar](int value) { m_follow = value >= bar->maximum(); });
    connect(bar, &QScrollBar::rangeChanged, this, [this, bar](int, int max) {
        if (m_follow)
            bar->setValue(max);
    });
    connect(m_model, &QAbstractItemModel::rowsInserted, this, [this] {
        if (m_follow && m_ui->eventsView->isVisible())
            m_ui->eventsView->scrollToBottom();
    });
    // The ring drops the oldest rows: someone reading higher up keeps the
    // same rows in view instead of seeing them slide away.
    connect(m_model, &QAbstractItemModel::rowsAboutToBeRemoved, this, [this](const QModelIndex&, int first, int last) {
        m_rowsBeingRemoved = first == 0 ? last - first + 1 : 0;
    });
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, [this, bar] {
        if (!m_follow && m_rowsBeingRemoved > 0)   // ScrollPerItem: the value is the top row
            bar->setValue(std::max(0, bar->value() - m_rowsBeingRemoved));
        m_rowsBeingRemoved = 0;
    });
    connect(m_model, &QAbstractItemModel::modelReset, this, [this] { m_follow = true; });
}

void ServerStreamingTab::saveSettings(QSettings& settings) const
{
    settings.setValue(kPrefix + QStringLiteral("after"), m_ui->afterEdit->text());
    QStringList unchecked;
    for (int i = 0; i < m_ui->typesList->count(); ++i)
        if (m_ui->typesList->item(i)->checkState() != Qt::Checked)
            unchecked << m_ui->typesList->item(i)->text();
    // Unchecked ones: a type the server adds later is then checked by default.
    settings.setValue(kPrefix + QStringLiteral("uncheckedTypes"), unchecked);
    settings.setValue(kPrefix + QStringLiteral("follow"), m_ui->followCheck->isChecked());
    settings.setValue(kPrefix + QStringLiteral("capacity"), m_ui->capSpin->value());
    settings.setValue(kPrefix + QStringLiteral("receiveWindow"), m_ui->windowCombo->currentData());
    settings.setValue(kPrefix + QStringLiteral("splitter"), m_ui->splitter->saveState());
    settings.setValue(kPrefix + QStringLiteral("exportDir"), m_exportDir);
}

void ServerStreamingTab::restoreSettings(QSettings& settings)
{
    m_ui->afterEdit->setText(settings.value(kPrefix + QStringLiteral("after"), QString::fromLatin1(kDefaultAfter)).toString());
    const QStringList unchecked = settings.value(kPrefix + QStringLiteral("uncheckedTypes")).toStringList();
    for (int i = 0; i < m_ui->typesList->count(); ++i) {
        QListWidgetItem* item = m_ui->typesList->item(i);
        item->setCheckState(unchecked.contains(item->text()) ? Qt::Unchecked : Qt::Checked);
    }
    m_ui->followCheck->setChecked(settings.value(kPrefix + QStringLiteral("follow"), false).toBool());
    m_ui->capSpin->setValue(settings.value(kPrefix + QStringLiteral("capacity"), EventTableModel::DefaultCapacity).toInt());
    setReceiveWindow(settings.value(kPrefix + QStringLiteral("receiveWindow"), 0).toInt());
    m_ui->splitter->restoreState(settings.value(kPrefix + QStringLiteral("splitter")).toByteArray());
    m_exportDir = settings.value(kPrefix + QStringLiteral("exportDir"), m_exportDir).toString();
}

void ServerStreamingTab::setFilter(const QString& after, const QStringList& checkedTypes, bool follow)
{
    m_ui->afterEdit->setText(after);
    for (int i = 0; i < m_ui->typesList->count(); ++i) {
        QListWidgetItem* item = m_ui->typesList->item(i);
        item->setCheckState(checkedTypes.isEmpty() || checkedTypes.contains(item->text()) ? Qt::Checked : Qt::Unchecked);
    }
    m_ui->followCheck->setChecked(follow);
}

void ServerStreamingTab::setCapacity(int rows)
{
    m_ui->capSpin->setValue(rows);
}

void ServerStreamingTab::setReceiveWindow(int bytes)
{
    const int index = m_ui->windowCombo->findData(bytes);
    m_ui->windowCombo->setCurrentIndex(std::max(0, index));
}

bool ServerStreamingTab::buildQuery(EventQuery* query, QString* error) const
{
    QStringList checked;
    for (int i = 0; i < m_ui->typesList->count(); ++i)
        if (m_ui->typesList->item(i)->checkState() == Qt::Checked)
            checked << m_ui->typesList->item(i)->text();
    if (checked.isEmpty()) {
        *error = tr("Check at least one event type (all checked: every type).");
        return false;
    }
    query->after = m_ui->afterEdit->text().trimmed();   // the server checks it and says what is wrong
    query->types = checked.size() == m_ui->typesList->count() ? QStringList() : checked;
    query->follow = m_ui->followCheck->isChecked();
    query->receiveWindowBytes = m_ui->windowCombo->currentData().toInt();
    return true;
}

void ServerStreamingTab::startStream()
{
    if (m_stream->active())   // Enter in the form while a call runs: Stop first
        return;
    EventQuery query;
    QString error;
    if (!buildQuery(&query, &error)) {
        setStatus(tr("CHECK FILTER"), error, false);
        m_ui->typesList->setFocus();
        return;
    }
    m_model->clear();
    m_model->setCapacity(m_ui->capSpin->value());
    m_server = ServerWriteState();
    m_counters = EventStreamCounters();
    m_lastReceived = 0;
    m_countersShownAt = -kCountersIntervalMs;
    m_clock.start();
    m_rate.restart(0);
    m_ui->stallBanner->setVisible(false);
    m_ui->serverValue->showValue(tr("Waiting for the server's first sample…"));
    const QString from = query.after.isEmpty() ? tr("the whole history") : tr("events after %1").arg(query.after);
    m_window = query.receiveWindowBytes;
    setStatus(tr("STREAMING"), query.follow ? tr("Reading %1, then following live events…").arg(from) : tr("Reading %1…").arg(from), true);
    m_stream->start(query);
}

void ServerStreamingTab::stopStream()
{
    if (m_stream->active())
        m_stream->stop();
}

void ServerStreamingTab::setPaused(bool paused)
{
    if (paused)
        m_stream->pause();
    else
        m_stream->resume();
}

void ServerStreamingTab::queueTrace(const QList<CallTraceEntry>& entries)
{
    bool urgent = false;
    for (const CallTraceEntry& entry : entries) {
        if (entry.kind == CallTraceEntry::Kind::Received && !m_traceQueue.isEmpty()
            && m_traceQueue.last().kind == CallTraceEntry::Kind::Received) {
            CallTraceEntry& last = m_traceQueue.last();
            last.count += entry.count;
            last.bytes += entry.bytes;
            last.elapsedMs = entry.elapsedMs;
        } else {
            m_traceQueue.append(entry);
        }
        urgent = urgent || entry.kind != CallTraceEntry::Kind::Received;
    }
    if (urgent)
        flushTrace();
    else if (!m_traceTimer.isActive())
        m_traceTimer.start();
}

void ServerStreamingTab::flushTrace()
{
    m_traceTimer.stop();
    if (m_traceQueue.isEmpty())
        return;
    m_ui->timeline->append(m_traceQueue);
    m_traceQueue.clear();
}

void ServerStreamingTab::onStarted(const QString& method)
{
    flushTrace();   // what is left of the previous call belongs to it
    m_ui->timeline->beginCall(method);
    setRunning(true);
}

void ServerStreamingTab::setRunning(bool running)
{
    m_ui->startButton->setEnabled(!running);
    m_ui->stopButton->setEnabled(running);
    m_ui->pauseButton->setEnabled(running);
    if (!running) {
        const QSignalBlocker blocker(m_ui->pauseButton);
        m_ui->pauseButton->setChecked(false);
        m_ui->pauseButton->setText(tr("&Pause"));
    }
}

void ServerStreamingTab::setStatus(const QString& code, const QString& text, bool busy)
{
    m_statusCode = code;
    if (busy)
        m_ui->statusBadge->setState(code, StatusBadge::Tone::Busy);
    else if (code == tr("CHECK FILTER"))
        m_ui->statusBadge->setState(code, StatusBadge::Tone::Warning);
    else
        m_ui->statusBadge->setStatus(code);
    m_ui->statusText->setText(text);
}

QString ServerStreamingTab::statusMessage() const
{
    return m_ui->statusText->text();
}

QString ServerStreamingTab::stallText() const
{
    return m_ui->stallBanner->isVisible() ? m_ui->stallBanner->text() : QString();
}

void ServerStreamingTab::onCounters(const EventStreamCounters& counters)
{
    m_counters = counters;
    qint64 now = 0;
    if (m_clock.isValid()) {
        now = m_clock.elapsed();
        m_rate.add(counters.received - m_lastReceived, now);
        m_lastReceived = counters.received;
    }
    // Counters come every frame; people read them at a few per second, and
    // relaying out the labels 60 times a second would cost the table frames.
    if (m_stream->active() && m_clock.isValid() && now - m_countersShownAt < kCountersIntervalMs)
        return;
    m_countersShownAt = now;
    const QLocale locale;
    if (!m_clock.isValid())
        m_ui->rateValue->showValue(QStringLiteral("—"));
    else if (m_stream->active())
        m_ui->rateValue->showValue(tr("%1 events/s").arg(locale.toString(m_rate.rate(now), 'f', 0)));
    else if (counters.received == 0)
        m_ui->rateValue->showValue(QStringLiteral("—"));
    else   // the call is over: its average
        m_ui->rateValue->showValue(tr("%1 events/s on average")
                                     .arg(locale.toString(now > 0 ? 1000.0 * double(counters.received) / double(now) : 0.0, 'f', 0)));
    m_ui->receivedValue->showValue(tr("%1 events").arg(locale.toString(counters.received)));
    m_ui->firstValue->showValue(counters.firstEventMs < 0 ? QStringLiteral("—") : tr("after %1").arg(seconds(counters.firstEventMs)));
    m_ui->bytesValue->showValue(CallTimelineModel::formatBytes(counters.bytes));
    updateRowsText();
    if (counters.throttledTimes > 0)
        m_ui->receivedValue->setToolTip(tr("The table fell behind %n time(s); the app then stopped reading until it caught up "
                                           "(backpressure, nothing buffered).", nullptr, counters.throttledTimes));
    updateServerText();
}

void ServerStreamingTab::updateRowsText()
{
    const QLocale locale;
    QString text = tr("%1 rows").arg(locale.toString(m_model->rowCount()));
    if (m_model->droppedRows() > 0)
        text += tr(" · %1 older dropped").arg(locale.toString(m_model->droppedRows()));
    m_ui->rowsValue->showValue(text);
}

void ServerStreamingTab::onServerState(const ServerWriteState& state)
{
    m_server = state;
    updateServerText();
}

void ServerStreamingTab::onPausedChanged(bool paused)
{
    {
        const QSignalBlocker blocker(m_ui->pauseButton);
        m_ui->pauseButton->setChecked(paused);
    }
    m_ui->pauseButton->setText(paused ? tr("&Resume") : tr("&Pause"));
    if (m_stream->active())
        setStatus(paused ? tr("PAUSED") : tr("STREAMING"),
                  paused ? tr("Paused: the app is not reading. Resume drains what the server has waiting.")
                         : tr("Reading…"),
                  true);
    updateServerText();
}

void ServerStreamingTab::updateServerText()
{
    const QLocale locale;
    const ServerWriteState& s = m_server;
    const bool running = m_stream->active();
    if (!s.valid) {
        m_ui->stallBanner->setVisible(false);
        return;
    }
    const bool blocked = s.writePending && s.currentWriteBlockedMs >= kBlockedThresholdMs;
    QString now;
    if (s.finished)
        now = tr("call ended (%1)").arg(s.finalStatus);
    else if (blocked)
        now = tr("write BLOCKED for %1").arg(seconds(s.currentWriteBlockedMs));
    else if (s.writePending)
        now = tr("writing");
    else
        now = tr("waiting for new events");
    // Plain text: it changes ten times a second, and rich text would lay out a document each time.
    m_ui->serverValue->showValue(tr("Now: %1\nWritten (passed flow control): %2 events, %3\n"
                                  "Last write %4 · longest %5 · %6 stalled (> 50 ms)")
                                   .arg(now, locale.toString(qulonglong(s.messagesWritten)),
                                        CallTimelineModel::formatBytes(qint64(s.bytesWritten)), seconds(s.lastWriteMs),
                                        seconds(s.maxWriteMs), locale.toString(qulonglong(s.stalledWrites))));

    if (!running || !m_stream->isPaused()) {
        m_ui->stallBanner->setVisible(false);
        return;
    }
    // Paused: what the server sees of it.
    const qint64 unread = std::max<qint64>(0, qint64(s.messagesWritten) - m_counters.received);
    const qint64 unreadBytes = std::max<qint64>(0, qint64(s.bytesWritten) - m_counters.bytes);
    QString text;
    QString style = QStringLiteral("background: #fff4d6; color: #5c4400; border: 1px solid #e0b44c;");
    if (s.finished) {
        text = tr("The server finished the call while you were paused (%1). %n event(s) it wrote wait unread: Resume reads them.",
                  nullptr, int(unread))
                   .arg(s.finalStatus);
    } else if (blocked) {
        text = tr("<b>Server write blocked for %1</b> — the stream's flow-control window is full because the app stopped "
                  "reading. %2 events (%3) the server wrote wait unread; Resume drains them.")
                   .arg(seconds(s.currentWriteBlockedMs), locale.toString(unread), CallTimelineModel::formatBytes(unreadBytes));
        style = QStringLiteral("background: #fde3e1; color: #6b1711; border: 1px solid #d9534f;");
    } else {
        text = tr("Paused: the app asks for no next event. The server still writes until the stream's flow-control window "
                  "is full — %1 events (%2) wait unread so far; then its write blocks.")
                   .arg(locale.toString(unread), CallTimelineModel::formatBytes(unreadBytes));
        if (m_window == 0)
            text += tr(" With the automatic window (gRPC grows it to MBs) a slow live stream takes long to fill it: "
                       "a small Receive window shows the stall within seconds.");
    }
    m_ui->stallBanner->setStyleSheet(style);
    m_ui->stallBanner->setText(text);
    m_ui->stallBanner->setVisible(true);
}

void ServerStreamingTab::onFinished(const CallStatus& status)
{
    setRunning(false);
    onCounters(m_stream->counters());
    QString text = status.text;
    if (!status.ok() && m_model->rowCount() > 0)
        text += tr(" — the %1 rows received are kept.").arg(QLocale().toString(m_model->rowCount()));
    else if (status.ok())
        text = tr("Done: %1 events in %2.").arg(QLocale().toString(m_counters.received), seconds(status.elapsedMs));
    setStatus(status.codeName, text, false);
    m_ui->stallBanner->setVisible(false);
    if (!m_server.valid)
        m_ui->serverValue->showValue(tr("No figures: the call ended before the server's first sample."));
}

void ServerStreamingTab::chooseExportFile(EventTableModel::ExportFormat format)
{
    if (m_model->rowCount() == 0) {
        m_ui->exportStatus->setStyleSheet(QString());
        m_ui->exportStatus->setText(tr("Nothing to export: the table is empty."));
        return;
    }
    const bool csv = format == EventTableModel::ExportFormat::Csv;
    const QString name = QStringLiteral("events-%1.%2")
                             .arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")),
                                  csv ? QStringLiteral("csv") : QStringLiteral("json"));
    const QString path = QFileDialog::getSaveFileName(
        this, csv ? tr("Export events as CSV") : tr("Export events as JSON"), QDir(m_exportDir).filePath(name),
        csv ? tr("CSV files (*.csv);;All files (*)") : tr("JSON files (*.json);;All files (*)"));
    if (path.isEmpty())
        return;
    m_exportDir = QFileInfo(path).absolutePath();
    exportTo(path, format);
}

void ServerStreamingTab::exportTo(const QString& path, EventTableModel::ExportFormat format)
{
    if (m_exportWatcher.isRunning())
        return;
    // A snapshot (implicitly shared strings): the stream may go on meanwhile.
    std::vector<EventRow> rows = m_model->rows();
    m_exportRows = qsizetype(rows.size());
    m_exportPath = path;
    m_ui->exportCsvButton->setEnabled(false);
    m_ui->exportJsonButton->setEnabled(false);
    m_ui->exportStatus->setStyleSheet(QString());
    m_ui->exportStatus->setText(tr("Exporting %1 rows…").arg(QLocale().toString(m_exportRows)));
    m_exportWatcher.setFuture(QtConcurrent::run([rows = std::move(rows), path, format] {
        WorkerPriority::lowerCurrentThread();   // a pool thread the GUI thread may just have started
        return EventTableModel::exportRows(rows, path, format);
    }));
}

} // namespace streamlab
