// CallTimelineModel (rows, batching, the ring cap, totals, display) and
// CallTimelineWidget (summary, following the newest line).
#include "CallTimelineModel.h"
#include "CallTimelineWidget.h"
#include "ElidedLabel.h"
#include "StatusBadge.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QHeaderView>
#include <QLabel>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTableView>
#include <QToolButton>
#include <QWheelEvent>
#include <QtTest>

using namespace streamlab;
using Kind = CallTraceEntry::Kind;

namespace {
CallTraceEntry line(Kind kind, double ms, qint64 bytes = 0, int count = 1, const QString& detail = {})
{
    CallTraceEntry e;
    e.kind = kind;
    e.elapsedMs = ms;
    e.bytes = bytes;
    e.count = count;
    e.detail = detail;
    return e;
}

// n Received lines at 0, 1, 2, ... + startMs; elapsedMs identifies a line.
QList<CallTraceEntry> received(int n, double startMs = 0, qint64 bytes = 100)
{
    QList<CallTraceEntry> out;
    for (int i = 0; i < n; ++i)
        out << line(Kind::Received, startMs + i, bytes);
    return out;
}

double elapsedAt(const QAbstractItemModel* m, int row)
{
    return m->index(row, 0).data(CallTimelineModel::ElapsedMsRole).toDouble();
}

int topVisibleRow(QTableView* v)
{
    return v->rowAt(0);
}

bool rowVisible(QTableView* v, int row)
{
    const QRect r = v->visualRect(v->model()->index(row, 0));
    return r.isValid() && v->viewport()->rect().contains(r.center());
}

void wheelUp(QWidget* viewport)
{
    const QPointF pos(viewport->width() / 2.0, viewport->height() / 2.0);
    QWheelEvent ev(pos, viewport->mapToGlobal(pos), QPoint(), QPoint(0, 120), Qt::NoButton,
                   Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(viewport, &ev);
}
} // namespace

class TestCallTimeline : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // model
    void passesTheModelTester();
    void batchIsOneInsertion();
    void capDropsTheOldestAndCounts();
    void batchLargerThanCap();
    void loweringTheCap();
    void totals();
    void totalsSurviveDroppedLines();
    void displayTexts();
    void finishedLineColours();
    void beginCallStartsOver();
    void clearKeepsARunningCallsTotals();
    void clearForgetsAFinishedCall();
    void formatting();
    // widget
    void summaryAndBadge();
    void followsNewRowsAtTheBottom();
    void staysPutWhenUserScrolledUp();
    void ringKeepsTheReadersLinesInView();
    void clearButton();
    void longSummaryIsElided();
};

void TestCallTimeline::passesTheModelTester()
{
    CallTimelineModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setMaxLines(50);
    model.beginCall(QStringLiteral("ListEvents"));
    model.append({line(Kind::Started, 0, 0, 1, QStringLiteral("ListEvents"))});
    model.append(received(30, 1));
    model.append(received(40, 100)); // overflows the cap
    model.append(received(120, 200)); // larger than the cap
    model.append({line(Kind::Finished, 500, 0, 1, QStringLiteral("OK"))});
    model.setMaxLines(10);
    model.clear();
    model.beginCall(QStringLiteral("Chat"));
    model.append(received(5));
    model.clear(); // in flight: only the lines
    QCOMPARE(model.rowCount(), 0);
}

void TestCallTimeline::batchIsOneInsertion()
{
    CallTimelineModel model;
    model.beginCall(QStringLiteral("ListEvents"));
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy aboutToInsert(&model, &QAbstractItemModel::rowsAboutToBeInserted);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy totals(&model, &CallTimelineModel::totalsChanged);

    model.append(received(250));
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(aboutToInsert.count(), 1);
    QCOMPARE(inserted.at(0).at(1).toInt(), 0);
    QCOMPARE(inserted.at(0).at(2).toInt(), 249);
    QCOMPARE(totals.count(), 1);

    model.append(received(10, 250));
    QCOMPARE(inserted.count(), 2);
    QCOMPARE(inserted.at(1).at(1).toInt(), 250);
    QCOMPARE(inserted.at(1).at(2).toInt(), 259);
    QCOMPARE(model.rowCount(), 260);
    QCOMPARE(removed.count(), 0);
    QCOMPARE(model.droppedLines(), 0);

    model.append({}); // nothing to add: no signal at all
    QCOMPARE(inserted.count(), 2);
    QCOMPARE(totals.count(), 2);
}

void TestCallTimeline::capDropsTheOldestAndCounts()
{
    CallTimelineModel model;
    QCOMPARE(model.maxLines(), CallTimelineModel::DefaultMaxLines);
    QCOMPARE(model.maxLines(), 2000);
    model.setMaxLines(100);
    model.beginCall(QStringLiteral("ListEvents"));
    model.append(received(60, 0));

    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    model.append(received(60, 60));
    QCOMPARE(model.rowCount(), 100);
    QCOMPARE(removed.count(), 1);
    QCOMPARE(removed.at(0).at(1).toInt(), 0);
    QCOMPARE(removed.at(0).at(2).toInt(), 19);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(inserted.at(0).at(1).toInt(), 40);
    QCOMPARE(inserted.at(0).at(2).toInt(), 99);
    QCOMPARE(model.droppedLines(), 20);
    QCOMPARE(elapsedAt(&model, 0), 20.0);  // the oldest 20 went
    QCOMPARE(elapsedAt(&model, 99), 119.0); // the newest is last

    // The default cap holds too.
    CallTimelineModel big;
    big.beginCall(QStringLiteral("ListEvents"));
    for (int i = 0; i < 5; ++i)
        big.append(received(500, i * 500));
    QCOMPARE(big.rowCount(), 2000);
    QCOMPARE(big.droppedLines(), 500);
    QCOMPARE(elapsedAt(&big, 0), 500.0);
}

void TestCallTimeline::batchLargerThanCap()
{
    CallTimelineModel model;
    model.setMaxLines(100);
    model.beginCall(QStringLiteral("ListEvents"));
    model.append(received(30, 0));

    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    model.append(received(250, 1000));
    QCOMPARE(model.rowCount(), 100);
    QCOMPARE(removed.count(), 1);    // the 30 old rows
    QCOMPARE(removed.at(0).at(2).toInt(), 29);
    QCOMPARE(inserted.count(), 1);   // the newest 100 of the batch
    QCOMPARE(inserted.at(0).at(2).toInt(), 99);
    QCOMPARE(model.droppedLines(), 30 + 150);
    QCOMPARE(elapsedAt(&model, 0), 1150.0);
    QCOMPARE(elapsedAt(&model, 99), 1249.0);
    QCOMPARE(model.totals().messagesReceived, 280); // totals count every line
}

void TestCallTimeline::loweringTheCap()
{
    CallTimelineModel model;
    model.beginCall(QStringLiteral("ListEvents"));
    model.append(received(50));
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    model.setMaxLines(20);
    QCOMPARE(removed.count(), 1);
    QCOMPARE(model.rowCount(), 20);
    QCOMPARE(model.droppedLines(), 30);
    QCOMPARE(elapsedAt(&model, 0), 30.0);
    model.setMaxLines(0); // at least one line
    QCOMPARE(model.maxLines(), 1);
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(elapsedAt(&model, 0), 49.0);
}

void TestCallTimeline::totals()
{
    CallTimelineModel model;
    model.beginCall(QStringLiteral("Chat"));
    model.append({
        line(Kind::Started, 0, 0, 1, QStringLiteral("Chat to 127.0.0.1:50051")),
        line(Kind::Sent, 1.5, 300, 3),
        line(Kind::Headers, 2, 0, 1, QStringLiteral("server: streamlab")),
        line(Kind::Received, 3, 4096, 250),
    });
    QCOMPARE(model.totals().messagesSent, 3);
    QCOMPARE(model.totals().bytesSent, 300);
    QCOMPARE(model.totals().messagesReceived, 250);
    QCOMPARE(model.totals().bytesReceived, 4096);
    QVERIFY(!model.totals().finished);
    QVERIFY(!model.totals().halfClosed);
    QVERIFY(!model.totals().ok());

    model.append({line(Kind::Sent, 4, 100), line(Kind::HalfClosed, 5),
                  line(Kind::Received, 6, 50, 2), line(Kind::Trailers, 7),
                  line(Kind::Finished, 12.25, 0, 1, QStringLiteral("NOT_FOUND: no user: 42"))});
    const CallTotals& t = model.totals();
    QCOMPARE(t.messagesSent, 4);
    QCOMPARE(t.bytesSent, 400);
    QCOMPARE(t.messagesReceived, 252);
    QCOMPARE(t.bytesReceived, 4146);
    QVERIFY(t.halfClosed);
    QVERIFY(t.finished);
    QCOMPARE(t.statusCode, QStringLiteral("NOT_FOUND"));
    QCOMPARE(t.statusMessage, QStringLiteral("no user: 42"));
    QVERIFY(!t.ok());
    QCOMPARE(t.elapsedMs, 12.25);

    model.beginCall(QStringLiteral("GetUser"));
    model.append({line(Kind::Finished, 3, 0, 1, QStringLiteral("OK"))});
    QVERIFY(model.totals().ok());
    QCOMPARE(model.totals().statusMessage, QString());
}

void TestCallTimeline::totalsSurviveDroppedLines()
{
    CallTimelineModel model;
    model.setMaxLines(10);
    model.beginCall(QStringLiteral("ListEvents"));
    for (int i = 0; i < 7; ++i)
        model.append(received(9, i * 9, 1000));
    QCOMPARE(model.rowCount(), 10);
    QCOMPARE(model.droppedLines(), 53);
    QCOMPARE(model.totals().messagesReceived, 63);
    QCOMPARE(model.totals().bytesReceived, 63000);
}

void TestCallTimeline::displayTexts()
{
    CallTimelineModel model;
    model.beginCall(QStringLiteral("ListEvents"));
    model.append({line(Kind::Started, 0, 0, 1, QStringLiteral("ListEvents")),
                  line(Kind::Received, 12.34, 4096, 250),
                  line(Kind::Sent, 2500, 0),
                  line(Kind::Note, 2600, 0, 1, QStringLiteral("cancel\nrequested")),
                  line(Kind::HalfClosed, 2700)});
    auto text = [&](int row, int col) { return model.index(row, col).data().toString(); };

    QCOMPARE(model.columnCount(), 4);
    QCOMPARE(model.headerData(0, Qt::Horizontal).toString(), QStringLiteral("Time"));
    QCOMPARE(model.headerData(1, Qt::Horizontal).toString(), QStringLiteral("What"));
    QCOMPARE(model.headerData(2, Qt::Horizontal).toString(), QStringLiteral("Size"));
    QCOMPARE(model.headerData(3, Qt::Horizontal).toString(), QStringLiteral("Detail"));

    QCOMPARE(text(0, 0), QStringLiteral("+0.0 ms"));
    QCOMPARE(text(0, 1), QStringLiteral("Started"));
    QCOMPARE(text(0, 2), QString()); // not a message: no size
    QCOMPARE(text(0, 3), QStringLiteral("ListEvents"));

    QCOMPARE(text(1, 0), QStringLiteral("+12.3 ms"));
    QCOMPARE(text(1, 1), QStringLiteral("Received \u00D7250"));
    QCOMPARE(text(1, 2), QStringLiteral("4.0 KiB"));
    QVERIFY(model.index(1, 2).data(Qt::ToolTipRole).toString().contains(QStringLiteral("250 messages")));

    QCOMPARE(text(2, 0), QStringLiteral("+2.500 s"));
    QCOMPARE(text(2, 1), QStringLiteral("Sent"));
    QCOMPARE(text(2, 2), QStringLiteral("0 B")); // an empty message is still a message

    QCOMPARE(text(3, 1), QStringLiteral("Note"));
    QCOMPARE(text(3, 3), QStringLiteral("cancel requested")); // one line per row
    QCOMPARE(model.index(3, 3).data(Qt::ToolTipRole).toString(), QStringLiteral("cancel\nrequested"));
    QVERIFY(model.index(3, 1).data(Qt::FontRole).value<QFont>().italic());
    QCOMPARE(text(4, 1), QStringLiteral("Half-closed"));

    QCOMPARE(model.index(1, 0).data(Qt::TextAlignmentRole).value<Qt::Alignment>() & Qt::AlignRight,
             Qt::AlignRight);
    QCOMPARE(model.index(1, 0).data(CallTimelineModel::KindRole).toInt(),
             int(Kind::Received));
    QCOMPARE(model.index(1, 0).data(CallTimelineModel::CountRole).toInt(), 250);
    QCOMPARE(model.index(1, 0).data(CallTimelineModel::BytesRole).toLongLong(), 4096);
}

void TestCallTimeline::finishedLineColours()
{
    CallTimelineModel model;
    model.beginCall(QStringLiteral("GetUser"));
    model.append({line(Kind::Started, 0), line(Kind::Finished, 1, 0, 1, QStringLiteral("OK")),
                  line(Kind::Finished, 2, 0, 1, QStringLiteral("UNAVAILABLE: connection refused")),
                  line(Kind::Finished, 3, 0, 1, QStringLiteral("CANCELLED: by the user"))});
    const QColor ok = model.index(1, 1).data(Qt::ForegroundRole).value<QColor>();
    const QColor bad = model.index(2, 1).data(Qt::ForegroundRole).value<QColor>();
    QVERIFY(ok.isValid());
    QVERIFY(bad.isValid());
    QVERIFY2(ok.green() > ok.red(), "OK should be green");
    QVERIFY2(bad.red() > bad.green(), "errors should be red");
    QCOMPARE(model.index(3, 1).data(Qt::ForegroundRole).value<QColor>(), bad); // not OK = red
    QVERIFY(!model.index(0, 1).data(Qt::ForegroundRole).isValid()); // other lines: the palette's

    const QIcon okIcon = model.index(1, 1).data(Qt::DecorationRole).value<QIcon>();
    const QIcon badIcon = model.index(2, 1).data(Qt::DecorationRole).value<QIcon>();
    QVERIFY(!okIcon.isNull());
    QVERIFY(!badIcon.isNull());
    QVERIFY(okIcon.cacheKey() != badIcon.cacheKey());
    QVERIFY(!model.index(0, 1).data(Qt::DecorationRole).isValid());
}

void TestCallTimeline::beginCallStartsOver()
{
    CallTimelineModel model;
    model.setMaxLines(5);
    model.beginCall(QStringLiteral("ListEvents"));
    model.append(received(8));
    QVERIFY(model.droppedLines() > 0);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    model.beginCall(QStringLiteral("UploadChunks"));
    QCOMPARE(reset.count(), 1);
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.droppedLines(), 0);
    QCOMPARE(model.totals().messagesReceived, 0);
    QCOMPARE(model.method(), QStringLiteral("UploadChunks"));
    QCOMPARE(model.maxLines(), 5); // the cap is a setting, not per call
}

void TestCallTimeline::clearKeepsARunningCallsTotals()
{
    CallTimelineModel model;
    model.beginCall(QStringLiteral("ListEvents"));
    model.append(received(20, 0, 10));
    model.clear();
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.method(), QStringLiteral("ListEvents"));
    QCOMPARE(model.totals().messagesReceived, 20);
    model.append(received(5, 20, 10));
    QCOMPARE(model.rowCount(), 5);
    QCOMPARE(model.totals().messagesReceived, 25);
    QCOMPARE(model.totals().bytesReceived, 250);
}

void TestCallTimeline::clearForgetsAFinishedCall()
{
    CallTimelineModel model;
    model.beginCall(QStringLiteral("GetUser"));
    model.append({line(Kind::Sent, 0, 10), line(Kind::Finished, 1, 0, 1, QStringLiteral("OK"))});
    model.clear();
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.method(), QString());
    QVERIFY(!model.totals().finished);
    QCOMPARE(model.totals().messagesSent, 0);
}

void TestCallTimeline::formatting()
{
    QCOMPARE(CallTimelineModel::formatBytes(0), QStringLiteral("0 B"));
    QCOMPARE(CallTimelineModel::formatBytes(1023), QStringLiteral("1023 B"));
    QCOMPARE(CallTimelineModel::formatBytes(1024), QStringLiteral("1.0 KiB"));
    QCOMPARE(CallTimelineModel::formatBytes(1536), QStringLiteral("1.5 KiB"));
    QCOMPARE(CallTimelineModel::formatBytes(1024 * 1024 - 1), QStringLiteral("1.0 MiB")); // not "1024.0 KiB"
    QCOMPARE(CallTimelineModel::formatBytes(5LL * 1024 * 1024 * 1024), QStringLiteral("5.0 GiB"));
    QCOMPARE(CallTimelineModel::formatElapsed(0.04), QStringLiteral("+0.0 ms"));
    QCOMPARE(CallTimelineModel::formatElapsed(999.9), QStringLiteral("+999.9 ms"));
    QCOMPARE(CallTimelineModel::formatElapsed(61234.6), QStringLiteral("+61.235 s"));
}

void TestCallTimeline::summaryAndBadge()
{
    CallTimelineWidget w;
    auto* badge = w.findChild<StatusBadge*>();
    QVERIFY(badge);
    QCOMPARE(w.summaryText(), QStringLiteral("No call yet"));
    QCOMPARE(badge->text(), QString());

    w.beginCall(QStringLiteral("ListEvents"));
    w.append({line(Kind::Started, 0), line(Kind::Sent, 1, 20), line(Kind::Received, 12.3, 2048, 250)});
    QVERIFY(w.summaryText().contains(QStringLiteral("ListEvents")));
    QVERIFY(w.summaryText().contains(QStringLiteral("12.3 ms")));
    QVERIFY(w.summaryText().contains(QStringLiteral("received 250 (2.0 KiB)")));
    QVERIFY(w.summaryText().contains(QStringLiteral("sent 1 (20 B)")));
    QCOMPARE(badge->text(), QStringLiteral("RUNNING"));
    QCOMPARE(badge->tone(), StatusBadge::Tone::Busy);

    w.append({line(Kind::Finished, 20, 0, 1, QStringLiteral("DEADLINE_EXCEEDED: Deadline Exceeded"))});
    QCOMPARE(badge->text(), QStringLiteral("DEADLINE_EXCEEDED"));
    QCOMPARE(badge->tone(), StatusBadge::Tone::Bad);
    QVERIFY(w.summaryText().contains(QStringLiteral("Deadline Exceeded")));

    w.model()->setMaxLines(2);
    QVERIFY(w.summaryText().contains(QStringLiteral("older lines not kept")));

    w.beginCall(QStringLiteral("GetUser"));
    w.append({line(Kind::Finished, 1, 0, 1, QStringLiteral("OK"))});
    QCOMPARE(badge->text(), QStringLiteral("OK"));
    QCOMPARE(badge->tone(), StatusBadge::Tone::Good);
    QVERIFY(!w.summaryText().contains(QStringLiteral("ListEvents")));
}

void TestCallTimeline::followsNewRowsAtTheBottom()
{
    CallTimelineWidget w;
    w.resize(600, 220); // about ten rows visible
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QTableView* v = w.view();
    QScrollBar* bar = v->verticalScrollBar();

    w.beginCall(QStringLiteral("ListEvents"));
    for (int batch = 0; batch < 5; ++batch) {
        w.append(received(40, batch * 40));
        QVERIFY(w.isFollowingNewest());
        QVERIFY(bar->maximum() > 0);
        QCOMPARE(bar->value(), bar->maximum());
        QVERIFY(rowVisible(v, w.model()->rowCount() - 1));
    }
    QVERIFY(!rowVisible(v, 0));

    // Also when the layout is only done later (hidden, then shown).
    w.hide();
    w.append(received(40, 200));
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QCoreApplication::processEvents();
    QCOMPARE(bar->value(), bar->maximum());
    QVERIFY(rowVisible(v, w.model()->rowCount() - 1));
}

void TestCallTimeline::staysPutWhenUserScrolledUp()
{
    CallTimelineWidget w;
    w.resize(600, 220);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QTableView* v = w.view();
    QScrollBar* bar = v->verticalScrollBar();

    w.beginCall(QStringLiteral("ListEvents"));
    w.append(received(100));
    QCOMPARE(bar->value(), bar->maximum());

    wheelUp(v->viewport()); // the user scrolls up a few lines
    QVERIFY(bar->value() < bar->maximum());
    QVERIFY(!w.isFollowingNewest());
    const int top = topVisibleRow(v);
    const double topLine = elapsedAt(w.model(), top);

    for (int batch = 1; batch <= 3; ++batch) {
        w.append(received(50, 100.0 * batch + 1000));
        QCoreApplication::processEvents(); // let any deferred layout happen
        QVERIFY(!w.isFollowingNewest());
        QCOMPARE(elapsedAt(w.model(), topVisibleRow(v)), topLine);
        QVERIFY(!rowVisible(v, w.model()->rowCount() - 1));
    }

    // Back at the bottom: following again.
    bar->setValue(bar->maximum());
    QVERIFY(w.isFollowingNewest());
    w.append(received(30, 5000));
    QCOMPARE(bar->value(), bar->maximum());
    QVERIFY(rowVisible(v, w.model()->rowCount() - 1));

    // A new call follows from its start, wherever the last one was scrolled.
    bar->setValue(0);
    QVERIFY(!w.isFollowingNewest());
    w.beginCall(QStringLiteral("Chat"));
    w.append(received(100));
    QVERIFY(w.isFollowingNewest());
    QCOMPARE(bar->value(), bar->maximum());
}

void TestCallTimeline::ringKeepsTheReadersLinesInView()
{
    CallTimelineWidget w;
    w.resize(600, 220);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QTableView* v = w.view();
    QScrollBar* bar = v->verticalScrollBar();
    w.model()->setMaxLines(150);

    w.beginCall(QStringLiteral("ListEvents"));
    w.append(received(150));
    bar->setValue(80); // the user reads line 80
    QVERIFY(!w.isFollowingNewest());
    QCOMPARE(elapsedAt(w.model(), topVisibleRow(v)), 80.0);

    w.append(received(50, 150)); // drops lines 0..49
    QCoreApplication::processEvents();
    QCOMPARE(w.model()->droppedLines(), 50);
    QCOMPARE(bar->value(), 30);
    QCOMPARE(elapsedAt(w.model(), topVisibleRow(v)), 80.0);
    QVERIFY(!w.isFollowingNewest());
}

void TestCallTimeline::clearButton()
{
    CallTimelineWidget w;
    w.beginCall(QStringLiteral("GetUser"));
    w.append({line(Kind::Started, 0), line(Kind::Finished, 2, 0, 1, QStringLiteral("OK"))});
    QCOMPARE(w.model()->rowCount(), 2);
    auto* clear = w.findChild<QToolButton*>(QStringLiteral("clearButton"));
    QVERIFY(clear);
    QTest::mouseClick(clear, Qt::LeftButton);
    QCOMPARE(w.model()->rowCount(), 0);
    QCOMPARE(w.summaryText(), QStringLiteral("No call yet"));

    // Clearing a running call the user had scrolled up in: what comes next is
    // followed again.
    w.resize(600, 220);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QScrollBar* bar = w.view()->verticalScrollBar();
    w.beginCall(QStringLiteral("ListEvents"));
    w.append(received(100));
    bar->setValue(10);
    QVERIFY(!w.isFollowingNewest());
    QTest::mouseClick(clear, Qt::LeftButton);
    QCOMPARE(w.model()->rowCount(), 0);
    QVERIFY(w.summaryText().contains(QStringLiteral("received 100")));
    QVERIFY(w.isFollowingNewest());
    w.append(received(100, 100));
    QCOMPARE(bar->value(), bar->maximum());
    QVERIFY(rowVisible(w.view(), 99));
}

void TestCallTimeline::longSummaryIsElided()
{
    CallTimelineWidget w;
    w.resize(260, 150);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.beginCall(QStringLiteral("streamlab.StreamingExamples/ListEvents"));
    w.append({line(Kind::Received, 1234.5, 123456789, 99999)});
    auto* label = w.findChild<ElidedLabel*>(QStringLiteral("summaryLabel"));
    QVERIFY(label);
    QCOMPARE(label->text(), w.summaryText());
    QVERIFY(label->shownText() != w.summaryText());
    QVERIFY(label->shownText().endsWith(QChar(0x2026))); // "..."
    QCOMPARE(label->toolTip(), w.summaryText());         // the whole line is still there
    QVERIFY(label->fontMetrics().horizontalAdvance(label->shownText()) <= label->contentsRect().width());

    w.resize(1400, 150); // room again: the whole line
    QCoreApplication::processEvents();
    QCOMPARE(label->shownText(), w.summaryText());
}

QTEST_MAIN(TestCallTimeline)
#include "tst_calltimeline.moc"
