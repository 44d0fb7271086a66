#pragma once
// The top of every pattern tab: the RPC's signature, as in the .proto, and
// one line on when that pattern fits.

#include <QWidget>

class QLabel;

namespace streamlab {

class PatternHeader : public QWidget {
    Q_OBJECT
public:
    explicit PatternHeader(QWidget* parent = nullptr);
    void setPattern(const QString& signature, const QString& whenToUse);
    QString signature() const;

private:
    QLabel* m_signature;
    QLabel* m_whenToUse;
};

} // namespace streamlab
