// LiveValueLabel: a new value must not make its window lay itself out again
// (what it is for), must fit, and must never shrink.
#include "LiveValueLabel.h"

#include <QHBoxLayout>
#include <QtTest>

#include <functional>

using streamlab::LiveValueLabel;

namespace {

// Counts the layout requests a widget receives.
class LayoutRequests : public QObject {
public:
    int count = 0;
    bool eventFilter(QObject*, QEvent* event) override
    {
        if (event->type() == QEvent::LayoutRequest)
            ++count;
        return false;
    }
};

} // namespace

class TestLiveValueLabel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void valueFitsAndNeverShrinks();
    void sameWidthValueDoesNotRelayOut();
    void plainLabelDoesRelayOut();
};

void TestLiveValueLabel::valueFitsAndNeverShrinks()
{
    LiveValueLabel label;
    label.showValue(QStringLiteral("12,345 events"));
    QCOMPARE(label.minimumSize(), label.maximumSize());
    QVERIFY(label.minimumWidth() >= label.fontMetrics().horizontalAdvance(QStringLiteral("12,345 events")));
    const QSize first = label.minimumSize();

    label.showValue(QStringLiteral("9 events"));   // shorter: the same size
    QCOMPARE(label.minimumSize(), first);
    QCOMPARE(label.text(), QStringLiteral("9 events"));

    label.showValue(QStringLiteral("12,345,678,901 events"));   // longer: grows to fit
    QVERIFY(label.minimumWidth() > first.width());
    QVERIFY(label.minimumWidth() >= label.fontMetrics().horizontalAdvance(QStringLiteral("12,345,678,901 events")));
    QCOMPARE(label.minimumSize(), label.maximumSize());

    label.showValue(QStringLiteral("line one\nline two"));   // two lines: taller
    QVERIFY(label.minimumHeight() > first.height());
}

// Layout requests the window of `label` receives while `update(i)` sets 50 values.
static int layoutRequestsWhileUpdating(QLabel* label, const std::function<void(int)>& update)
{
    QWidget window;
    auto* layout = new QHBoxLayout(&window);
    layout->addWidget(label);
    update(0);
    window.show();
    if (!QTest::qWaitForWindowExposed(&window))
        return -1;
    QCoreApplication::processEvents();

    LayoutRequests requests;
    window.installEventFilter(&requests);
    for (int i = 1; i <= 50; ++i) {
        update(i);
        QCoreApplication::processEvents();
    }
    return requests.count;
}

void TestLiveValueLabel::sameWidthValueDoesNotRelayOut()
{
    auto* label = new LiveValueLabel;
    QCOMPARE(layoutRequestsWhileUpdating(label, [label](int i) { label->showValue(QStringLiteral("%1 events/s").arg(100 + i)); }), 0);
}

// The check above can fail: a plain QLabel in the same place asks for layouts.
void TestLiveValueLabel::plainLabelDoesRelayOut()
{
    auto* label = new QLabel;
    QVERIFY(layoutRequestsWhileUpdating(label, [label](int i) { label->setText(QStringLiteral("%1 events/s").arg(100 + i)); }) > 0);
}

QTEST_MAIN(TestLiveValueLabel)
#include "tst_livevaluelabel.moc"
