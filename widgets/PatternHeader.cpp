#include "PatternHeader.h"

#include <QFontDatabase>
#include <QLabel>
#include <QVBoxLayout>

namespace streamlab {

PatternHeader::PatternHeader(QWidget* parent)
    : QWidget(parent), m_signature(new QLabel(this)), m_whenToUse(new QLabel(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 4);
    layout->setSpacing(2);
    QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    mono.setBold(true);
    m_signature->setFont(mono);
    m_signature->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_whenToUse->setWordWrap(true);
    m_whenToUse->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(m_signature);
    layout->addWidget(m_whenToUse);
}

void PatternHeader::setPattern(const QString& signature, const QString& whenToUse)
{
    m_signature->setText(signature);
    m_whenToUse->setText(whenToUse);
}

QString PatternHeader::signature() const { return m_signature->text(); }

} // namespace streamlab
