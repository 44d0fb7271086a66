#include "ElidedLabel.h"

#include <QAction>
#include <QClipboard>
#include <QGuiApplication>
#include <QPainter>
#include <QStyle>

namespace streamlab {

ElidedLabel::ElidedLabel(QWidget* parent) : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
    auto* copy = new QAction(tr("&Copy"), this);
    connect(copy, &QAction::triggered, this, [this] { QGuiApplication::clipboard()->setText(m_text); });
    addAction(copy);
    setContextMenuPolicy(Qt::ActionsContextMenu);
}

void ElidedLabel::setText(const QString& text)
{
    if (text == m_text)
        return;
    m_text = text;
    setToolTip(text);
    if (m_preferWholeText)
        updateGeometry();
    update();   // otherwise the size hint does not depend on the text: no relayout
}

void ElidedLabel::setPreferWholeText(bool prefer)
{
    m_preferWholeText = prefer;
    setSizePolicy(prefer ? QSizePolicy::Preferred : QSizePolicy::Ignored, QSizePolicy::Fixed);
    updateGeometry();
}

QString ElidedLabel::shownText() const
{
    return fontMetrics().elidedText(m_text, Qt::ElideRight, contentsRect().width());
}

QSize ElidedLabel::sizeHint() const
{
    const QMargins margins = contentsMargins();
    // (A few pixels to spare: eliding measures the text with subpixel widths.)
    const int width = m_preferWholeText ? fontMetrics().horizontalAdvance(m_text) + 4 + margins.left() + margins.right()
                                        : fontMetrics().averageCharWidth() * 40;
    return {width, fontMetrics().height()};
}

QSize ElidedLabel::minimumSizeHint() const
{
    return {0, fontMetrics().height()};
}

void ElidedLabel::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    style()->drawItemText(&painter, contentsRect(), int(Qt::AlignLeft | Qt::AlignVCenter), palette(), isEnabled(), shownText(),
                          QPalette::WindowText);
}

} // namespace streamlab
