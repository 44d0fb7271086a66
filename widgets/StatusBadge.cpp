#include "StatusBadge.h"

#include <QPainter>
#include <QRegularExpression>

namespace streamlab {

StatusBadge::StatusBadge(QWidget* parent)
    : QLabel(parent)
{
    setAlignment(Qt::AlignCenter);
    setTextFormat(Qt::PlainText);
    QFont f = font();
    f.setBold(true);
    f.setPointSizeF(f.pointSizeF() * 0.85);
    setFont(f);
    // Horizontal room for the rounded ends; QLabel's size hint includes it.
    setContentsMargins(8, 1, 8, 1);
    setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Fixed);
    setState(QString(), Tone::Neutral);
}

void StatusBadge::setState(const QString& text, Tone tone)
{
    // A running call reports the same state on every frame: only a change
    // may cost a relayout of the window.
    if (m_stateShown && text == this->text() && tone == m_tone)
        return;
    m_stateShown = true;
    m_tone = tone;
    QPalette p = palette();
    p.setColor(QPalette::WindowText, textColour(tone));
    setPalette(p);
    setText(text);
    updateGeometry();
    update();
}

// An empty badge takes no room rather than showing an empty pill.
QSize StatusBadge::sizeHint() const
{
    return text().isEmpty() ? QSize(0, 0) : QLabel::sizeHint();
}

QSize StatusBadge::minimumSizeHint() const
{
    return sizeHint();
}

void StatusBadge::setStatus(const QString& code)
{
    setState(code, toneForStatus(code));
}

StatusBadge::Tone StatusBadge::toneForStatus(const QString& code)
{
    const QString c = code.section(QLatin1Char(':'), 0, 0).trimmed().toUpper();
    if (c.isEmpty())
        return Tone::Neutral;
    if (c == QLatin1String("OK") || c == QLatin1String("READY"))
        return Tone::Good;
    if (c == QLatin1String("CONNECTING"))
        return Tone::Warning;
    if (c == QLatin1String("IDLE") || c == QLatin1String("CANCELLED") || c == QLatin1String("SHUTDOWN"))
        return Tone::Neutral;
    if (c == QLatin1String("RUNNING") || c == QLatin1String("STREAMING") || c == QLatin1String("STARTED"))
        return Tone::Busy;
    static const char* const errors[] = {
        "TRANSIENT_FAILURE", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
        "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
        "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
        "UNAUTHENTICATED",
    };
    for (const char* e : errors) {
        if (c == QLatin1String(e))
            return Tone::Bad;
    }
    static const QRegularExpression unnamedCode(QStringLiteral("^CODE_\\d+$"));
    if (unnamedCode.match(c).hasMatch())
        return Tone::Bad;
    return Tone::Neutral;
}

QColor StatusBadge::fillColour(Tone tone)
{
    switch (tone) {
    case Tone::Good: return QColor(0x2e, 0x7d, 0x32);
    case Tone::Warning: return QColor(0xf9, 0xa8, 0x25);
    case Tone::Bad: return QColor(0xc6, 0x28, 0x28);
    case Tone::Busy: return QColor(0x15, 0x65, 0xc0);
    case Tone::Neutral: break;
    }
    return QColor(0x75, 0x75, 0x75);
}

QColor StatusBadge::textColour(Tone tone)
{
    // Amber is too light for white text.
    return tone == Tone::Warning ? QColor(0x21, 0x21, 0x21) : QColor(Qt::white);
}

void StatusBadge::paintEvent(QPaintEvent* event)
{
    if (text().isEmpty())
        return;
    {
        QPainter p(this);
        p.setRenderHint(QPainter::Antialiasing);
        p.setPen(Qt::NoPen);
        p.setBrush(fillColour(m_tone));
        const QRectF r = QRectF(rect()).adjusted(0.5, 0.5, -0.5, -0.5);
        const qreal radius = r.height() / 2.0;
        p.drawRoundedRect(r, radius, radius);
    }
    QLabel::paintEvent(event);
}

} // namespace streamlab
