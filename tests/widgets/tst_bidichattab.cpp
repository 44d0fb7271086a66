// The chat tab as a user drives it (offscreen, against a real server): a
// name, Join, Enter sends and Shift+Enter makes a new line, own lines marked
// delivered, another participant's lines and presence, empty and too-long
// messages refused with a message and the text kept, the rate limit's refusal
// shown and resent, Leave, the remembered name, and lines the server never
// acknowledged kept across quitting the app. And the messages model on its
// own, under QAbstractItemModelTester.
#include "BidiChatTab.h"
#include "CallTimelineModel.h"
#include "CallTimelineWidget.h"
#include "ChatMessagesModel.h"
#include "ChatSession.h"
#include "Connection.h"
#include "StatusBadge.h"
#include "TestServer.h"

#include <QAbstractItemModelTester>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QSettings>
#include <QStringListModel>
#include <QTemporaryDir>
#include <QtTest>

using namespace streamlab;

namespace {

ChatLine chat(quint64 seq, const QString& user, const QString& text, const QString& clientId = {}, bool own = false)
{
    ChatLine line;
    line.seq = seq;
    line.user = user;
    line.text = text;
    line.clientId = clientId;
    line.own = own;
    line.timeMs = 1700000000000LL + qint64(seq) * 1000;
    if (own)
        line.delivery = ChatLine::Delivery::Sending;
    return line;
}

QStringList texts(const ChatMessagesModel& model)
{
    QStringList result;
    for (int row = 0; row < model.rowCount(); ++row)
        result << model.index(row).data(ChatMessagesModel::TextRole).toString();
    return result;
}

} // namespace

class TestBidiChatTab : public QObject {
    Q_OBJECT

private:
    template <typename T>
    T* child(const char* name) const
    {
        T* widget = m_tab->findChild<T*>(QLatin1String(name));
        if (!widget)
            qFatal("no child %s", name);
        return widget;
    }
    void type(const QString& text)
    {
        auto* edit = child<QPlainTextEdit>("messageEdit");
        edit->setFocus();
        QTest::keyClicks(edit, text);
    }
    int rowOf(const QString& text) const
    {
        const QStringList all = texts(*m_tab->messages());
        return int(all.indexOf(text));
    }
    ChatLine::Delivery deliveryOf(const QString& text) const
    {
        const int row = rowOf(text);
        return row < 0 ? ChatLine::Delivery::None : m_tab->messages()->line(row).delivery;
    }

private Q_SLOTS:
    void modelKeepsRoomOrderAndMatchesOwnLines();
    void modelDropsTheOldest();

    void initTestCase();
    void cleanupTestCase();
    void defaultNameIsTheUser();
    void joinShowsPresenceAndTimeline();
    void enterSendsShiftEnterMakesANewLine();
    void otherParticipantsLinesAndLeaving();
    void emptyAndTooLongAreRefusedTextKept();
    void rateLimitRefusalIsShownAndResent();
    void leaveEndsTheCallOk();
    void nameIsRemembered();
    void unsentLinesAndTheDraftSurviveQuitting();
    void ownLinesStayOwnAfterARestart();
    void linesFitTheWidthAsTheListFills();

private:
    std::unique_ptr<test::TestServer> m_server;
    Connection m_connection;
    std::unique_ptr<BidiChatTab> m_tab;
    std::unique_ptr<Connection> m_otherConnection;
    std::unique_ptr<ChatSession> m_other;
};

void TestBidiChatTab::modelKeepsRoomOrderAndMatchesOwnLines()
{
    ChatMessagesModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);

    model.addArrived({chat(1, QStringLiteral("bob"), QStringLiteral("one"))});
    // Two own lines written; the room has not ordered them yet: at the bottom.
    model.addSent(chat(0, QStringLiteral("me"), QStringLiteral("mine A"), QStringLiteral("a"), true));
    model.addSent(chat(0, QStringLiteral("me"), QStringLiteral("mine B"), QStringLiteral("b"), true));
    // Someone else's line is ordered before them, above the unconfirmed ones.
    model.addArrived({chat(2, QStringLiteral("bob"), QStringLiteral("two"))});
    QCOMPARE(texts(model), QStringList({"one", "two", "mine A", "mine B"}));
    QCOMPARE(model.index(2).data(ChatMessagesModel::SeqRole).toULongLong(), 0ull);

    // B comes back from the room first (seq 3), then another line, then A (seq 5):
    // the echoes move into room order, nothing is added twice.
    ChatLine echoB = chat(3, QStringLiteral("me"), QStringLiteral("mine B"), QStringLiteral("b"), true);
    model.addArrived({echoB, chat(4, QStringLiteral("bob"), QStringLiteral("three"))});
    QCOMPARE(texts(model), QStringList({"one", "two", "mine B", "three", "mine A"}));
    model.addArrived({chat(5, QStringLiteral("me"), QStringLiteral("mine A"), QStringLiteral("a"), true)});
    QCOMPARE(texts(model), QStringList({"one", "two", "mine B", "three", "mine A"}));
    QCOMPARE(model.rowForClientId(QStringLiteral("a")), 4);
    QCOMPARE(model.index(4).data(ChatMessagesModel::SeqRole).toULongLong(), 5ull);
    QVERIFY(model.index(4).data(ChatMessagesModel::OwnRole).toBool());
    QCOMPARE(model.index(4).data(ChatMessagesModel::DeliveryRole).toInt(), int(ChatLine::Delivery::Sending));

    // The ACK marks it delivered.
    ChatLine ack;
    ack.clientId = QStringLiteral("a");
    ack.delivery = ChatLine::Delivery::Delivered;
    ack.seq = 5;
    model.applyDelivery({ack});
    QCOMPARE(model.index(4).data(ChatMessagesModel::DeliveryRole).toInt(), int(ChatLine::Delivery::Delivered));
    QVERIFY(model.index(4).data(ChatMessagesModel::DeliveryTextRole).toString().contains(QStringLiteral("delivered")));
    QVERIFY(model.index(4).data(Qt::DisplayRole).toString().contains(QStringLiteral("mine A")));

    // A refused line stays at the bottom, marked, with the server's reason.
    model.addSent(chat(0, QStringLiteral("me"), QStringLiteral("too fast"), QStringLiteral("c"), true));
    ChatLine refused;
    refused.clientId = QStringLiteral("c");
    refused.delivery = ChatLine::Delivery::Refused;
    refused.error = QStringLiteral("rate limit: slow down");
    model.applyDelivery({refused});
    QCOMPARE(model.resendableClientIds(), QStringList({"c"}));
    QCOMPARE(model.index(5).data(ChatMessagesModel::ErrorRole).toString(), QStringLiteral("rate limit: slow down"));
    QVERIFY(model.index(5).data(Qt::ToolTipRole).toString().contains(QStringLiteral("rate limit")));

    // Acknowledged without an echo seen (a history gap): placed by its seq now.
    model.addArrived({chat(6, QStringLiteral("bob"), QStringLiteral("four"))});
    model.addSent(chat(0, QStringLiteral("me"), QStringLiteral("gap"), QStringLiteral("d"), true));
    ChatLine gapAck;
    gapAck.clientId = QStringLiteral("d");
    gapAck.delivery = ChatLine::Delivery::Delivered;
    gapAck.seq = 9;
    model.applyDelivery({gapAck});
    QCOMPARE(texts(model), QStringList({"one", "two", "mine B", "three", "mine A", "four", "gap", "too fast"}));

    // Presence and notes are rows too.
    ChatLine joined;
    joined.kind = ChatLine::Kind::Joined;
    joined.user = QStringLiteral("carol");
    joined.participants = QStringList({"bob", "carol", "me"});
    model.addArrived({joined});
    QVERIFY(model.index(7).data(Qt::DisplayRole).toString().contains(QStringLiteral("carol joined")));
    QCOMPARE(model.index(7).data(ChatMessagesModel::ParticipantsRole).toStringList().size(), 3);
    QCOMPARE(model.index(8).data(ChatMessagesModel::TextRole).toString(), QStringLiteral("too fast"));   // still last
}

void TestBidiChatTab::modelDropsTheOldest()
{
    ChatMessagesModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setMaxLines(3);
    QList<ChatLine> lines;
    for (int i = 1; i <= 5; ++i)
        lines << chat(quint64(i), QStringLiteral("bob"), QStringLiteral("l%1").arg(i));
    model.addArrived(lines);
    QCOMPARE(texts(model), QStringList({"l3", "l4", "l5"}));
    model.clear();
    QCOMPARE(model.rowCount(), 0);
}

void TestBidiChatTab::initTestCase()
{
    m_server = std::make_unique<test::TestServer>();
    m_server->config.chatRatePerSecond = 2;   // a flood is easy to make
    m_server->config.chatRateBurst = 8;
    QVERIFY(m_server->start());
    QString error;
    QVERIFY(m_connection.connectTo(QString::fromStdString(m_server->address()), &error));
    m_tab = std::make_unique<BidiChatTab>(&m_connection);
    m_tab->resize(1100, 760);
    m_tab->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_tab.get()));
}

void TestBidiChatTab::cleanupTestCase()
{
    if (m_other && m_other->state() != ChatSession::State::Offline) {
        m_other->leave();
        QTRY_COMPARE_WITH_TIMEOUT(m_other->state(), ChatSession::State::Offline, 10000);
    }
    m_other.reset();
    m_tab.reset();
    m_server->stop();
}

void TestBidiChatTab::defaultNameIsTheUser()
{
    const QString user = qEnvironmentVariable("USER");
    if (!user.isEmpty())
        QCOMPARE(BidiChatTab::defaultName(), user);
    else
        QVERIFY(!BidiChatTab::defaultName().isEmpty());
    QTemporaryDir dir;
    QSettings empty(dir.filePath(QStringLiteral("empty.ini")), QSettings::IniFormat);
    m_tab->restoreSettings(empty);
    QCOMPARE(child<QLineEdit>("nameEdit")->text(), BidiChatTab::defaultName());
    QVERIFY(!child<QPushButton>("sendButton")->isEnabled());
    QVERIFY(!child<QPushButton>("leaveButton")->isEnabled());
    QVERIFY(child<QPushButton>("joinButton")->isEnabled());
    QCOMPARE(child<StatusBadge>("stateBadge")->text(), QStringLiteral("OFFLINE"));
}

void TestBidiChatTab::joinShowsPresenceAndTimeline()
{
    auto* name = child<QLineEdit>("nameEdit");
    name->setText(QStringLiteral("Zoë"));   // QTest::keyClicks types ASCII only
    name->setFocus();
    QTest::keyClick(name, Qt::Key_Return);   // Enter in the name field joins
    QTRY_COMPARE_WITH_TIMEOUT(child<StatusBadge>("stateBadge")->text(), QStringLiteral("JOINED"), 10000);
    QCOMPARE(m_tab->session()->user(), QStringLiteral("Zoë"));
    QTRY_COMPARE_WITH_TIMEOUT(m_tab->participants()->stringList(), QStringList({QStringLiteral("Zoë")}), 5000);
    QVERIFY(child<QLabel>("stateText")->text().contains(QStringLiteral("Zoë")));
    QVERIFY(!name->isEnabled());
    QVERIFY(child<QPushButton>("leaveButton")->isEnabled());
    QVERIFY(!child<QPushButton>("joinButton")->isEnabled());
    // Our own JOIN line, and the call on the timeline.
    QTRY_VERIFY_WITH_TIMEOUT(m_tab->messages()->rowCount() >= 1, 5000);
    QCOMPARE(m_tab->messages()->line(m_tab->messages()->rowCount() - 1).kind, ChatLine::Kind::Joined);
    auto* timeline = m_tab->findChild<CallTimelineWidget*>(QStringLiteral("timeline"));
    QVERIFY(timeline);
    QCOMPARE(timeline->model()->method(), QStringLiteral("Chat"));
    QTRY_VERIFY_WITH_TIMEOUT(timeline->model()->totals().messagesSent >= 1 && timeline->model()->totals().messagesReceived >= 1, 5000);
}

void TestBidiChatTab::enterSendsShiftEnterMakesANewLine()
{
    auto* edit = child<QPlainTextEdit>("messageEdit");
    type(QStringLiteral("first line"));
    QTest::keyClick(edit, Qt::Key_Return, Qt::ShiftModifier);   // a new line, not a send
    edit->insertPlainText(QStringLiteral("second line 🚀"));   // as an input method would
    QCOMPARE(edit->toPlainText(), QStringLiteral("first line\nsecond line 🚀"));
    QVERIFY(child<QPushButton>("sendButton")->isEnabled());
    QVERIFY(child<QLabel>("bytesLabel")->text().startsWith(QString::number(edit->toPlainText().toUtf8().size())));
    QTest::keyClick(edit, Qt::Key_Return);
    QVERIFY(edit->toPlainText().isEmpty());
    const QString sent = QStringLiteral("first line\nsecond line 🚀");
    QVERIFY(rowOf(sent) >= 0);   // at once, marked as sending
    QTRY_COMPARE_WITH_TIMEOUT(deliveryOf(sent), ChatLine::Delivery::Delivered, 5000);
    const QModelIndex index = m_tab->messages()->index(rowOf(sent));
    QVERIFY(index.data(ChatMessagesModel::OwnRole).toBool());
    QVERIFY(index.data(ChatMessagesModel::SeqRole).toULongLong() > 0);
    QCOMPARE(index.data(ChatMessagesModel::SenderRole).toString(), QStringLiteral("Zoë"));
    // The bubble is laid out (a wrapped, two-line text is taller than one line).
    auto* view = child<QListView>("messagesView");
    QVERIFY(view->visualRect(index).height() > 2 * view->fontMetrics().height());
    QVERIFY(!view->grab().isNull());
}

void TestBidiChatTab::otherParticipantsLinesAndLeaving()
{
    m_otherConnection = std::make_unique<Connection>();
    QString error;
    QVERIFY(m_otherConnection->connectTo(QString::fromStdString(m_server->address()), &error));
    m_other = std::make_unique<ChatSession>(m_otherConnection.get());
    QVERIFY(m_other->join(QStringLiteral("bob"), &error));
    QTRY_COMPARE_WITH_TIMEOUT(m_tab->participants()->stringList(), QStringList({QStringLiteral("Zoë"), QStringLiteral("bob")}), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(child<QLabel>("stateText")->text().contains(QStringLiteral("2")), 5000);
    QVERIFY(child<QGroupBox>("participantsBox")->title().contains(QStringLiteral("2")));

    const QString hello = QStringLiteral("hej Zoë 👋 — ça va?");
    QVERIFY(!m_other->send(hello).isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(hello) >= 0, 5000);
    const QModelIndex index = m_tab->messages()->index(rowOf(hello));
    QVERIFY(!index.data(ChatMessagesModel::OwnRole).toBool());
    QCOMPARE(index.data(ChatMessagesModel::SenderRole).toString(), QStringLiteral("bob"));
    QCOMPARE(index.data(ChatMessagesModel::TextRole).toString(), hello);

    m_other->leave();
    QTRY_COMPARE_WITH_TIMEOUT(m_tab->participants()->stringList(), QStringList({QStringLiteral("Zoë")}), 10000);
    const ChatLine& last = m_tab->messages()->line(m_tab->messages()->rowCount() - 1);
    QCOMPARE(last.kind, ChatLine::Kind::Left);
    QCOMPARE(last.user, QStringLiteral("bob"));
}

void TestBidiChatTab::emptyAndTooLongAreRefusedTextKept()
{
    auto* edit = child<QPlainTextEdit>("messageEdit");
    auto* notice = child<QLabel>("noticeLabel");
    const int rows = m_tab->messages()->rowCount();

    edit->setPlainText(QStringLiteral("   "));
    QVERIFY(!child<QPushButton>("sendButton")->isEnabled());
    edit->setFocus();
    QTest::keyClick(edit, Qt::Key_Return);
    QCOMPARE(m_tab->messages()->rowCount(), rows);
    QVERIFY(notice->text().contains(QStringLiteral("empty")));

    // 1366 × "€" = 4098 bytes in UTF-8 (only 1366 characters).
    const QString tooLong(1366, QChar(0x20AC));
    edit->setPlainText(tooLong);
    QVERIFY(notice->isVisible());
    QVERIFY2(notice->text().contains(QStringLiteral("4098")) && notice->text().contains(QStringLiteral("4096")), qPrintable(notice->text()));
    QVERIFY(child<QLabel>("bytesLabel")->text().startsWith(QStringLiteral("4098")));
    QVERIFY(!child<QPushButton>("sendButton")->isEnabled());
    QTest::keyClick(edit, Qt::Key_Return);
    QCOMPARE(m_tab->messages()->rowCount(), rows);
    QCOMPARE(edit->toPlainText(), tooLong);   // nothing lost
    QCOMPARE(m_tab->session()->state(), ChatSession::State::Joined);

    // Shortened to the limit: the notice goes and the line is sent.
    edit->setPlainText(tooLong.left(1365) + QStringLiteral("a"));   // 4095 + 1 bytes
    QVERIFY(!notice->isVisible());
    QTest::keyClick(edit, Qt::Key_Return);
    QVERIFY(edit->toPlainText().isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(deliveryOf(tooLong.left(1365) + QStringLiteral("a")), ChatLine::Delivery::Delivered, 5000);
}

void TestBidiChatTab::rateLimitRefusalIsShownAndResent()
{
    // The server allows bursts of 8 lines, then 2 per second.
    auto* edit = child<QPlainTextEdit>("messageEdit");
    QStringList flood;
    for (int i = 0; i < 20; ++i) {
        flood << QStringLiteral("flood %1").arg(i);
        edit->setPlainText(flood.last());
        QTest::keyClick(edit, Qt::Key_Return);
    }
    QTRY_VERIFY_WITH_TIMEOUT(!m_tab->messages()->resendableClientIds().isEmpty(), 5000);
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(flood.cbegin(), flood.cend(), [&](const QString& text) {
                                 const auto d = deliveryOf(text);
                                 return d == ChatLine::Delivery::Delivered || d == ChatLine::Delivery::Refused;
                             }), 5000);
    auto* notice = child<QLabel>("noticeLabel");
    QVERIFY(notice->isVisible());
    QVERIFY2(notice->text().contains(QStringLiteral("rate limit")), qPrintable(notice->text()));
    auto* resend = child<QPushButton>("resendButton");
    QVERIFY(resend->isVisible() && resend->isEnabled());
    const int refused = int(m_tab->messages()->resendableClientIds().size());
    QVERIFY(resend->text().contains(QString::number(refused)));
    QCOMPARE(m_tab->session()->state(), ChatSession::State::Joined);   // the call goes on

    // Resend until the limit lets them through: each goes with its own id
    // again, and ends up delivered exactly once.
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
                                 if (!m_tab->messages()->resendableClientIds().isEmpty())
                                     resend->click();
                                 return std::all_of(flood.cbegin(), flood.cend(), [&](const QString& text) {
                                     return deliveryOf(text) == ChatLine::Delivery::Delivered;
                                 });
                             }()), 30000);
    for (const QString& text : flood)
        QCOMPARE(int(texts(*m_tab->messages()).count(text)), 1);
    QTRY_VERIFY_WITH_TIMEOUT(!resend->isVisible(), 5000);
}

void TestBidiChatTab::leaveEndsTheCallOk()
{
    child<QPushButton>("leaveButton")->click();
    QTRY_COMPARE_WITH_TIMEOUT(m_tab->session()->state(), ChatSession::State::Offline, 10000);
    QCOMPARE(child<StatusBadge>("stateBadge")->text(), QStringLiteral("OFFLINE"));
    auto* timeline = m_tab->findChild<CallTimelineWidget*>(QStringLiteral("timeline"));
    QTRY_VERIFY_WITH_TIMEOUT(timeline->model()->totals().finished, 5000);
    QCOMPARE(timeline->model()->totals().statusCode, QStringLiteral("OK"));
    QVERIFY(timeline->model()->totals().halfClosed);
    QVERIFY(child<QLineEdit>("nameEdit")->isEnabled());
    QVERIFY(child<QPushButton>("joinButton")->isEnabled());
    QVERIFY(!child<QPushButton>("sendButton")->isEnabled());
    QVERIFY(m_tab->participants()->stringList().isEmpty());
}

void TestBidiChatTab::nameIsRemembered()
{
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("streamlab.ini"));
    {
        QSettings settings(file, QSettings::IniFormat);
        child<QLineEdit>("nameEdit")->setText(QStringLiteral("Zoë the second"));
        m_tab->saveSettings(settings);
    }
    QSettings settings(file, QSettings::IniFormat);
    QCOMPARE(settings.value(QStringLiteral("bidi/name")).toString(), QStringLiteral("Zoë the second"));
    BidiChatTab fresh(&m_connection);
    fresh.restoreSettings(settings);
    QCOMPARE(fresh.findChild<QLineEdit*>(QStringLiteral("nameEdit"))->text(), QStringLiteral("Zoë the second"));
}

void TestBidiChatTab::unsentLinesAndTheDraftSurviveQuitting()
{
    // A server that goes away while we are in its room: a line written then
    // waits, unacknowledged, and the app quits with it and a half-typed one.
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("streamlab.ini"));
    const QString unsentText = QStringLiteral("written while the server was gone 📮");
    QString unsentId;
    {
        test::TestServer doomed;
        QVERIFY(doomed.start());
        Connection connection;
        QString error;
        QVERIFY(connection.connectTo(QString::fromStdString(doomed.address()), &error));
        BidiChatTab before(&connection);
        before.findChild<QLineEdit*>(QStringLiteral("nameEdit"))->setText(QStringLiteral("keeper"));
        before.joinRoom();
        QTRY_COMPARE_WITH_TIMEOUT(before.session()->state(), ChatSession::State::Joined, 10000);
        doomed.stop();
        QTRY_COMPARE_WITH_TIMEOUT(before.session()->state(), ChatSession::State::Reconnecting, 10000);
        unsentId = before.session()->send(unsentText, &error);
        QVERIFY2(!unsentId.isEmpty(), qPrintable(error));
        before.findChild<QPlainTextEdit*>(QStringLiteral("messageEdit"))->setPlainText(QStringLiteral("half a thou"));
        QSettings settings(file, QSettings::IniFormat);
        before.saveSettings(settings);
    }   // the app quits: the tab, its session and its call are gone

    QSettings settings(file, QSettings::IniFormat);
    BidiChatTab after(&m_connection);
    after.resize(900, 700);
    after.show();
    after.restoreSettings(settings);
    QCOMPARE(after.findChild<QPlainTextEdit*>(QStringLiteral("messageEdit"))->toPlainText(), QStringLiteral("half a thou"));
    // Shown at once as an own line that did not go out, and said so.
    QCOMPARE(after.messages()->rowCount(), 1);
    const ChatLine shown = after.messages()->line(0);
    QCOMPARE(shown.text, unsentText);
    QCOMPARE(shown.clientId, unsentId);
    QVERIFY(shown.own);
    QCOMPARE(shown.delivery, ChatLine::Delivery::Kept);
    auto* notice = after.findChild<QLabel*>(QStringLiteral("noticeLabel"));
    QVERIFY2(notice->isVisible() && notice->text().contains(QStringLiteral("did not reach the room")), qPrintable(notice->text()));
    auto* resend = after.findChild<QPushButton*>(QStringLiteral("resendButton"));
    QVERIFY(resend->isVisible());
    QVERIFY(!resend->isEnabled());   // not in the room yet
    QCOMPARE(resend->text(), QStringLiteral("&Resend (1)"));
    // Taken out of the settings: another copy of the app started from them
    // does not get the same lines (the settings file is per user, shared).
    QVERIFY(!settings.contains(QStringLiteral("bidi/unsent")));
    QVERIFY(!settings.contains(QStringLiteral("bidi/draft")));
    {
        QSettings shared(file, QSettings::IniFormat);
        BidiChatTab secondCopy(&m_connection);
        secondCopy.restoreSettings(shared);
        QCOMPARE(secondCopy.messages()->rowCount(), 0);
        QVERIFY(secondCopy.findChild<QPlainTextEdit*>(QStringLiteral("messageEdit"))->toPlainText().isEmpty());
    }

    // Joining does not send it by itself (the user may have come back under
    // another name); Resend sends it, once, under its own id.
    after.findChild<QLineEdit*>(QStringLiteral("nameEdit"))->setText(QStringLiteral("keeper"));
    after.joinRoom();
    QTRY_COMPARE_WITH_TIMEOUT(after.session()->state(), ChatSession::State::Joined, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(resend->isEnabled(), 5000);
    QCOMPARE(after.messages()->line(int(texts(*after.messages()).indexOf(unsentText))).delivery, ChatLine::Delivery::Kept);
    resend->click();
    QTRY_VERIFY_WITH_TIMEOUT(after.messages()->line(int(texts(*after.messages()).indexOf(unsentText))).seq > 0, 5000);
    QCOMPARE(int(texts(*after.messages()).count(unsentText)), 1);
    QTRY_COMPARE_WITH_TIMEOUT(after.messages()->line(int(texts(*after.messages()).indexOf(unsentText))).delivery,
                              ChatLine::Delivery::Delivered, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(!resend->isVisible(), 5000);
    // Nothing is left to keep: the next save has no unsent line.
    {
        QSettings saved(file, QSettings::IniFormat);
        after.saveSettings(saved);
    }
    QCOMPARE(QSettings(file, QSettings::IniFormat).value(QStringLiteral("bidi/unsent")).toString(), QStringLiteral("[]"));
    after.leaveRoom();
    QTRY_COMPARE_WITH_TIMEOUT(after.session()->state(), ChatSession::State::Offline, 10000);

    // A kept line the room has after all (the app quit between the server
    // storing it and its ACK): the history shows it delivered on joining,
    // and Resend has nothing left to offer.
    {
        QSettings ackLost(dir.filePath(QStringLiteral("ack-lost.ini")), QSettings::IniFormat);
        ackLost.setValue(QStringLiteral("bidi/unsent"),
                         QStringLiteral("[{\"id\":\"%1\",\"text\":\"%2\",\"timeMs\":1700000000000}]").arg(unsentId, unsentText));
        BidiChatTab third(&m_connection);
        third.restoreSettings(ackLost);
        auto* thirdResend = third.findChild<QPushButton*>(QStringLiteral("resendButton"));
        QCOMPARE(thirdResend->text(), QStringLiteral("&Resend (1)"));
        third.findChild<QLineEdit*>(QStringLiteral("nameEdit"))->setText(QStringLiteral("keeper"));
        third.joinRoom();
        QTRY_COMPARE_WITH_TIMEOUT(third.messages()->line(int(texts(*third.messages()).indexOf(unsentText))).delivery,
                                  ChatLine::Delivery::Delivered, 10000);
        QCOMPARE(int(texts(*third.messages()).count(unsentText)), 1);
        QVERIFY(thirdResend->isHidden());
        QVERIFY(third.session()->unsentLines().isEmpty());
        third.leaveRoom();
        QTRY_COMPARE_WITH_TIMEOUT(third.session()->state(), ChatSession::State::Offline, 10000);
    }

    // A settings file edited by hand or cut short: nothing is restored, nothing is said.
    for (const QString& broken : {QStringLiteral("not json"), QStringLiteral("[{\"id\":"), QStringLiteral("{\"id\":\"x\"}"),
                                  QStringLiteral("[{\"text\":\"no id\"},{\"id\":\"y\",\"text\":\"\"}]")}) {
        QSettings edited(dir.filePath(QStringLiteral("edited.ini")), QSettings::IniFormat);
        edited.setValue(QStringLiteral("bidi/unsent"), broken);
        BidiChatTab fourth(&m_connection);
        fourth.restoreSettings(edited);
        QCOMPARE(fourth.messages()->rowCount(), 0);
        QVERIFY(fourth.findChild<QLabel*>(QStringLiteral("noticeLabel"))->text().isEmpty());
        QVERIFY(fourth.findChild<QPushButton*>(QStringLiteral("resendButton"))->isHidden());
    }
}

void TestBidiChatTab::ownLinesStayOwnAfterARestart()
{
    // A copy of the app chats in a room that outlives it (another copy's
    // server), quits, and is started again: the room's history shows the
    // lines it wrote as its own, as before the restart.
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("streamlab.ini"));
    const QString text = QStringLiteral("written before the restart ✍️");
    QString id;
    {
        BidiChatTab before(&m_connection);
        before.findChild<QLineEdit*>(QStringLiteral("nameEdit"))->setText(QStringLiteral("restarter"));
        before.joinRoom();
        QTRY_COMPARE_WITH_TIMEOUT(before.session()->state(), ChatSession::State::Joined, 10000);
        QString error;
        id = before.session()->send(text, &error);
        QVERIFY2(!id.isEmpty(), qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(before.messages()->line(before.messages()->rowForClientId(id)).delivery,
                                  ChatLine::Delivery::Delivered, 5000);
        QSettings settings(file, QSettings::IniFormat);
        before.saveSettings(settings);
        QVERIFY(settings.value(QStringLiteral("bidi/ownIds")).toStringList().contains(id));
    }

    // Started again, quit again without joining: the ids are not lost.
    {
        QSettings settings(file, QSettings::IniFormat);
        BidiChatTab idle(&m_connection);
        idle.restoreSettings(settings);
        QVERIFY(!settings.contains(QStringLiteral("bidi/ownIds")));   // taken, like the unsent lines
        idle.saveSettings(settings);
    }

    QSettings settings(file, QSettings::IniFormat);
    BidiChatTab after(&m_connection);
    after.restoreSettings(settings);
    after.joinRoom();
    QTRY_COMPARE_WITH_TIMEOUT(after.session()->state(), ChatSession::State::Joined, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(texts(*after.messages()).contains(text), 5000);
    const int row = int(texts(*after.messages()).indexOf(text));
    const ChatLine shown = after.messages()->line(row);
    QVERIFY(shown.replayed);
    QVERIFY(shown.own);
    QCOMPARE(shown.delivery, ChatLine::Delivery::Delivered);
    const QString display = after.messages()->index(row).data(Qt::DisplayRole).toString();
    QVERIFY2(display.contains(QStringLiteral("restarter (you)")), qPrintable(display));
    // Nothing to resend: it is in the room.
    QVERIFY(!after.findChild<QPushButton*>(QStringLiteral("resendButton"))->isVisible());

    // A second copy joins under the same name (both default to the OS
    // user): the tab says so while it is there.
    auto* stateText = after.findChild<QLabel*>(QStringLiteral("stateText"));
    QVERIFY(!stateText->text().contains(QStringLiteral("also called")));
    {
        ChatSession twin(&m_connection);
        QString error;
        QVERIFY2(twin.join(QStringLiteral("restarter"), &error), qPrintable(error));
        QTRY_VERIFY2_WITH_TIMEOUT(stateText->text().contains(QStringLiteral("someone else here is also called restarter")),
                                  qPrintable(stateText->text()), 5000);
        twin.leave();
        QTRY_COMPARE_WITH_TIMEOUT(twin.state(), ChatSession::State::Offline, 10000);
    }
    QTRY_VERIFY_WITH_TIMEOUT(!stateText->text().contains(QStringLiteral("also called")), 5000);
    after.leaveRoom();
    QTRY_COMPARE_WITH_TIMEOUT(after.session()->state(), ChatSession::State::Offline, 10000);
}

void TestBidiChatTab::linesFitTheWidthAsTheListFills()
{
    // Seen under Xvfb at 700 px: once the lines outgrew the list and its
    // vertical scroll bar came, the rows kept their old width and a
    // horizontal scroll bar appeared under the chat.
    BidiChatTab tab(&m_connection);
    tab.resize(700, 600);
    tab.show();
    QVERIFY(QTest::qWaitForWindowExposed(&tab));
    auto* view = tab.findChild<QListView*>(QStringLiteral("messagesView"));
    // Lines arrive one by one until the one that brings the scroll bar;
    // nothing arrives after it (each arrival lays the rows out again).
    for (int i = 1; i <= 60 && !view->verticalScrollBar()->isVisible(); ++i) {
        tab.messages()->addArrived({chat(quint64(i), i % 2 ? QStringLiteral("bob") : QStringLiteral("me"),
                                         QStringLiteral("line %1, long enough to take a good part of the bubble's width").arg(i),
                                         QString::number(i), i % 2 == 0)});
        QTest::qWait(20);   // the list's delayed layout
    }
    QVERIFY(view->verticalScrollBar()->isVisible());
    // The relayout for the narrower list comes after a delay (QListView waits 100 ms).
    const auto misfit = [&]() -> QString {
        for (int row = 0; row < tab.messages()->rowCount(); ++row) {
            const QRect rect = view->visualRect(tab.messages()->index(row));
            if (rect.right() >= view->viewport()->width())
                return QStringLiteral("row %1 ends at %2, the list is %3 wide").arg(row).arg(rect.right()).arg(view->viewport()->width());
        }
        return view->horizontalScrollBar()->isVisible() ? QStringLiteral("a horizontal scroll bar is shown") : QString();
    };
    QTRY_VERIFY2_WITH_TIMEOUT(misfit().isEmpty(), qPrintable(misfit()), 5000);
}

QTEST_MAIN(TestBidiChatTab)
#include "tst_bidichattab.moc"
