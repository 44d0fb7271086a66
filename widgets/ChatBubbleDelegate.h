#pragma once
// Paints ChatMessagesModel rows as a chat: others' lines in bubbles on the
// left, own lines on the right in the highlight colour with their delivery
// mark, presence changes and notes as small centred lines.

#include <QHash>
#include <QStyledItemDelegate>

namespace streamlab {

class ChatBubbleDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;

private:
    struct Layout;
    Layout layout(const QStyleOptionViewItem& option, const QModelIndex& index) const;

    mutable QHash<QString, QSize> m_sizes;   // by row content and width
};

} // namespace streamlab
