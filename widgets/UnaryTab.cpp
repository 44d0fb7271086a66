#include "UnaryTab.h"

#include "CallTimelineWidget.h"
#include "Connection.h"
#include "PatternHeader.h"
#include "StatusBadge.h"
#include "ui_unarytab.h"

#include <QKeySequence>
#include <QLocale>
#include <QSettings>
#include <QShortcut>

namespace streamlab {

UnaryTab::UnaryTab(Connection* connection, QWidget* parent)
    : LabTab(parent), m_ui(std::make_unique<Ui::UnaryTab>()), m_lookup(new UserLookup(connection, this))
{
    m_ui->setupUi(this);
    m_ui->header->setPattern(
        QStringLiteral("rpc GetUser (UserRequest) returns (UserResponse);"),
        tr("Unary: one request, one response, like a classic API call. Fits CRUD, queries and actions whose answer fits in one message."));
    m_ui->splitter->setStretchFactor(0, 3);
    m_ui->splitter->setStretchFactor(1, 2);
    m_ui->repeatProgress->setVisible(false);
    clearCard();

    connect(m_ui->idEdit, &QLineEdit::returnPressed, this, &UnaryTab::lookUpEnteredId);
    connect(m_ui->lookupButton, &QPushButton::clicked, this, &UnaryTab::lookUpEnteredId);
    connect(m_ui->repeatButton, &QPushButton::clicked, this, &UnaryTab::startRepeat);
    connect(m_ui->cancelButton, &QPushButton::clicked, m_lookup, &UserLookup::cancel);
    auto* escape = new QShortcut(QKeySequence(Qt::Key_Escape), this);
    escape->setContext(Qt::WidgetWithChildrenShortcut);
    connect(escape, &QShortcut::activated, m_lookup, &UserLookup::cancel);

    connect(m_lookup, &UserLookup::started, this, [this](const QString& method) {
        m_ui->timeline->beginCall(method);
        setBusy(true);
    });
    connect(m_lookup, &UserLookup::finished, this, &UnaryTab::showResult);
    connect(m_lookup, &UserLookup::repeatProgress, this, [this](const LatencyStats& stats) { showStats(stats, false); });
    connect(m_lookup, &UserLookup::repeatFinished, this, [this](const LatencyStats& stats) { showStats(stats, true); });
}

UnaryTab::~UnaryTab() = default;

void UnaryTab::saveSettings(QSettings& settings) const
{
    settings.setValue(QStringLiteral("unary/deadlineMs"), m_ui->deadlineSpin->value());
    settings.setValue(QStringLiteral("unary/lastId"), m_ui->idEdit->text());
    settings.setValue(QStringLiteral("unary/repeat"), m_ui->repeatSpin->value());
    settings.setValue(QStringLiteral("unary/splitter"), m_ui->splitter->saveState());
}

void UnaryTab::restoreSettings(QSettings& settings)
{
    m_ui->deadlineSpin->setValue(settings.value(QStringLiteral("unary/deadlineMs"), 2000).toInt());
    m_ui->idEdit->setText(settings.value(QStringLiteral("unary/lastId"), QStringLiteral("42")).toString());
    m_ui->repeatSpin->setValue(settings.value(QStringLiteral("unary/repeat"), 1000).toInt());
    m_ui->splitter->restoreState(settings.value(QStringLiteral("unary/splitter")).toByteArray());
}

void UnaryTab::lookUpEnteredId()
{
    if (m_lookup->busy())
        return;
    const QString id = m_ui->idEdit->text().trimmed();
    if (id.isEmpty()) {
        m_ui->statusBadge->setState(tr("EMPTY"), StatusBadge::Tone::Neutral);
        m_ui->statusText->setText(tr("Type a user id first, for example 42."));
        m_ui->idEdit->setFocus();
        return;
    }
    clearCard();
    m_ui->statusBadge->setState(tr("CALLING"), StatusBadge::Tone::Busy);
    m_ui->statusText->setText(tr("Looking up user %1…").arg(id));
    m_lookup->lookup(id, m_ui->deadlineSpin->value(), m_ui->delaySpin->value());
}

void UnaryTab::startRepeat()
{
    if (m_lookup->busy())
        return;
    const QString id = m_ui->idEdit->text().trimmed();
    if (id.isEmpty()) {
        m_ui->statusText->setText(tr("Type a user id first, for example 42."));
        return;
    }
    m_ui->repeatProgress->setRange(0, m_ui->repeatSpin->value());
    m_ui->repeatProgress->setValue(0);
    m_ui->repeatProgress->setVisible(true);
    m_ui->repeatStatsLabel->setText(tr("Running…"));
    m_lookup->repeat(id, m_ui->repeatSpin->value(), m_ui->deadlineSpin->value());
}

void UnaryTab::setBusy(bool busy)
{
    m_ui->lookupButton->setEnabled(!busy);
    m_ui->repeatButton->setEnabled(!busy);
    m_ui->cancelButton->setEnabled(busy);
}

void UnaryTab::clearCard()
{
    for (QLabel* value : {m_ui->nameValue, m_ui->emailValue, m_ui->usernameValue, m_ui->companyValue, m_ui->jobValue,
                          m_ui->placeValue, m_ui->phoneValue, m_ui->sinceValue, m_ui->idValue})
        value->setText(QStringLiteral("—"));
    m_ui->latencyLabel->clear();
}

void UnaryTab::showResult(const LookupResult& result)
{
    setBusy(false);
    m_ui->timeline->append(result.trace);
    m_ui->statusBadge->setStatus(result.status.codeName);
    m_ui->statusText->setText(result.status.text);
    m_ui->latencyLabel->setText(tr("%1 ms").arg(QLocale().toString(result.status.elapsedMs, 'f', 2)));
    if (!result.hasUser)
        return;
    const UserInfo& user = result.user;
    m_ui->nameValue->setText(user.name);
    m_ui->emailValue->setText(user.email);
    m_ui->usernameValue->setText(user.username);
    m_ui->companyValue->setText(user.company);
    m_ui->jobValue->setText(user.jobTitle);
    m_ui->placeValue->setText(tr("%1, %2").arg(user.city, user.country));
    m_ui->phoneValue->setText(user.phone);
    m_ui->sinceValue->setText(QLocale().toString(user.createdAt.toLocalTime().date(), QLocale::LongFormat));
    m_ui->idValue->setText(user.id);
}

void UnaryTab::showStats(const LatencyStats& stats, bool final)
{
    m_ui->repeatProgress->setValue(stats.done);
    QString text = tr("%1 of %2 · p50 %3 ms · p99 %4 ms · min %5 · max %6")
                       .arg(stats.done)
                       .arg(stats.total)
                       .arg(QLocale().toString(stats.p50Ms, 'f', 2), QLocale().toString(stats.p99Ms, 'f', 2),
                            QLocale().toString(stats.minMs, 'f', 2), QLocale().toString(stats.maxMs, 'f', 2));
    if (stats.errors)
        text += tr(" · %n error(s), last: %1", nullptr, stats.errors).arg(stats.lastError);
    m_ui->repeatStatsLabel->setText(text);
    if (!final)
        return;
    setBusy(false);
    m_ui->repeatProgress->setVisible(false);
    const bool complete = stats.done == stats.total;
    m_ui->timeline->append({{CallTraceEntry::Kind::Finished, stats.elapsedMs, 0, stats.done,
                             complete ? tr("OK: %1 calls, p50 %2 ms, p99 %3 ms").arg(stats.done).arg(stats.p50Ms, 0, 'f', 2).arg(stats.p99Ms, 0, 'f', 2)
                                      : tr("CANCELLED after %1 of %2 calls").arg(stats.done).arg(stats.total)}});
}

} // namespace streamlab
