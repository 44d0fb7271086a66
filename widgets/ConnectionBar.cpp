#include "ConnectionBar.h"

#include "StatusBadge.h"
#include "ui_connectionbar.h"

#include <QLineEdit>

namespace streamlab {

namespace {
constexpr int kHistorySize = 10;
}

ConnectionBar::ConnectionBar(QWidget* parent) : QWidget(parent), m_ui(std::make_unique<Ui::ConnectionBar>())
{
    m_ui->setupUi(this);
    m_ui->targetCombo->lineEdit()->setPlaceholderText(QStringLiteral("host:port"));
    m_ui->stateBadge->setState(QStringLiteral("IDLE"), StatusBadge::Tone::Neutral);
    // Both lines elide rather than hold the window wide (two windows side by
    // side). The message (errors included) keeps a share however narrow the
    // window; the bundled server's line is shown whole when there is room.
    m_ui->messageLabel->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    m_ui->messageLabel->setMinimumWidth(m_ui->messageLabel->fontMetrics().averageCharWidth() * 18);
    m_ui->bundledLabel->setPreferWholeText(true);
    auto requestConnect = [this] { Q_EMIT connectRequested(enteredTarget()); };
    connect(m_ui->connectButton, &QPushButton::clicked, this, requestConnect);
    connect(m_ui->targetCombo->lineEdit(), &QLineEdit::returnPressed, this, requestConnect);
    connect(m_ui->bundledButton, &QPushButton::clicked, this, &ConnectionBar::bundledRequested);
}

ConnectionBar::~ConnectionBar() = default;

void ConnectionBar::setTarget(const QString& target)
{
    remember(target);
    m_ui->targetCombo->setCurrentText(target);
}

QString ConnectionBar::enteredTarget() const { return m_ui->targetCombo->currentText().trimmed(); }

void ConnectionBar::setHistory(const QStringList& targets)
{
    m_ui->targetCombo->clear();
    m_ui->targetCombo->addItems(targets.mid(0, kHistorySize));
}

QStringList ConnectionBar::history() const
{
    QStringList targets;
    for (int i = 0; i < m_ui->targetCombo->count(); ++i)
        targets << m_ui->targetCombo->itemText(i);
    return targets;
}

void ConnectionBar::remember(const QString& target)
{
    const int existing = m_ui->targetCombo->findText(target);
    if (existing >= 0)
        m_ui->targetCombo->removeItem(existing);
    m_ui->targetCombo->insertItem(0, target);
    while (m_ui->targetCombo->count() > kHistorySize)
        m_ui->targetCombo->removeItem(m_ui->targetCombo->count() - 1);
}

void ConnectionBar::setChannelState(ChannelState state)
{
    m_ui->stateBadge->setStatus(channelStateName(state));
}

void ConnectionBar::setBundledServer(const QString& address, int clients, const QString& note)
{
    QString text = note;
    if (!address.isEmpty()) {
        const QString count = clients == 1 ? tr("1 client") : tr("%1 clients").arg(clients);
        text = tr("Bundled server %1 · %2").arg(address, count) + (note.isEmpty() ? QString() : QStringLiteral(" · ") + note);
    }
    m_ui->bundledLabel->setText(text);
    m_ui->bundledLabel->setToolTip(text + QStringLiteral("\n")
                                   + tr("The server inside this app: where it listens and how many clients have a call in flight"));
}

void ConnectionBar::setServerSummary(const ServerSummary& summary)
{
    m_summaryIsProblem = !summary.known && !summary.problem.isEmpty();
    if (summary.known)
        m_summary = tr("%1 %2 · %3 connected")
                        .arg(summary.product, summary.version,
                             summary.clients == 1 ? tr("1 client") : tr("%1 clients").arg(summary.clients));
    else
        m_summary = summary.problem;
    if (!m_showingError)
        paintMessage(m_summary, m_summaryIsProblem);
}

void ConnectionBar::showMessage(const QString& text, bool error)
{
    m_showingError = error && !text.isEmpty();
    if (text.isEmpty() && !error)
        paintMessage(m_summary, m_summaryIsProblem);
    else
        paintMessage(text, error);
}

void ConnectionBar::paintMessage(const QString& text, bool error)
{
    m_ui->messageLabel->setText(text);   // the whole line in its tooltip
    QPalette palette = m_ui->messageLabel->palette();
    palette.setColor(QPalette::WindowText, error ? QColor(0xc0, 0x1c, 0x28) : palette.color(QPalette::Text));
    m_ui->messageLabel->setPalette(palette);
}

} // namespace streamlab
