// StatusBadge: the tone of every state it is meant for, and what it shows.
#include "StatusBadge.h"

#include <QImage>
#include <QtTest>

using streamlab::StatusBadge;
using Tone = StatusBadge::Tone;

Q_DECLARE_METATYPE(StatusBadge::Tone)

class TestStatusBadge : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void tones_data();
    void tones();
    void setState();
    void paintsItsTone();
    void emptyTakesNoRoom();
};

void TestStatusBadge::tones_data()
{
    QTest::addColumn<QString>("code");
    QTest::addColumn<Tone>("tone");
    // channel connectivity
    QTest::newRow("READY") << "READY" << Tone::Good;
    QTest::newRow("CONNECTING") << "CONNECTING" << Tone::Warning;
    QTest::newRow("TRANSIENT_FAILURE") << "TRANSIENT_FAILURE" << Tone::Bad;
    QTest::newRow("IDLE") << "IDLE" << Tone::Neutral;
    QTest::newRow("SHUTDOWN") << "SHUTDOWN" << Tone::Neutral;
    // status codes
    QTest::newRow("OK") << "OK" << Tone::Good;
    QTest::newRow("CANCELLED") << "CANCELLED" << Tone::Neutral;
    QTest::newRow("UNAVAILABLE") << "UNAVAILABLE" << Tone::Bad;
    QTest::newRow("NOT_FOUND") << "NOT_FOUND" << Tone::Bad;
    QTest::newRow("INVALID_ARGUMENT") << "INVALID_ARGUMENT" << Tone::Bad;
    QTest::newRow("DEADLINE_EXCEEDED") << "DEADLINE_EXCEEDED" << Tone::Bad;
    QTest::newRow("RESOURCE_EXHAUSTED") << "RESOURCE_EXHAUSTED" << Tone::Bad;
    QTest::newRow("UNKNOWN") << "UNKNOWN" << Tone::Bad;
    QTest::newRow("INTERNAL") << "INTERNAL" << Tone::Bad;
    QTest::newRow("UNAUTHENTICATED") << "UNAUTHENTICATED" << Tone::Bad;
    QTest::newRow("unnamed code") << "CODE_42" << Tone::Bad;
    // forms people write
    QTest::newRow("lower case") << "ready" << Tone::Good;
    QTest::newRow("with message") << "NOT_FOUND: no user 42" << Tone::Bad;
    QTest::newRow("ok with message") << "OK: done" << Tone::Good;
    QTest::newRow("spaces") << "  IDLE " << Tone::Neutral;
    QTest::newRow("running") << "RUNNING" << Tone::Busy;
    QTest::newRow("empty") << "" << Tone::Neutral;
    QTest::newRow("other word") << "whatever" << Tone::Neutral;
}

void TestStatusBadge::tones()
{
    QFETCH(QString, code);
    QFETCH(Tone, tone);
    QCOMPARE(StatusBadge::toneForStatus(code), tone);
}

void TestStatusBadge::setState()
{
    StatusBadge badge;
    badge.setState(QStringLiteral("CONNECTING"), Tone::Warning);
    QCOMPARE(badge.text(), QStringLiteral("CONNECTING"));
    QCOMPARE(badge.tone(), Tone::Warning);
    badge.setStatus(QStringLiteral("UNAVAILABLE"));
    QCOMPARE(badge.text(), QStringLiteral("UNAVAILABLE"));
    QCOMPARE(badge.tone(), Tone::Bad);
    // Every tone has its own fill, and the text is readable on it.
    const Tone all[] = {Tone::Neutral, Tone::Good, Tone::Warning, Tone::Bad, Tone::Busy};
    for (Tone a : all) {
        for (Tone b : all) {
            if (a != b)
                QVERIFY(StatusBadge::fillColour(a) != StatusBadge::fillColour(b));
        }
        const int contrast = qAbs(qGray(StatusBadge::fillColour(a).rgb()) - qGray(StatusBadge::textColour(a).rgb()));
        QVERIFY2(contrast > 90, qPrintable(QString::number(int(a))));
    }
}

void TestStatusBadge::paintsItsTone()
{
    StatusBadge badge;
    badge.setState(QStringLiteral("READY"), Tone::Good);
    badge.resize(badge.sizeHint());
    const QImage img = badge.grab().toImage();
    // In the left padding, inside the rounded end, the fill shows.
    const QColor c = img.pixelColor(4, img.height() / 2);
    QCOMPARE(c.rgb(), StatusBadge::fillColour(Tone::Good).rgb());
    badge.setState(QStringLiteral("UNAVAILABLE"), Tone::Bad);
    badge.resize(badge.sizeHint());
    const QImage img2 = badge.grab().toImage();
    QCOMPARE(img2.pixelColor(4, img2.height() / 2).rgb(),
             StatusBadge::fillColour(Tone::Bad).rgb());
}

void TestStatusBadge::emptyTakesNoRoom()
{
    StatusBadge badge;
    QCOMPARE(badge.sizeHint(), QSize(0, 0));
    badge.setState(QStringLiteral("OK"), Tone::Good);
    QVERIFY(badge.sizeHint().width() > badge.fontMetrics().horizontalAdvance(QStringLiteral("OK")));
    badge.setState(QString(), Tone::Neutral);
    QCOMPARE(badge.sizeHint(), QSize(0, 0));
}

QTEST_MAIN(TestStatusBadge)
#include "tst_statusbadge.moc"
