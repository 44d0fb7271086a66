#pragma once
// A small pill showing a state ("READY", "OK", "UNAVAILABLE", ...) in a colour
// that says at a glance whether it is good, pending or bad.

#include <QColor>
#include <QLabel>

namespace streamlab {

class StatusBadge : public QLabel {
    Q_OBJECT
public:
    enum class Tone {
        Neutral, // grey: IDLE, CANCELLED, SHUTDOWN, nothing yet
        Good,    // green: READY, OK
        Warning, // amber: CONNECTING
        Bad,     // red: TRANSIENT_FAILURE and every error status code
        Busy,    // blue: a call in progress (RUNNING, STREAMING, ...)
    };
    Q_ENUM(Tone)

    explicit StatusBadge(QWidget* parent = nullptr);

    void setState(const QString& text, Tone tone);
    // setState(code, toneForStatus(code)).
    void setStatus(const QString& code);
    Tone tone() const { return m_tone; }

    // Channel connectivity states and gRPC status code names (case-insensitive;
    // "CODE: message" is read as CODE). Unknown words are Neutral, except
    // "CODE_<n>" (an unnamed status code), which is Bad.
    static Tone toneForStatus(const QString& code);
    static QColor fillColour(Tone tone);
    static QColor textColour(Tone tone);

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    Tone m_tone = Tone::Neutral;
    bool m_stateShown = false;
};

} // namespace streamlab
