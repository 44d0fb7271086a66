#include "ClientStreamingTab.h"

#include "CallTimelineWidget.h"
#include "Connection.h"
#include "PatternHeader.h"
#include "ScrollPage.h"
#include "StatusBadge.h"
#include "TestFileWriter.h"
#include "ThroughputChart.h"
#include "UploadListModel.h"
#include "ui_clientstreamingtab.h"

#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QHeaderView>
#include <QKeySequence>
#include <QLocale>
#include <QMimeData>
#include <QSettings>
#include <QShortcut>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QTime>

namespace streamlab {

namespace {

const QColor kGood(0x2e, 0x7d, 0x32);
const QColor kBad(0xc6, 0x28, 0x28);
const QColor kWarn(0xb2, 0x6a, 0x00);
constexpr double kStallMarkMs = 250;      // a write blocked this long gets a marker on the chart
constexpr double kStallMarkGapS = 5;      // at most one marker per this many seconds

QString coloured(const QString& text, const QColor& colour, bool bold = false)
{
    return QStringLiteral("<span style=\"color:%1;%2\">%3</span>")
        .arg(colour.name(), bold ? QStringLiteral("font-weight:bold") : QString(), text.toHtmlEscaped());
}

QString elapsedText(double ms)
{
    return ms < 60000 ? QObject::tr("%1 s").arg(QLocale().toString(ms / 1000.0, 'f', 1)) : formatDuration(ms / 1000.0);
}

QString msText(double ms) { return QObject::tr("%1 ms").arg(QLocale().toString(ms, 'f', 0)); }

} // namespace

ClientStreamingTab::ClientStreamingTab(Connection* connection, QWidget* parent)
    : LabTab(parent)
    , m_ui(std::make_unique<Ui::ClientStreamingTab>())
    , m_connection(connection)
    , m_call(new UploadCall(connection, this))
    , m_admin(new UploadAdmin(connection, this))
    , m_writer(new TestFileWriter(this))
    , m_model(new UploadListModel(this))
    , m_proxy(new QSortFilterProxyModel(this))
{
    m_ui->setupUi(this);
    m_ui->header->setPattern(
        QStringLiteral("rpc UploadChunks (stream Chunk) returns (UploadResult);"),
        tr("Client streaming: the client sends a stream of messages and the server answers once, when the client is done. "
           "Fits uploads, batched telemetry and bulk imports — anything one answer can sum up."));
    setAcceptDrops(true);
    m_ui->splitter->setStretchFactor(0, 3);
    m_ui->splitter->setStretchFactor(1, 2);
    m_ui->bottomSplitter->setStretchFactor(0, 1);
    m_ui->bottomSplitter->setStretchFactor(1, 1);
    m_ui->bottomSplitter->setSizes({600, 500});

    m_ui->fileInfoLabel->setForegroundRole(QPalette::PlaceholderText);
    m_ui->generateFolderLabel->setForegroundRole(QPalette::PlaceholderText);
    m_ui->resumeLabel->setVisible(false);
    m_ui->generateProgress->setRange(0, 1000);
    m_ui->generateProgress->setVisible(false);
    m_ui->generateCancelButton->setVisible(false);
    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    m_ui->serverShaValue->setFont(mono);
    m_ui->clientShaValue->setFont(mono);
    QFont markFont = m_ui->matchLabel->font();
    markFont.setBold(true);
    markFont.setPointSizeF(markFont.pointSizeF() * 1.15);
    m_ui->matchLabel->setFont(markFont);
    m_ui->matchLabel->setTextFormat(Qt::RichText);
    m_ui->blockedValue->setTextFormat(Qt::RichText);
    // The live figures (LiveValueLabel) keep one line and only ever grow: the
    // blocked-time line starts wide enough for its longest usual text.
    m_ui->blockedValue->setMinimumWidth(fontMetrics().horizontalAdvance(QStringLiteral("now 10,000 ms · max 10,000 ms ·")));
    m_ui->fileInfoLabel->setTextFormat(Qt::RichText);

    m_rateSeries = m_ui->rateChart->addSeries(tr("MB/s"), QColor(0x19, 0x76, 0xd2));
    m_ui->rateChart->setUnit(tr("MB/s"));
    m_ui->rateChart->setGrowingXAxis(true);   // most uploads take seconds: let them fill the plot
    m_ui->rateChart->chart()->legend()->hide();   // one series: the axis says what it is

    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(UploadListModel::SortRole);
    m_ui->uploadsView->setModel(m_proxy);
    m_ui->uploadsView->sortByColumn(UploadListModel::StoredAtColumn, Qt::DescendingOrder);
    m_ui->uploadsView->setTextElideMode(Qt::ElideMiddle);
    QHeaderView* columns = m_ui->uploadsView->horizontalHeader();
    columns->setStretchLastSection(false);
    columns->setSectionResizeMode(UploadListModel::NameColumn, QHeaderView::Stretch);
    columns->setSectionResizeMode(UploadListModel::SizeColumn, QHeaderView::ResizeToContents);
    columns->setSectionResizeMode(UploadListModel::Sha256Column, QHeaderView::Interactive);
    columns->setSectionResizeMode(UploadListModel::StoredAtColumn, QHeaderView::ResizeToContents);
    columns->resizeSection(UploadListModel::Sha256Column, 150);
    m_ui->uploadsView->verticalHeader()->setDefaultSectionSize(m_ui->uploadsView->fontMetrics().height() + 6);

    connect(m_ui->fileEdit, &QLineEdit::returnPressed, this, &ClientStreamingTab::startUpload);
    connect(m_ui->fileEdit, &QLineEdit::textChanged, this, [this] {
        showFileInfo();
        updateButtons();
    });
    connect(m_ui->browseButton, &QPushButton::clicked, this, &ClientStreamingTab::browse);
    connect(m_ui->generateButton, &QPushButton::clicked, this, &ClientStreamingTab::generateFromForm);
    connect(m_ui->generateFolderButton, &QPushButton::clicked, this, &ClientStreamingTab::chooseGenerateFolder);
    connect(m_ui->generateCancelButton, &QPushButton::clicked, m_writer, &TestFileWriter::cancel);
    connect(m_ui->uploadButton, &QPushButton::clicked, this, &ClientStreamingTab::startUpload);
    connect(m_ui->cancelButton, &QPushButton::clicked, this, &ClientStreamingTab::cancelUpload);
    connect(m_ui->resumeButton, &QPushButton::clicked, this, &ClientStreamingTab::resumeUpload);
    connect(m_ui->refreshButton, &QPushButton::clicked, this, &ClientStreamingTab::refreshUploads);
    connect(m_ui->delaySpin, qOverload<int>(&QSpinBox::valueChanged), this,
            [this](int ms) { m_call->setServerReadDelay(quint32(ms)); });
    auto* escape = new QShortcut(QKeySequence(Qt::Key_Escape), this);
    escape->setContext(Qt::WidgetWithChildrenShortcut);
    connect(escape, &QShortcut::activated, this, [this] {
        cancelUpload();
        m_writer->cancel();
    });

    connect(m_call, &StreamCall::started, m_ui->timeline, &CallTimelineWidget::beginCall);
    connect(m_call, &StreamCall::trace, m_ui->timeline, &CallTimelineWidget::append);
    connect(m_call, &UploadCall::progressChanged, this, &ClientStreamingTab::showProgress);
    connect(m_call, &UploadCall::uploadFinished, this, &ClientStreamingTab::showOutcome);
    connect(m_admin, &UploadAdmin::listReady, this, &ClientStreamingTab::showUploads);
    connect(m_admin, &UploadAdmin::statusReady, this, &ClientStreamingTab::showServerState);
    connect(m_writer, &TestFileWriter::progress, this, [this](qint64 written, qint64 total) {
        m_ui->generateProgress->setValue(total > 0 ? int(double(written) / double(total) * 1000.0) : 1000);
    });
    connect(m_writer, &TestFileWriter::finished, this, &ClientStreamingTab::showTestFile);
    connect(m_connection, &Connection::targetChanged, this, [this] {
        if (m_shownOnce)
            refreshUploads();
        if (canResume() && !m_call->active())
            m_admin->queryStatus(m_pending.uploadId);
    });

    clearResult();
    setStatus(tr("IDLE"), int(StatusBadge::Tone::Neutral), tr("Choose a file, then Upload."));
    m_ui->generateFolderLabel->setText(tr("into %1").arg(QDir::toNativeSeparators(generateFolder())));
    showFileInfo();
    updateButtons();
}

ClientStreamingTab::~ClientStreamingTab() = default;

void ClientStreamingTab::saveSettings(QSettings& settings) const
{
    settings.setValue(QStringLiteral("clientStreaming/file"), filePath());
    settings.setValue(QStringLiteral("clientStreaming/lastFolder"), m_lastFolder);
    settings.setValue(QStringLiteral("clientStreaming/chunkKiB"), m_ui->chunkSpin->value());
    settings.setValue(QStringLiteral("clientStreaming/readDelayMs"), m_ui->delaySpin->value());
    settings.setValue(QStringLiteral("clientStreaming/testFileMB"), m_ui->generateSizeSpin->value());
    settings.setValue(QStringLiteral("clientStreaming/testFileFolder"), m_generateFolder);
    settings.setValue(QStringLiteral("clientStreaming/splitter"), m_ui->splitter->saveState());
    settings.setValue(QStringLiteral("clientStreaming/bottomSplitter"), m_ui->bottomSplitter->saveState());
    // An interrupted upload can be resumed after the app restarts.
    settings.setValue(QStringLiteral("clientStreaming/pending/uploadId"), m_pending.uploadId);
    settings.setValue(QStringLiteral("clientStreaming/pending/path"), m_pending.path);
    settings.setValue(QStringLiteral("clientStreaming/pending/name"), m_pending.name);
    settings.setValue(QStringLiteral("clientStreaming/pending/size"), m_pending.size);
    settings.setValue(QStringLiteral("clientStreaming/pending/modifiedMs"), m_pending.modifiedMs);
}

void ClientStreamingTab::restoreSettings(QSettings& settings)
{
    m_lastFolder = settings.value(QStringLiteral("clientStreaming/lastFolder")).toString();
    m_ui->chunkSpin->setValue(settings.value(QStringLiteral("clientStreaming/chunkKiB"), UploadCall::kDefaultChunkSize / 1024).toInt());
    m_ui->delaySpin->setValue(settings.value(QStringLiteral("clientStreaming/readDelayMs"), 0).toInt());
    m_ui->generateSizeSpin->setValue(settings.value(QStringLiteral("clientStreaming/testFileMB"), 500).toInt());
    m_generateFolder = settings.value(QStringLiteral("clientStreaming/testFileFolder")).toString();
    m_ui->generateFolderLabel->setText(tr("into %1").arg(QDir::toNativeSeparators(generateFolder())));
    m_ui->splitter->restoreState(settings.value(QStringLiteral("clientStreaming/splitter")).toByteArray());
    m_ui->bottomSplitter->restoreState(settings.value(QStringLiteral("clientStreaming/bottomSplitter")).toByteArray());
    if (!m_call->active()) {
        setFilePath(settings.value(QStringLiteral("clientStreaming/file")).toString());
        m_pending.uploadId = settings.value(QStringLiteral("clientStreaming/pending/uploadId")).toString();
        m_pending.path = settings.value(QStringLiteral("clientStreaming/pending/path")).toString();
        m_pending.name = settings.value(QStringLiteral("clientStreaming/pending/name")).toString();
        m_pending.size = settings.value(QStringLiteral("clientStreaming/pending/size")).toLongLong();
        m_pending.modifiedMs = settings.value(QStringLiteral("clientStreaming/pending/modifiedMs")).toLongLong();
        if (m_pending.path.isEmpty())
            m_pending = Pending{};
        updateResumeLabel();
        updateButtons();
    }
}

void ClientStreamingTab::setFilePath(const QString& path) { m_ui->fileEdit->setText(QDir::toNativeSeparators(path)); }

QString ClientStreamingTab::filePath() const { return QDir::fromNativeSeparators(m_ui->fileEdit->text().trimmed()); }

QString ClientStreamingTab::generateFolder() const
{
    return m_generateFolder.isEmpty() ? QStandardPaths::writableLocation(QStandardPaths::TempLocation) : m_generateFolder;
}

void ClientStreamingTab::setStatus(const QString& badge, int tone, const QString& text)
{
    m_ui->uploadBadge->setState(badge, StatusBadge::Tone(tone));
    m_ui->statusText->setText(text);
}

void ClientStreamingTab::browse()
{
    QString start = m_lastFolder;
    const QFileInfo current(filePath());
    if (!filePath().isEmpty() && current.absoluteDir().exists())
        start = current.absolutePath();
    const QString path = QFileDialog::getOpenFileName(this, tr("Choose a file to upload"), start);
    if (path.isEmpty())
        return;
    m_lastFolder = QFileInfo(path).absolutePath();
    setFilePath(path);
    m_ui->uploadButton->setFocus();
}

void ClientStreamingTab::chooseGenerateFolder()
{
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Folder for test files"), generateFolder());
    if (folder.isEmpty())
        return;
    m_generateFolder = folder;
    m_ui->generateFolderLabel->setText(tr("into %1").arg(QDir::toNativeSeparators(generateFolder())));
}

void ClientStreamingTab::generateFromForm()
{
    const qint64 bytes = qint64(m_ui->generateSizeSpin->value()) * 1000 * 1000;
    generateTestFile(TestFileWriter::suggestedPath(generateFolder(), bytes), bytes);
}

void ClientStreamingTab::generateTestFile(const QString& path, qint64 bytes)
{
    QString error;
    if (!m_writer->start(path, bytes, &error)) {
        m_ui->fileInfoLabel->setText(coloured(error, kBad));
        return;
    }
    m_ui->generateProgress->setValue(0);
    m_ui->fileInfoLabel->setText(tr("Writing %1 of random bytes to %2…").arg(formatBytes(bytes), QDir::toNativeSeparators(path)).toHtmlEscaped());
    updateButtons();
}

void ClientStreamingTab::showTestFile(const TestFileResult& result)
{
    updateButtons();
    if (result.ok) {
        setFilePath(result.path);   // shows the file's size
        m_ui->fileInfoLabel->setText(tr("Test file written (%1 in %2): press Upload.")
                                         .arg(formatBytes(result.size), elapsedText(result.elapsedMs))
                                         .toHtmlEscaped());
        m_ui->uploadButton->setFocus();
    } else if (result.cancelled) {
        m_ui->fileInfoLabel->setText(tr("Test file stopped; the partial file was removed.").toHtmlEscaped());
    } else {
        m_ui->fileInfoLabel->setText(coloured(result.error, kBad));
    }
}

void ClientStreamingTab::showFileInfo()
{
    const QString path = filePath();
    if (path.isEmpty()) {
        m_ui->fileInfoLabel->setText(tr("…or drop a file anywhere on this tab").toHtmlEscaped());
        return;
    }
    const QFileInfo info(path);
    if (!info.exists())
        m_ui->fileInfoLabel->setText(coloured(tr("No such file"), kBad));
    else if (!info.isFile())
        m_ui->fileInfoLabel->setText(coloured(tr("Not a file: choose a file"), kBad));
    else
        m_ui->fileInfoLabel->setText(tr("%1 · modified %2")
                                         .arg(formatBytes(info.size()), QLocale().toString(info.lastModified(), QLocale::ShortFormat))
                                         .toHtmlEscaped());
}

void ClientStreamingTab::clearResult()
{
    for (QLabel* value : {m_ui->sentValue, m_ui->rateValue, m_ui->etaValue, m_ui->elapsedValue, m_ui->blockedValue})
        value->setText(QStringLiteral("—"));
    m_ui->progressBar->setValue(0);
    m_ui->progressBar->setFormat(QStringLiteral("%p%"));
    for (QLabel* value : {m_ui->receivedValue, m_ui->serverShaValue, m_ui->clientShaValue})
        value->setText(QStringLiteral("—"));
    m_ui->matchLabel->clear();
}

void ClientStreamingTab::updateButtons()
{
    const bool busy = m_call->active();
    const bool generating = m_writer->busy();
    m_ui->uploadButton->setEnabled(!busy && !filePath().isEmpty());
    m_ui->resumeButton->setEnabled(!busy && canResume());
    // Focus goes from Cancel to the next action before Cancel is disabled:
    // Qt would pass it down the tab chain to the stored uploads, scrolling a
    // short window's page away from the result. (The window's focus widget,
    // not hasFocus(): Qt moves it in a window in the background too.)
    if (!busy && window()->focusWidget() == m_ui->cancelButton) {
        if (m_ui->resumeButton->isEnabled())
            m_ui->resumeButton->setFocus();
        else if (m_ui->uploadButton->isEnabled())
            m_ui->uploadButton->setFocus();
    }
    m_ui->cancelButton->setEnabled(busy);
    m_ui->fileEdit->setReadOnly(busy);
    m_ui->browseButton->setEnabled(!busy);
    m_ui->chunkSpin->setEnabled(!busy);
    m_ui->generateButton->setEnabled(!generating);
    m_ui->generateSizeSpin->setEnabled(!generating);
    m_ui->generateFolderButton->setEnabled(!generating);
    m_ui->generateProgress->setVisible(generating);
    m_ui->generateCancelButton->setVisible(generating);
}

void ClientStreamingTab::startUpload()
{
    if (m_call->active())
        return;
    UploadRequest request;
    request.filePath = filePath();
    request.chunkSize = m_ui->chunkSpin->value() * 1024;
    request.serverReadDelayMs = quint32(m_ui->delaySpin->value());
    QString error;
    if (!m_call->start(request, &error)) {
        setStatus(tr("CANNOT START"), int(StatusBadge::Tone::Bad), error);
        m_ui->fileEdit->setFocus();
        return;
    }
    const QFileInfo info(request.filePath);
    m_lastFolder = info.absolutePath();
    m_pending = Pending{m_call->uploadId(), info.absoluteFilePath(), info.fileName(), info.size(),
                        info.lastModified().toMSecsSinceEpoch()};
    clearResult();
    m_ui->rateChart->clear();
    m_lastStallMarkS = -1e9;
    setStatus(tr("UPLOADING"), int(StatusBadge::Tone::Busy),
              tr("Uploading %1 (%2) in chunks of %3 KiB…").arg(info.fileName(), formatBytes(info.size())).arg(m_ui->chunkSpin->value()));
    updateResumeLabel();
    updateButtons();
    m_ui->cancelButton->setFocus();
}

void ClientStreamingTab::resumeUpload()
{
    if (m_call->active() || !canResume())
        return;
    const QFileInfo info(m_pending.path);
    if (!info.exists()) {
        setStatus(tr("CANNOT RESUME"), int(StatusBadge::Tone::Bad),
                  tr("%1 is gone, so the upload cannot be resumed.").arg(QDir::toNativeSeparators(m_pending.path)));
        return;
    }
    if (info.size() != m_pending.size || info.lastModified().toMSecsSinceEpoch() != m_pending.modifiedMs) {
        setStatus(tr("CANNOT RESUME"), int(StatusBadge::Tone::Bad),
                  tr("%1 changed since the upload was interrupted: resuming would mix two versions. Start a new upload.")
                      .arg(QDir::toNativeSeparators(m_pending.path)));
        return;
    }
    UploadRequest request;
    request.filePath = m_pending.path;
    request.uploadId = m_pending.uploadId;
    request.name = m_pending.name;
    request.resume = true;
    request.chunkSize = m_ui->chunkSpin->value() * 1024;
    request.serverReadDelayMs = quint32(m_ui->delaySpin->value());
    QString error;
    if (!m_call->start(request, &error)) {
        setStatus(tr("CANNOT RESUME"), int(StatusBadge::Tone::Bad), error);
        return;
    }
    setFilePath(m_pending.path);
    clearResult();
    m_ui->rateChart->clear();
    m_lastStallMarkS = -1e9;
    setStatus(tr("RESUMING"), int(StatusBadge::Tone::Busy), tr("Asking the server how much of %1 it holds…").arg(m_pending.name));
    updateResumeLabel();
    updateButtons();
    m_ui->cancelButton->setFocus();
}

void ClientStreamingTab::cancelUpload()
{
    if (m_call->active())
        m_call->cancel();
}

void ClientStreamingTab::refreshUploads()
{
    if (m_admin->listBusy())
        return;
    m_ui->uploadsStatus->setText(tr("Asking the server…"));
    m_admin->refreshList();
}

void ClientStreamingTab::showProgress(const UploadProgress& p)
{
    using Phase = UploadProgress::Phase;
    const QString name = m_pending.name;
    switch (p.phase) {
    case Phase::Preparing:
        m_ui->statusText->setText(tr("Asking the server how much of %1 it holds (GetUploadStatus)…").arg(name));
        break;
    case Phase::Hashing:
        m_ui->statusText->setText(tr("Reading the %1 the server already holds, for the SHA-256 of the whole file…")
                                      .arg(formatBytes(p.resumedFrom > 0 ? p.resumedFrom : p.hashedBytes)));
        break;
    case Phase::Sending:
        m_ui->uploadBadge->setState(tr("UPLOADING"), StatusBadge::Tone::Busy);
        if (p.resumedFrom > 0)
            m_ui->statusText->setText(tr("Sending the remaining %1 of %2…").arg(formatBytes(p.totalBytes - p.resumedFrom), name));
        break;
    case Phase::Finishing:
        m_ui->statusText->setText(tr("All sent: the server is storing %1 and computing its SHA-256…").arg(name));
        break;
    case Phase::Idle:
    case Phase::Done:
        break;
    }

    const qint64 shown = p.phase == Phase::Hashing ? p.hashedBytes : p.sentBytes;
    const double fraction = p.totalBytes > 0 ? double(shown) / double(p.totalBytes) : p.fraction();
    m_ui->progressBar->setValue(int(fraction * 1000.0));
    QString sent = tr("%1 of %2").arg(formatBytes(p.sentBytes), formatBytes(p.totalBytes));
    if (p.resumedFrom > 0)
        sent += tr(" · resumed at %1").arg(formatBytes(p.resumedFrom));
    m_ui->sentValue->showValue(sent);
    const bool moving = p.phase == Phase::Sending || p.phase == Phase::Finishing;
    m_ui->rateValue->showValue(moving ? tr("%1 MB/s").arg(QLocale().toString(p.megabytesPerSecond(), 'f', 1)) : QStringLiteral("—"));
    m_ui->etaValue->showValue(p.phase == Phase::Sending ? formatDuration(p.etaSeconds) : QStringLiteral("—"));
    m_ui->elapsedValue->showValue(elapsedText(p.elapsedMs));

    QString blocked = tr("max %1 · total %2").arg(msText(p.maxWriteMs), elapsedText(p.blockedMs)).toHtmlEscaped();
    if (p.writePending && p.currentWriteMs >= 50)
        blocked = coloured(tr("now %1").arg(msText(p.currentWriteMs)), kWarn, true) + QStringLiteral(" · ") + blocked;
    m_ui->blockedValue->showValue(blocked);

    if (moving) {
        const double t = p.elapsedMs / 1000.0;
        m_ui->rateChart->addPoint(m_rateSeries, t, p.megabytesPerSecond());
        if (p.writePending && p.currentWriteMs >= kStallMarkMs && t - m_lastStallMarkS >= kStallMarkGapS) {
            m_ui->rateChart->markEvent(t, tr("writes blocked by flow control (the server is not reading)"));
            m_lastStallMarkS = t;
        }
    }
}

void ClientStreamingTab::showOutcome(const UploadOutcome& o)
{
    if (o.ok()) {
        m_pending = Pending{};
        const double mbps = o.sendingMs > 0 ? double(o.bytesReceived) / (o.sendingMs / 1000.0) / 1e6 : 0;
        const QString stored = o.storedName == o.fileName ? tr("Stored %1").arg(o.fileName)
                                                          : tr("Stored %1 as %2").arg(o.fileName, o.storedName);
        setStatus(tr("OK"), int(StatusBadge::Tone::Good),
                  tr("%1 (%2 sent in %3, %4 MB/s on average).")
                      .arg(stored, formatBytes(o.bytesReceived), elapsedText(o.sendingMs), QLocale().toString(mbps, 'f', 1)));
        QString received = tr("%1 bytes").arg(QLocale().toString(o.bytesReceived));
        if (o.resumedFrom > 0)
            received += tr(" (resumed at %1: only the rest was sent)").arg(QLocale().toString(o.resumedFrom));
        m_ui->receivedValue->setText(received);
        m_ui->serverShaValue->setText(o.serverSha256);
        m_ui->clientShaValue->setText(o.clientSha256.isEmpty() ? QStringLiteral("—") : o.clientSha256);
        if (o.hashesMatch())
            m_ui->matchLabel->setText(coloured(tr("✔ SHA-256 match: the server stored exactly this file"), kGood));
        else
            m_ui->matchLabel->setText(coloured(tr("✘ SHA-256 mismatch: the stored file differs from this one"), kBad));
        m_ui->progressBar->setValue(1000);
        refreshUploads();
    } else {
        if (!o.localError.isEmpty())
            m_ui->uploadBadge->setState(tr("FAILED"), StatusBadge::Tone::Bad);
        else
            m_ui->uploadBadge->setStatus(o.status.codeName);
        QString text = o.text();
        if (o.status.cancelled() && o.localError.isEmpty())
            text = tr("Cancelled: the server stored no file.");
        if (o.status.code == 10)   // ABORTED: the server still runs an earlier call of this upload
            text += tr(" — the server is still finishing an earlier call of this upload; try Resume again in a moment.");
        m_ui->statusText->setText(text);
        // The bar stays where the writes had got, which is not what the
        // server keeps: say so until the server tells (showServerState).
        m_ui->progressBar->setFormat(tr("stopped at %p%"));
        // These say the upload id cannot be used again.
        if (o.status.codeName == QLatin1String("ALREADY_EXISTS") || o.status.codeName == QLatin1String("INVALID_ARGUMENT"))
            m_pending = Pending{};
        if (canResume()) {
            updateResumeLabel(tr("Asking the server what it holds…"));
            m_admin->queryStatus(m_pending.uploadId);
        }
    }
    updateResumeLabel();
    updateButtons();
    // The match mark, or what went wrong: below the fold when stacked in a short window.
    ScrollPage::reveal(o.ok() ? static_cast<QWidget*>(m_ui->resultFrame) : m_ui->statusText);
}

void ClientStreamingTab::updateResumeLabel(const QString& serverSays)
{
    if (!canResume() || m_call->active()) {
        m_ui->resumeLabel->clear();
        m_ui->resumeLabel->setVisible(false);
        return;
    }
    if (serverSays.isEmpty() && m_ui->resumeLabel->isVisible())
        return;   // keep what the server said
    QString text = tr("Interrupted: %1 (%2)").arg(m_pending.name, formatBytes(m_pending.size));
    if (!serverSays.isEmpty())
        text += QStringLiteral("\n") + serverSays;
    m_ui->resumeLabel->setText(text);
    m_ui->resumeLabel->setVisible(true);
}

void ClientStreamingTab::showServerState(const UploadStatusReply& reply)
{
    if (reply.state.uploadId != m_pending.uploadId || m_call->active())
        return;
    const UploadServerState& held = reply.state;
    QString says;
    if (!reply.status.ok()) {
        says = tr("Could not ask the server: %1").arg(reply.status.text);
    } else if (held.completed || (held.capBytes > 0 && m_pending.size > held.capBytes)) {
        // Nothing left to resume: stored already, or refused whatever is sent.
        // After the server's own refusal (which names both sizes), no sizes again.
        const UploadOutcome& last = m_call->outcome();
        const bool refusedForSize = last.localError.isEmpty() && last.status.codeName == QLatin1String("RESOURCE_EXHAUSTED");
        says = held.completed ? tr("The server has already stored it as %1.").arg(held.storedName)
            : refusedForSize  ? tr("Resume cannot help: the server takes no file this large.")
                              : tr("Resume cannot help: the file (%1) is over this server's upload cap (%2).")
                                    .arg(formatBytes(m_pending.size), formatBytes(held.capBytes));
        showServerHolds(held.completed ? m_pending.size : 0, held.completed);
        m_pending = Pending{};
        updateResumeLabel();
        updateButtons();
        // The server's messages end without a full stop: add one before ours.
        QString shown = m_ui->statusText->text();
        if (!shown.isEmpty() && !shown.endsWith(QLatin1Char('.')))
            shown += QLatin1Char('.');
        m_ui->statusText->setText(shown.isEmpty() ? says : shown + QLatin1Char(' ') + says);
        return;
    } else if (held.exists) {
        showServerHolds(held.offset, false);
        const double percent = m_pending.size > 0 ? 100.0 * double(held.offset) / double(m_pending.size) : 100.0;
        says = tr("The server holds %1 (%2 %): Resume sends the remaining %3.")
                   .arg(formatBytes(held.offset), QLocale().toString(percent, 'f', 1), formatBytes(std::max<qint64>(0, m_pending.size - held.offset)));
    } else {
        showServerHolds(0, false);
        says = tr("The server holds nothing of it: Resume sends the whole file.");
    }
    m_ui->resumeLabel->setVisible(false);
    updateResumeLabel(says);
}

void ClientStreamingTab::showServerHolds(qint64 bytes, bool stored)
{
    // On the bar: what the server keeps of the interrupted upload (m_pending).
    const qint64 size = m_pending.size;
    m_ui->progressBar->setValue(size > 0 ? int(double(bytes) / double(size) * 1000.0) : (bytes > 0 ? 1000 : 0));
    m_ui->progressBar->setFormat(stored ? tr("stored") : bytes > 0 ? tr("the server holds %p%") : tr("the server holds nothing"));
}

void ClientStreamingTab::showUploads(const UploadListReply& reply)
{
    if (!reply.status.ok()) {
        m_ui->uploadsStatus->setText(tr("Could not list the uploads: %1").arg(reply.status.text));
        return;
    }
    m_model->setUploads(reply.uploads);
    const QString count = reply.uploads.size() == 1 ? tr("1 upload") : tr("%1 uploads").arg(reply.uploads.size());
    m_ui->uploadsStatus->setText(tr("%1 · as of %2").arg(count, QLocale().toString(QTime::currentTime(), QLocale::ShortFormat)));
    // Point at the upload that just finished.
    const int row = m_model->rowOf(m_call->outcome().ok() ? m_call->outcome().uploadId : QString());
    if (row >= 0) {
        const QModelIndex index = m_proxy->mapFromSource(m_model->index(row, 0));
        m_ui->uploadsView->selectRow(index.row());
        m_ui->uploadsView->scrollTo(index);
    }
}

void ClientStreamingTab::dragEnterEvent(QDragEnterEvent* event)
{
    const QMimeData* mime = event->mimeData();
    if (mime->hasUrls() && !mime->urls().isEmpty() && mime->urls().first().isLocalFile())
        event->acceptProposedAction();
}

void ClientStreamingTab::dropEvent(QDropEvent* event)
{
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.first().isLocalFile())
        return;
    event->acceptProposedAction();
    if (m_call->active()) {
        m_ui->statusText->setText(tr("An upload is running: cancel it first, or wait until it ends."));
        return;
    }
    const QString path = urls.first().toLocalFile();
    setFilePath(path);
    if (QFileInfo(path).isFile()) {
        m_lastFolder = QFileInfo(path).absolutePath();
        setStatus(tr("READY"), int(StatusBadge::Tone::Neutral),
                  urls.size() > 1 ? tr("Took the first of the %1 dropped files: press Upload.").arg(urls.size())
                                  : tr("Press Upload (Enter) to send %1.").arg(QFileInfo(path).fileName()));
        m_ui->uploadButton->setFocus();
    }
}

void ClientStreamingTab::arrangeForWidth(int width)
{
    // Measured while side by side, so it follows longer texts; used to
    // decide when to go back.
    if (!stacked())
        m_sideBySideWidth = minimumSizeHint().width();
    const bool stack = width < m_sideBySideWidth;
    if (stack != stacked()) {
        m_ui->topLayout->setDirection(stack ? QBoxLayout::TopToBottom : QBoxLayout::LeftToRight);
        // Side by side the form keeps its own width; stacked it takes the row.
        QSizePolicy policy = m_ui->uploadBox->sizePolicy();
        policy.setHorizontalPolicy(stack ? QSizePolicy::Preferred : QSizePolicy::Maximum);
        m_ui->uploadBox->setSizePolicy(policy);
    }
    // Also when restored settings brought the other orientation back.
    m_ui->bottomSplitter->setOrientation(stack ? Qt::Vertical : Qt::Horizontal);
}

bool ClientStreamingTab::stacked() const
{
    return m_ui->topLayout->direction() == QBoxLayout::TopToBottom;
}

void ClientStreamingTab::showEvent(QShowEvent* event)
{
    LabTab::showEvent(event);
    if (!m_shownOnce) {
        m_shownOnce = true;
        refreshUploads();
        if (canResume())
            m_admin->queryStatus(m_pending.uploadId);
    }
}

} // namespace streamlab
