#include "BidiChatTab.h"

#include "CallTimelineWidget.h"
#include "ChatBubbleDelegate.h"
#include "ChatMessagesModel.h"
#include "ChatSession.h"
#include "Connection.h"
#include "PatternHeader.h"
#include "StatusBadge.h"
#include "ui_bidichattab.h"

#include <QApplication>
#include <QClipboard>
#include <QDateTime>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QKeyEvent>
#include <QLocale>
#include <QScrollBar>
#include <QSettings>
#include <QShortcut>
#include <QStringListModel>

namespace streamlab {

BidiChatTab::BidiChatTab(Connection* connection, QWidget* parent)
    : LabTab(parent), m_ui(std::make_unique<Ui::BidiChatTab>()), m_connection(connection),
      m_session(new ChatSession(connection, this)), m_messages(new ChatMessagesModel(this)),
      m_participants(new QStringListModel(this))
{
    m_ui->setupUi(this);
    m_ui->header->setPattern(
        QStringLiteral("rpc Chat (stream Message) returns (stream Message);"),
        tr("Bidirectional streaming: both sides send whenever they like on one long-lived call, independently. "
           "Fits chat, collaboration, games and any conversation where either side may speak first."));
    m_ui->splitter->setStretchFactor(0, 3);
    m_ui->splitter->setStretchFactor(1, 1);
    m_ui->chatSplitter->setStretchFactor(0, 4);
    m_ui->chatSplitter->setStretchFactor(1, 1);

    m_ui->messagesView->setModel(m_messages);
    m_ui->messagesView->setItemDelegate(new ChatBubbleDelegate(m_ui->messagesView));
    m_ui->messagesView->setUniformItemSizes(false);
    m_ui->participantsView->setModel(m_participants);
    m_messages->connectSession(m_session);

    // About three lines high; the box scrolls beyond that.
    const QFontMetrics metrics(m_ui->messageEdit->font());
    m_ui->messageEdit->setFixedHeight(metrics.lineSpacing() * 3 + 2 * int(m_ui->messageEdit->document()->documentMargin()) + 6);
    m_ui->messageEdit->installEventFilter(this);
    // Wide enough for any count: typing does not make the layout jump.
    m_ui->bytesLabel->setMinimumWidth(m_ui->bytesLabel->fontMetrics().horizontalAdvance(tr("%1 / %2 bytes").arg(88888).arg(ChatSession::kMaxTextBytes)));
    m_ui->nameEdit->setPlaceholderText(defaultName());

    connect(m_ui->joinButton, &QPushButton::clicked, this, &BidiChatTab::joinRoom);
    connect(m_ui->nameEdit, &QLineEdit::returnPressed, this, &BidiChatTab::joinRoom);
    connect(m_ui->leaveButton, &QPushButton::clicked, this, &BidiChatTab::leaveRoom);
    connect(m_ui->reconnectButton, &QPushButton::clicked, m_session, &ChatSession::reconnectNow);
    connect(m_ui->sendButton, &QPushButton::clicked, this, &BidiChatTab::sendEnteredText);
    connect(m_ui->resendButton, &QPushButton::clicked, this, &BidiChatTab::resendHeld);
    connect(m_ui->messageEdit, &QPlainTextEdit::textChanged, this, &BidiChatTab::updateBytes);
    connect(m_ui->messagesView, &QListView::doubleClicked, this, &BidiChatTab::resendAt);
    auto* copy = new QShortcut(QKeySequence::Copy, m_ui->messagesView);
    copy->setContext(Qt::WidgetShortcut);
    connect(copy, &QShortcut::activated, this, &BidiChatTab::copySelectedLines);

    // Follow the newest line unless the user scrolled up to read.
    QScrollBar* bar = m_ui->messagesView->verticalScrollBar();
    connect(bar, &QScrollBar::valueChanged, this, [this, bar](int value) { m_followNewest = value >= bar->maximum() - 4; });
    connect(bar, &QScrollBar::rangeChanged, this, [this, bar](int, int max) {
        if (m_followNewest)
            bar->setValue(max);
    });
    connect(m_messages, &QAbstractItemModel::rowsInserted, this, [this] {
        if (m_followNewest)
            m_ui->messagesView->scrollToBottom();
    });

    connect(m_session, &ChatSession::lineSent, this, [this] {
        m_followNewest = true;   // writing: show the newest
        m_ui->messagesView->scrollToBottom();
    });
    connect(m_session, &ChatSession::stateChanged, this, &BidiChatTab::updateState);
    connect(m_session, &ChatSession::participantsChanged, this, [this](const QStringList& names) {
        m_participants->setStringList(names);
        m_ui->participantsBox->setTitle(names.isEmpty() ? tr("In the room") : tr("In the room (%1)").arg(names.size()));
        updateState();
    });
    connect(m_session, &ChatSession::deliveryChanged, this, [this](const QList<ChatLine>& lines) {
        int refused = 0;
        QString reason;
        for (const ChatLine& line : lines) {
            if (line.delivery == ChatLine::Delivery::Refused) {
                ++refused;
                reason = line.error;
            }
        }
        if (refused)
            showNotice((refused == 1 ? tr("The server refused a line: %1.").arg(reason)
                                     : tr("The server refused %1 lines: %2.").arg(refused).arg(reason))
                           + QLatin1Char(' ') + tr("Press Resend (or double-click a refused line) to send it again."),
                       true);
        updateResendButton();
    });
    connect(m_session, &ChatSession::reconnectScheduled, this, [this](int attempt, int delayMs, const CallStatus& why) {
        m_reconnectAttempt = attempt;
        m_reconnectAtMs = QDateTime::currentMSecsSinceEpoch() + delayMs;
        m_lastStatus = why;
        m_hasLastStatus = true;
        updateState();
    });
    m_countdown.setInterval(200);
    connect(&m_countdown, &QTimer::timeout, this, &BidiChatTab::updateState);

    // The call timeline: each Chat call (a reconnect starts a new one).
    connect(m_session, &StreamCall::started, m_ui->timeline, &CallTimelineWidget::beginCall);
    connect(m_session, &StreamCall::trace, m_ui->timeline, &CallTimelineWidget::append);
    connect(m_session, &StreamCall::finished, this, [this](const CallStatus& status) {
        m_lastStatus = status;
        m_hasLastStatus = true;
        updateState();
    });
    connect(connection, &Connection::targetChanged, this, &BidiChatTab::updateState);

    auto* escape = new QShortcut(QKeySequence(Qt::Key_Escape), m_ui->messageEdit);
    escape->setContext(Qt::WidgetShortcut);
    connect(escape, &QShortcut::activated, this, [this] { showNotice(QString(), false); });

    m_ui->splitter->setSizes({460, 190});
    showNotice(QString(), false);
    updateBytes();
    updateState();
}

BidiChatTab::~BidiChatTab() = default;

QString BidiChatTab::defaultName()
{
    QString name = qEnvironmentVariable("USER").trimmed();
    if (name.isEmpty())
        name = qEnvironmentVariable("USERNAME").trimmed();
    if (name.isEmpty())
        name = QDir::home().dirName();
    return name.isEmpty() ? QStringLiteral("guest") : name;
}

void BidiChatTab::saveSettings(QSettings& settings) const
{
    settings.setValue(QStringLiteral("bidi/name"), m_ui->nameEdit->text().trimmed());
    settings.setValue(QStringLiteral("bidi/splitter"), m_ui->splitter->saveState());
    settings.setValue(QStringLiteral("bidi/chatSplitter"), m_ui->chatSplitter->saveState());
    // Nothing typed is lost by quitting: the draft, and the lines the room
    // does not have (unacknowledged or refused), shown again on the next start.
    settings.setValue(QStringLiteral("bidi/draft"), m_ui->messageEdit->toPlainText());
    QJsonArray unsent;   // JSON text: the settings file stays readable
    for (const ChatSession::PendingLine& line : m_session->unsentLines())
        unsent.append(QJsonObject{{QStringLiteral("id"), line.clientId},
                                  {QStringLiteral("text"), line.text},
                                  {QStringLiteral("timeMs"), line.timeMs}});
    settings.setValue(QStringLiteral("bidi/unsent"), QString::fromUtf8(QJsonDocument(unsent).toJson(QJsonDocument::Compact)));
    // And which of the room's lines are ours: after a restart the replayed
    // history still shows them as "(you)".
    settings.setValue(QStringLiteral("bidi/ownIds"), m_session->rememberedOwnIds());
}

void BidiChatTab::restoreSettings(QSettings& settings)
{
    m_ui->nameEdit->setText(settings.value(QStringLiteral("bidi/name"), defaultName()).toString());
    m_ui->splitter->restoreState(settings.value(QStringLiteral("bidi/splitter")).toByteArray());
    m_ui->chatSplitter->restoreState(settings.value(QStringLiteral("bidi/chatSplitter")).toByteArray());
    if (m_ui->messageEdit->toPlainText().isEmpty())
        m_ui->messageEdit->setPlainText(settings.value(QStringLiteral("bidi/draft")).toString());
    QList<ChatSession::PendingLine> unsent;
    const QJsonArray saved = QJsonDocument::fromJson(settings.value(QStringLiteral("bidi/unsent")).toString().toUtf8()).array();
    for (const QJsonValue& entry : saved) {
        const QJsonObject line = entry.toObject();
        unsent.append({line.value(QStringLiteral("id")).toString(), line.value(QStringLiteral("text")).toString(),
                       line.value(QStringLiteral("timeMs")).toInteger()});
    }
    // Taken, not shared: a second copy of the app started from the same
    // settings does not show (and offer to send) the same lines or draft.
    const QStringList ownIds = settings.value(QStringLiteral("bidi/ownIds")).toStringList();
    settings.remove(QStringLiteral("bidi/unsent"));
    settings.remove(QStringLiteral("bidi/draft"));
    settings.remove(QStringLiteral("bidi/ownIds"));
    const int restored = m_session->restoreUnsent(unsent);
    m_session->recognizeOwnIds(ownIds);
    if (restored > 0)
        showNotice(restored == 1 ? tr("A line written before Streamlab last quit did not reach the room. "
                                      "Join, then press Resend to send it.")
                                 : tr("%1 lines written before Streamlab last quit did not reach the room. "
                                      "Join, then press Resend to send them.").arg(restored),
                   false);
    updateState();
}

void BidiChatTab::joinRoom()
{
    if (m_session->state() != ChatSession::State::Offline)
        return;
    QString name = m_ui->nameEdit->text().trimmed();
    if (name.isEmpty()) {
        name = defaultName();
        m_ui->nameEdit->setText(name);
    }
    QString error;
    if (!m_session->join(name, &error)) {
        showNotice(error, true);
        m_ui->nameEdit->setFocus();
        return;
    }
    showNotice(QString(), false);
    m_hasLastStatus = false;
    m_ui->messageEdit->setFocus();
}

void BidiChatTab::leaveRoom()
{
    m_session->leave();
}

bool BidiChatTab::sendEnteredText()
{
    const QString text = m_ui->messageEdit->toPlainText();
    QString error;
    const QString id = m_session->send(text, &error);
    if (id.isEmpty()) {
        // Nothing is lost: the text stays in the box.
        showNotice(error, !text.trimmed().isEmpty());
        m_inputNotice = !ChatSession::checkText(text).isEmpty();   // about the text: goes when it is fixed
        m_ui->messageEdit->setFocus();
        return false;
    }
    m_ui->messageEdit->clear();
    showNotice(QString(), false);
    return true;
}

void BidiChatTab::resendHeld()
{
    const QStringList ids = m_messages->resendableClientIds();
    QString error;
    for (const QString& id : ids) {
        if (!m_session->resend(id, &error)) {
            showNotice(error, true);
            break;
        }
    }
    if (error.isEmpty())
        showNotice(QString(), false);
    updateResendButton();
}

void BidiChatTab::resendAt(const QModelIndex& index)
{
    if (!index.isValid() || !ChatMessagesModel::waitsForResend(ChatLine::Delivery(index.data(ChatMessagesModel::DeliveryRole).toInt())))
        return;
    QString error;
    if (!m_session->resend(index.data(ChatMessagesModel::ClientIdRole).toString(), &error))
        showNotice(error, true);
    updateResendButton();
}

bool BidiChatTab::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_ui->messageEdit && event->type() == QEvent::KeyPress) {
        auto* key = static_cast<QKeyEvent*>(event);
        if (key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter) {
            if (key->modifiers() & Qt::ShiftModifier) {
                // A real newline (QPlainTextEdit would insert U+2028 for Shift+Enter).
                m_ui->messageEdit->insertPlainText(QStringLiteral("\n"));
            } else {
                sendEnteredText();
            }
            return true;
        }
    }
    return LabTab::eventFilter(watched, event);
}

void BidiChatTab::updateBytes()
{
    const qsizetype bytes = m_ui->messageEdit->toPlainText().toUtf8().size();
    const bool over = bytes > ChatSession::kMaxTextBytes;
    m_ui->bytesLabel->setText(tr("%1 / %2 bytes").arg(bytes).arg(ChatSession::kMaxTextBytes));
    m_ui->bytesLabel->setStyleSheet(over ? QStringLiteral("color: #c62828; font-weight: bold;") : QString());
    m_ui->bytesLabel->setVisible(bytes > 0);
    if (over) {
        showNotice(ChatSession::checkText(m_ui->messageEdit->toPlainText()), true);
        m_inputNotice = true;
    } else if (m_inputNotice) {
        showNotice(QString(), false);
    }
    updateState();
}

void BidiChatTab::updateResendButton()
{
    const int waiting = int(m_messages->resendableClientIds().size());
    m_ui->resendButton->setVisible(waiting > 0);
    m_ui->resendButton->setText(tr("&Resend (%1)").arg(waiting));
    m_ui->resendButton->setEnabled(waiting > 0 && (m_session->state() == ChatSession::State::Joined
                                                   || m_session->state() == ChatSession::State::Connecting
                                                   || m_session->state() == ChatSession::State::Reconnecting));
}

void BidiChatTab::showNotice(const QString& text, bool error)
{
    m_ui->noticeLabel->setText(text);
    m_ui->noticeLabel->setStyleSheet(error ? QStringLiteral("color: #c62828;") : QString());
    m_ui->noticeLabel->setVisible(!text.isEmpty());
    m_inputNotice = false;
}

void BidiChatTab::copySelectedLines()
{
    QModelIndexList rows = m_ui->messagesView->selectionModel()->selectedRows();
    std::sort(rows.begin(), rows.end(), [](const QModelIndex& a, const QModelIndex& b) { return a.row() < b.row(); });
    QStringList lines;
    for (const QModelIndex& row : rows)
        lines << row.data(Qt::DisplayRole).toString();
    if (!lines.isEmpty())
        QApplication::clipboard()->setText(lines.join(QLatin1Char('\n')));
}

void BidiChatTab::updateState()
{
    using State = ChatSession::State;
    const State state = m_session->state();
    const QString target = m_connection->target();
    const bool hasServer = m_connection->channel() != nullptr;
    const bool inRoom = state == State::Connecting || state == State::Joined || state == State::Reconnecting;
    StatusBadge* badge = m_ui->stateBadge;
    QString text;
    switch (state) {
    case State::Offline:
        if (m_hasLastStatus && !m_lastStatus.ok() && !m_lastStatus.cancelled()) {
            badge->setStatus(m_lastStatus.codeName);
            text = tr("Not in the room: %1").arg(m_lastStatus.text);
        } else {
            badge->setState(tr("OFFLINE"), StatusBadge::Tone::Neutral);
            text = hasServer ? tr("Not in the room. Press Join to chat on %1.").arg(target)
                             : tr("Waiting for a server: the bundled one is starting, or connect to one above.");
        }
        if (const int unsent = m_session->unacknowledged())
            text += QLatin1Char(' ') + (unsent == 1 ? tr("Your unsent line goes out when you join.")
                                                    : tr("Your %1 unsent lines go out when you join.").arg(unsent));
        break;
    case State::Connecting:
        badge->setState(tr("JOINING"), StatusBadge::Tone::Busy);
        text = tr("Joining as %1 on %2…").arg(m_session->user(), target);
        break;
    case State::Joined:
        badge->setState(tr("JOINED"), StatusBadge::Tone::Good);
        text = m_session->participants().size() == 1
            ? tr("In the room as %1 on %2 · nobody else here yet").arg(m_session->user(), target)
            : tr("In the room as %1 on %2 · %3 participants").arg(m_session->user(), target, QString::number(m_session->participants().size()));
        // Two copies of the app on one machine both start as the OS user.
        if (m_session->participants().count(m_session->user()) > 1)
            text += QLatin1Char(' ') + tr("· someone else here is also called %1: leave and join under another name "
                                          "so that the room can tell you apart.").arg(m_session->user());
        break;
    case State::Reconnecting: {
        badge->setState(tr("RECONNECTING"), StatusBadge::Tone::Warning);
        const double seconds = std::max<qint64>(0, m_reconnectAtMs - QDateTime::currentMSecsSinceEpoch()) / 1000.0;
        text = tr("No connection (%1): trying again in %2 s (attempt %3). Unsent lines are kept.")
                   .arg(m_hasLastStatus ? m_lastStatus.codeName : QStringLiteral("?"))
                   .arg(QLocale().toString(seconds, 'f', 1))
                   .arg(m_reconnectAttempt);
        if (m_hasLastStatus)
            m_ui->stateText->setToolTip(m_lastStatus.text);
        break;
    }
    case State::Leaving:
        badge->setState(tr("LEAVING"), StatusBadge::Tone::Busy);
        text = tr("Leaving: the call is half-closed; the server delivers what is pending, then ends it.");
        break;
    }
    m_ui->stateText->setText(text);
    if (state == State::Reconnecting) {
        if (!m_countdown.isActive())
            m_countdown.start();
    } else {
        m_countdown.stop();
    }

    m_ui->nameEdit->setEnabled(state == State::Offline);
    m_ui->joinButton->setEnabled(state == State::Offline && hasServer);
    m_ui->leaveButton->setEnabled(state != State::Offline);
    m_ui->leaveButton->setText(state == State::Leaving ? tr("Stop &waiting") : tr("&Leave"));
    m_ui->reconnectButton->setVisible(state == State::Reconnecting);
    const QString typed = m_ui->messageEdit->toPlainText();
    m_ui->sendButton->setEnabled(inRoom && ChatSession::checkText(typed).isEmpty());
    m_ui->messageEdit->setReadOnly(false);
    updateResendButton();
}

} // namespace streamlab
