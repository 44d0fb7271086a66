#include "CallTimelineWidget.h"

#include "CallTimelineModel.h"
#include "StatusBadge.h"
#include "ui_calltimelinewidget.h"

#include <QApplication>
#include <QEvent>
#include <QHeaderView>
#include <QLocale>
#include <QScrollBar>
#include <QPainter>
#include <QStyle>
#include <QStyledItemDelegate>
#include <QTableView>

#include <algorithm>

namespace streamlab {

namespace {
// Styles leave only a pixel or two between a right-aligned cell and the next
// left-aligned one ("+618.2 msReceived"); this insets the text, while the
// selection and alternating background still fill the whole cell.
class PaddedDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    static constexpr int Pad = 4;

    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override
    {
        QStyleOptionViewItem opt = option;
        initStyleOption(&opt, index);
        const QWidget* w = opt.widget;
        QStyle* style = w ? w->style() : QApplication::style();
        style->drawPrimitive(QStyle::PE_PanelItemViewItem, &opt, painter, w);
        opt.rect.adjust(Pad, 0, -Pad, 0);
        opt.features &= ~QStyleOptionViewItem::Alternate; // already painted, full width
        opt.backgroundBrush = QBrush();
        style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, w);
    }

    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override
    {
        return QStyledItemDelegate::sizeHint(option, index) + QSize(2 * Pad, 0);
    }
};
} // namespace

CallTimelineWidget::CallTimelineWidget(QWidget* parent)
    : QWidget(parent)
    , m_ui(std::make_unique<Ui::CallTimelineWidget>())
    , m_model(new CallTimelineModel(this))
{
    m_ui->setupUi(this);
    m_ui->tableView->setModel(m_model);
    m_ui->tableView->setItemDelegate(new PaddedDelegate(m_ui->tableView));
    m_ui->clearButton->setIcon(style()->standardIcon(QStyle::SP_DialogResetButton));
    setUpColumns();

    connect(m_ui->clearButton, &QToolButton::clicked, m_model, &CallTimelineModel::clear);
    connect(m_model, &CallTimelineModel::totalsChanged, this, &CallTimelineWidget::updateSummary);

    // Following the newest line: the user's own scrolling decides (at the
    // bottom = follow); growth of the range while following keeps us there.
    QScrollBar* bar = m_ui->tableView->verticalScrollBar();
    connect(bar, &QScrollBar::valueChanged, this, [this, bar](int value) {
        m_follow = value >= bar->maximum();
    });
    connect(bar, &QScrollBar::rangeChanged, this, [this, bar](int, int max) {
        if (m_follow)
            bar->setValue(max);
    });
    connect(m_model, &QAbstractItemModel::rowsInserted, this, [this] {
        // Lay out now rather than on the next frame, so the view never shows a
        // stale position between two batches.
        if (m_follow && m_ui->tableView->isVisible())
            m_ui->tableView->scrollToBottom();
    });
    // The ring drops the oldest rows: a reader scrolled up keeps looking at
    // the same lines instead of seeing them slide away under the cursor.
    connect(m_model, &QAbstractItemModel::rowsAboutToBeRemoved, this,
            [this](const QModelIndex&, int first, int last) {
                m_rowsBeingRemoved = first == 0 ? last - first + 1 : 0;
            });
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, [this, bar] {
        if (m_model->rowCount() == 0) // cleared: nothing left to read, follow what comes
            m_follow = true;
        else if (!m_follow && m_rowsBeingRemoved > 0) // ScrollPerItem: value = top row
            bar->setValue(std::max(0, bar->value() - m_rowsBeingRemoved));
        m_rowsBeingRemoved = 0;
    });
    connect(m_model, &QAbstractItemModel::modelReset, this, [this] { m_follow = true; });

    updateSummary();
}

CallTimelineWidget::~CallTimelineWidget() = default;

void CallTimelineWidget::beginCall(const QString& method)
{
    m_model->beginCall(method);
}

void CallTimelineWidget::append(const QList<CallTraceEntry>& entries)
{
    m_model->append(entries);
}

QTableView* CallTimelineWidget::view() const
{
    return m_ui->tableView;
}

void CallTimelineWidget::setUpColumns()
{
    QTableView* v = m_ui->tableView;
    const QFontMetrics fm = v->fontMetrics();
    // Every row one text line high: no per-row size computation, cheap even
    // with thousands of lines.
    const int iconSide = fm.height();
    v->setIconSize(QSize(iconSide, iconSide));
    v->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    v->verticalHeader()->setDefaultSectionSize(fm.height() + 6);

    // Fixed widths from sample texts rather than ResizeToContents, which would
    // measure rows on every batch.
    const int pad = 2 * v->style()->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, v) + 2 * PaddedDelegate::Pad + 12;
    QHeaderView* h = v->horizontalHeader();
    h->setSectionResizeMode(QHeaderView::Interactive);
    h->setMinimumSectionSize(fm.horizontalAdvance(QStringLiteral("Size")) + pad);
    h->resizeSection(CallTimelineModel::TimeColumn, fm.horizontalAdvance(QStringLiteral("+999.999 s")) + pad);
    CallTraceEntry sample;
    sample.kind = CallTraceEntry::Kind::Received;
    sample.count = 99999;
    h->resizeSection(CallTimelineModel::WhatColumn,
                     fm.horizontalAdvance(CallTimelineModel::whatText(sample)) + iconSide + pad);
    h->resizeSection(CallTimelineModel::SizeColumn, fm.horizontalAdvance(QStringLiteral("1023.9 KiB")) + pad);
}

void CallTimelineWidget::updateSummary()
{
    const CallTotals& t = m_model->totals();
    const QString method = m_model->method();
    StatusBadge* badge = m_ui->statusBadge;

    if (method.isEmpty() && m_model->rowCount() == 0 && !t.finished) {
        m_summary = tr("No call yet");
        badge->setState(QString(), StatusBadge::Tone::Neutral);
    } else {
        const QLocale locale;
        const QString sep = QStringLiteral("  \u00B7  ");
        QStringList parts;
        if (!method.isEmpty())
            parts << method;
        parts << CallTimelineModel::formatElapsed(t.elapsedMs).mid(1); // no "+" for a duration
        parts << tr("sent %1 (%2)").arg(locale.toString(t.messagesSent), CallTimelineModel::formatBytes(t.bytesSent));
        parts << tr("received %1 (%2)")
                     .arg(locale.toString(t.messagesReceived), CallTimelineModel::formatBytes(t.bytesReceived));
        if (m_model->droppedLines() > 0)
            parts << tr("%1 older lines not kept").arg(locale.toString(m_model->droppedLines()));
        if (t.finished && !t.statusMessage.isEmpty())
            parts << t.statusMessage;
        m_summary = parts.join(sep);

        if (t.finished) {
            const QString code = t.statusCode.isEmpty() ? tr("FINISHED") : t.statusCode;
            badge->setStatus(code);
        } else {
            badge->setState(t.halfClosed ? tr("HALF-CLOSED") : tr("RUNNING"), StatusBadge::Tone::Busy);
        }
    }
    badge->setToolTip(t.finished ? t.statusMessage : QString());
    m_ui->summaryLabel->setText(m_summary);   // elided to its width, whole in its tooltip
}

void CallTimelineWidget::changeEvent(QEvent* event)
{
    if (event->type() == QEvent::FontChange || event->type() == QEvent::StyleChange)
        setUpColumns();
    QWidget::changeEvent(event);
}

} // namespace streamlab
