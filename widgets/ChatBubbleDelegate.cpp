#include "ChatBubbleDelegate.h"

#include "ChatLine.h"
#include "ChatMessagesModel.h"

#include <QAbstractItemView>
#include <QApplication>
#include <QDateTime>
#include <QLocale>
#include <QPainter>
#include <QPainterPath>
#include <QTextLayout>

#include <cmath>
#include <memory>

namespace streamlab {

namespace {
constexpr int kMargin = 6;        // around a bubble
constexpr int kPad = 8;           // inside a bubble
constexpr int kRadius = 8;
constexpr double kMaxBubbleShare = 0.75;   // of the view's width

int availableWidth(const QStyleOptionViewItem& option)
{
    if (const auto* view = qobject_cast<const QAbstractItemView*>(option.widget))
        return std::max(120, view->viewport()->width());
    return std::max(120, option.rect.width());
}

// Lays `text` out in lines of at most `maxWidth` (at word boundaries, or
// anywhere inside a word longer than a line); returns the size it takes.
QSizeF layoutText(QTextLayout& layout, const QString& text, const QFont& font, int maxWidth)
{
    QString shown = text;
    shown.replace(QLatin1Char('\n'), QChar::LineSeparator);   // QTextLayout breaks at U+2028, not at '\n'
    layout.setText(shown);
    layout.setFont(font);
    QTextOption option;
    option.setWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    layout.setTextOption(option);
    layout.beginLayout();
    qreal y = 0, width = 0;
    for (QTextLine line = layout.createLine(); line.isValid(); line = layout.createLine()) {
        line.setLineWidth(maxWidth);
        line.setPosition(QPointF(0, y));
        y += line.height();
        width = std::max(width, line.naturalTextWidth());
    }
    layout.endLayout();
    return QSizeF(width, y);
}

QFont smallerFont(const QFont& base, bool bold)
{
    QFont font = base;
    if (font.pointSizeF() > 0)
        font.setPointSizeF(font.pointSizeF() * 0.85);
    else
        font.setPixelSize(std::max(8, int(font.pixelSize() * 0.85)));
    font.setBold(bold);
    return font;
}
} // namespace

struct ChatBubbleDelegate::Layout {
    bool bubble = false;
    bool own = false;
    QString header;    // sender · time
    QString text;
    QString footer;    // delivery mark (own lines)
    std::shared_ptr<QTextLayout> textLayout;   // the text, laid out in textRect
    QRect bubbleRect;  // relative to the row's top-left
    QRect headerRect, textRect, footerRect;
    QSize size;
};

ChatBubbleDelegate::Layout ChatBubbleDelegate::layout(const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    Layout l;
    const int width = availableWidth(option);
    const auto kind = ChatLine::Kind(index.data(ChatMessagesModel::KindRole).toInt());
    if (kind != ChatLine::Kind::Chat) {
        // One centred, wrapped line: "bob joined · 2 in the room", notes.
        l.text = index.data(Qt::DisplayRole).toString();
        const QFontMetrics small(smallerFont(option.font, false));
        const QRect bounds = small.boundingRect(QRect(0, 0, width - 4 * kMargin, 10000),
                                                Qt::AlignHCenter | Qt::TextWordWrap, l.text);
        l.textRect = QRect(2 * kMargin, kMargin / 2, width - 4 * kMargin, bounds.height());
        l.size = QSize(width, bounds.height() + kMargin);
        return l;
    }
    l.bubble = true;
    l.own = index.data(ChatMessagesModel::OwnRole).toBool();
    const QDateTime time = index.data(ChatMessagesModel::TimeRole).toDateTime();
    const QString sender = index.data(ChatMessagesModel::SenderRole).toString();
    l.header = (l.own ? tr("You") : sender) + QStringLiteral(" · ")
        + QLocale().toString(time.time(), QLocale::ShortFormat);
    if (index.data(ChatMessagesModel::ReplayedRole).toBool())
        l.header += QStringLiteral(" · ") + tr("earlier");
    l.text = index.data(ChatMessagesModel::TextRole).toString();
    if (l.own) {
        l.footer = index.data(ChatMessagesModel::DeliveryTextRole).toString();
        const QString error = index.data(ChatMessagesModel::ErrorRole).toString();
        if (!error.isEmpty())
            l.footer += QStringLiteral(": ") + error;
    }

    const int maxInner = int(width * kMaxBubbleShare) - 2 * kPad;
    const QFontMetrics headerMetrics(smallerFont(option.font, true));
    const QFontMetrics footerMetrics(smallerFont(option.font, false));
    l.textLayout = std::make_shared<QTextLayout>();
    const QSizeF textSize = layoutText(*l.textLayout, l.text, option.font, maxInner);
    const QRect textBounds(0, 0, int(std::ceil(textSize.width())), int(std::ceil(textSize.height())));
    const QRect headerBounds = headerMetrics.boundingRect(QRect(0, 0, maxInner, 1000), Qt::TextSingleLine, l.header);
    const QRect footerBounds = l.footer.isEmpty()
        ? QRect()
        : footerMetrics.boundingRect(QRect(0, 0, maxInner, 1000), Qt::TextWordWrap, l.footer);
    const int inner = std::min(maxInner, std::max({textBounds.width(), headerBounds.width(), footerBounds.width(), 40}));

    int y = kPad;
    l.headerRect = QRect(kPad, y, inner, headerMetrics.height());
    y += headerMetrics.height() + 2;
    l.textRect = QRect(kPad, y, inner, textBounds.height());
    y += textBounds.height();
    if (!l.footer.isEmpty()) {
        y += 2;
        l.footerRect = QRect(kPad, y, inner, footerBounds.height());
        y += footerBounds.height();
    }
    y += kPad;
    const int bubbleWidth = inner + 2 * kPad;
    const int x = l.own ? width - kMargin - bubbleWidth : kMargin;
    l.bubbleRect = QRect(x, kMargin / 2, bubbleWidth, y);
    l.headerRect.translate(x, kMargin / 2);
    l.textRect.translate(x, kMargin / 2);
    l.footerRect.translate(x, kMargin / 2);
    l.size = QSize(width, y + kMargin);
    return l;
}

QSize ChatBubbleDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    // The list lays every row out again when rows are added: remember sizes.
    // The display text holds sender, time, text and delivery; the rest is added.
    const QString key = index.data(Qt::DisplayRole).toString() + QChar(0x1f)
        + index.data(ChatMessagesModel::ErrorRole).toString() + QChar(0x1f)
        + QString::number(index.data(ChatMessagesModel::ReplayedRole).toBool()) + QChar(0x1f)
        + QString::number(availableWidth(option)) + QChar(0x1f) + option.font.key();
    const auto cached = m_sizes.constFind(key);
    if (cached != m_sizes.constEnd())
        return *cached;
    if (m_sizes.size() > 20000)
        m_sizes.clear();
    const QSize size = layout(option, index).size;
    m_sizes.insert(key, size);
    return size;
}

void ChatBubbleDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    const Layout l = layout(option, index);
    const QPalette& palette = option.palette;
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    painter->translate(option.rect.topLeft());
    const bool selected = option.state & QStyle::State_Selected;

    if (!l.bubble) {
        painter->setFont(smallerFont(option.font, false));
        QColor colour = palette.color(QPalette::PlaceholderText);
        painter->setPen(colour);
        painter->drawText(l.textRect, Qt::AlignHCenter | Qt::TextWordWrap, l.text);
        painter->restore();
        return;
    }

    const auto delivery = ChatLine::Delivery(index.data(ChatMessagesModel::DeliveryRole).toInt());
    QColor fill = l.own ? palette.color(QPalette::Highlight) : palette.color(QPalette::AlternateBase);
    if (l.own)
        fill = QColor::fromHslF(fill.hslHueF(), std::min(1.0f, fill.hslSaturationF() * 0.6f), 0.88f);
    if (!l.own && fill == palette.color(QPalette::Base))
        fill = palette.color(QPalette::Midlight);
    QColor border = selected ? palette.color(QPalette::Highlight) : fill.darker(115);
    if (ChatMessagesModel::waitsForResend(delivery) || delivery == ChatLine::Delivery::NotSent)
        border = QColor(0xc6, 0x28, 0x28);
    QPainterPath path;
    path.addRoundedRect(QRectF(l.bubbleRect).adjusted(0.5, 0.5, -0.5, -0.5), kRadius, kRadius);
    painter->fillPath(path, fill);
    painter->setPen(QPen(border, selected ? 2.0 : 1.0, delivery == ChatLine::Delivery::Sending ? Qt::DashLine : Qt::SolidLine));
    painter->drawPath(path);

    // Own bubbles are light whatever the theme: dark text on them.
    const QColor text = l.own ? QColor(0x20, 0x20, 0x20) : palette.color(QPalette::Text);
    painter->setPen(text);
    painter->setFont(smallerFont(option.font, true));
    painter->drawText(l.headerRect, Qt::TextSingleLine, painter->fontMetrics().elidedText(l.header, Qt::ElideRight, l.headerRect.width()));
    l.textLayout->draw(painter, l.textRect.topLeft());
    if (!l.footer.isEmpty()) {
        painter->setFont(smallerFont(option.font, false));
        QColor mark = text;
        if (delivery == ChatLine::Delivery::Delivered)
            mark = QColor(0x2e, 0x7d, 0x32);
        else if (ChatMessagesModel::waitsForResend(delivery) || delivery == ChatLine::Delivery::NotSent)
            mark = QColor(0xc6, 0x28, 0x28);
        else
            mark.setAlphaF(0.6f);
        painter->setPen(mark);
        painter->drawText(l.footerRect, Qt::AlignRight | Qt::TextWordWrap, l.footer);
    }
    painter->restore();
}

} // namespace streamlab
