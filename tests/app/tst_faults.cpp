// The server dies under the app and comes back.
//
// The real streamlab-server runs as a child process. On ONE Connection the
// app's own call objects are in flight: an EventStream following live
// events, an UploadCall of a large file that the server reads slowly (so it
// is mid-upload), and a joined ChatSession. Then the server is killed with
// SIGKILL (no shutdown, as in a crash):
//  - every call object says UNAVAILABLE within 2 s of the kill (EventStream
//    and UploadCall end with it; ChatSession goes Reconnecting and its
//    reconnectScheduled carries it), and nothing crashes;
// then the server starts again on the same port and data directory:
//  - the upload resumes (GetUploadStatus, only the rest is sent, the SHA-256
//    of the whole file matches the one computed here),
//  - the chat reconnects by itself and a line written while the server was
//    down is delivered exactly once, to the sender and to another participant,
//  - a new event stream starts and delivers.
#include "ServerProcess.h"

#include "ChatSession.h"
#include "Connection.h"
#include "EventStream.h"
#include "UploadCall.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTemporaryDir>
#include "RandomFile.h"

#include <QtTest>

using namespace streamlab;
using namespace streamlab::test;

namespace {

constexpr int kWaitMs = 30000 * kTimingScale;   // generous: a passing test never waits this long
constexpr qint64 kUnavailableWithinMs = 2000 * kTimingScale;


// Counts what a chat participant saw, by text and by client id.
struct ChatLog {
    QList<ChatLine> lines;
    QHash<QString, int> delivered;   // own lines acknowledged, by client id
    QList<CallStatus> reconnectReasons;
    qint64 reconnectAtMs = -1;       // when the first reconnect was scheduled (test clock)

    void attach(ChatSession* session, const QElapsedTimer* clock)
    {
        QObject::connect(session, &ChatSession::linesArrived, session, [this](const QList<ChatLine>& arrived) {
            lines += arrived;
        });
        QObject::connect(session, &ChatSession::deliveryChanged, session, [this](const QList<ChatLine>& changed) {
            for (const ChatLine& line : changed) {
                if (line.delivery == ChatLine::Delivery::Delivered)
                    ++delivered[line.clientId];
            }
        });
        QObject::connect(session, &ChatSession::reconnectScheduled, session,
                         [this, clock](int, int, const CallStatus& why) {
                             if (reconnectAtMs < 0 && clock->isValid())
                                 reconnectAtMs = clock->elapsed();
                             reconnectReasons.append(why);
                         });
    }
    int countText(const QString& text) const
    {
        return int(std::count_if(lines.cbegin(), lines.cend(), [&](const ChatLine& line) {
            return line.kind == ChatLine::Kind::Chat && line.text == text;
        }));
    }
    int countId(const QString& clientId) const
    {
        return int(std::count_if(lines.cbegin(), lines.cend(), [&](const ChatLine& line) {
            return line.kind == ChatLine::Kind::Chat && line.clientId == clientId;
        }));
    }
};

EventQuery liveEvents()
{
    EventQuery query;
    query.follow = true;
    // Only what happens from now on (not the seeded history).
    query.after = QDateTime::currentDateTimeUtc().toString(Qt::ISODate);
    return query;
}

} // namespace

class TestFaults : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void serverKilledAndBack();

private:
    QTemporaryDir m_files;
};

void TestFaults::initTestCase()
{
    QVERIFY(m_files.isValid());
}

void TestFaults::serverKilledAndBack()
{
    QTemporaryDir dataDir;
    QVERIFY(dataDir.isValid());
    ServerProcess server;
    const QStringList serverArgs{QStringLiteral("--event-rate"), QStringLiteral("20")};
    QVERIFY2(server.start(dataDir.path(), 0, serverArgs), server.log().constData());
    const int port = server.port();

    Connection connection;
    QString error;
    QVERIFY2(connection.connectTo(server.address(), &error), qPrintable(error));
    // Another participant on a connection of its own sees the chat from outside.
    Connection otherConnection;
    QVERIFY2(otherConnection.connectTo(server.address(), &error), qPrintable(error));

    QElapsedTimer killClock;   // started at the kill; the call objects read it when they see the end

    // 1. A follow event stream that is receiving.
    EventStream events(&connection);
    qint64 eventsEndMs = -1;
    CallStatus eventsEnd;
    connect(&events, &EventStream::finished, this, [&](const CallStatus& status) {
        eventsEnd = status;
        eventsEndMs = killClock.isValid() ? killClock.elapsed() : -1;
    });
    events.start(liveEvents());
    QTRY_VERIFY_WITH_TIMEOUT(events.counters().received >= 3, kWaitMs);

    // 2. An upload that the server reads slowly: surely mid-way at the kill.
    const qint64 size = 32 * 1000 * 1000;
    const QString path = m_files.filePath(QStringLiteral("fault-upload.bin"));
    const QString expectedSha = writeRandomFile(path, size, 8);
    QVERIFY(!expectedSha.isEmpty());
    UploadCall upload(&connection);
    qint64 uploadEndMs = -1;
    connect(&upload, &UploadCall::finished, this, [&](const CallStatus&) {
        uploadEndMs = killClock.isValid() ? killClock.elapsed() : -1;
    });
    UploadRequest request;
    request.filePath = path;
    request.chunkSize = 64 * 1024;
    request.serverReadDelayMs = 20;
    QVERIFY2(upload.start(request, &error), qPrintable(error));
    const QString partial = dataDir.filePath(QStringLiteral("uploads/.partial/%1.part").arg(upload.uploadId()));
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(partial).size() >= 1'000'000, kWaitMs);

    // 3. Two chat participants; a line each way before the kill.
    ChatSession ada(&connection);
    ChatSession bob(&otherConnection);
    ChatLog adaLog, bobLog;
    adaLog.attach(&ada, &killClock);
    bobLog.attach(&bob, &killClock);
    QVERIFY2(ada.join(QStringLiteral("ada"), &error), qPrintable(error));
    QVERIFY2(bob.join(QStringLiteral("bob"), &error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(ada.state(), ChatSession::State::Joined, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(bob.state(), ChatSession::State::Joined, kWaitMs);
    const QString before = ada.send(QStringLiteral("before the crash"), &error);
    QVERIFY2(!before.isEmpty(), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(adaLog.delivered.value(before), 1, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(bobLog.countText(QStringLiteral("before the crash")), 1, kWaitMs);

    QVERIFY(events.active() && upload.active());
    QVERIFY(upload.progress().sentBytes < size);

    // The crash.
    killClock.start();
    server.kill();
    QVERIFY(!server.running());

    QTRY_VERIFY_WITH_TIMEOUT(eventsEndMs >= 0 && uploadEndMs >= 0 && adaLog.reconnectAtMs >= 0 && bobLog.reconnectAtMs >= 0,
                             kWaitMs);
    const UploadOutcome interrupted = upload.outcome();
    const CallStatus adaWhy = adaLog.reconnectReasons.value(0);
    qInfo("after SIGKILL: events UNAVAILABLE after %lld ms, upload after %lld ms, chat reconnecting after %lld ms (other "
          "participant %lld ms)",
          eventsEndMs, uploadEndMs, adaLog.reconnectAtMs, bobLog.reconnectAtMs);
    qInfo("  events: %s", qPrintable(eventsEnd.text));
    qInfo("  upload: %s (sent %lld of %lld bytes)", qPrintable(interrupted.text()), interrupted.sentBytes, size);
    qInfo("  chat:   %s", qPrintable(adaWhy.text));
    QCOMPARE(eventsEnd.codeName, QStringLiteral("UNAVAILABLE"));
    QCOMPARE(interrupted.status.codeName, QStringLiteral("UNAVAILABLE"));
    QVERIFY(interrupted.localError.isEmpty());
    QCOMPARE(adaWhy.codeName, QStringLiteral("UNAVAILABLE"));
    QCOMPARE(bobLog.reconnectReasons.value(0).codeName, QStringLiteral("UNAVAILABLE"));
    QVERIFY2(eventsEndMs <= kUnavailableWithinMs, qPrintable(QString::number(eventsEndMs)));
    QVERIFY2(uploadEndMs <= kUnavailableWithinMs, qPrintable(QString::number(uploadEndMs)));
    QVERIFY2(adaLog.reconnectAtMs <= kUnavailableWithinMs, qPrintable(QString::number(adaLog.reconnectAtMs)));
    QVERIFY2(bobLog.reconnectAtMs <= kUnavailableWithinMs, qPrintable(QString::number(bobLog.reconnectAtMs)));
    // The user reads why: the server's address is in the message.
    QVERIFY2(eventsEnd.text.contains(server.address()), qPrintable(eventsEnd.text));
    QVERIFY(!events.active() && !upload.active());
    QVERIFY(ada.state() == ChatSession::State::Reconnecting || ada.state() == ChatSession::State::Connecting);
    // A note in the chat says what happened.
    QVERIFY(std::any_of(adaLog.lines.cbegin(), adaLog.lines.cend(), [](const ChatLine& line) {
        return line.kind == ChatLine::Kind::Note && line.text.contains(QStringLiteral("UNAVAILABLE"));
    }));

    // Written while the server is down: kept, sent when the chat is back.
    const QString whileDown = ada.send(QStringLiteral("written while the server was down"), &error);
    QVERIFY2(!whileDown.isEmpty(), qPrintable(error));
    QCOMPARE(ada.unacknowledged(), 1);

    const qint64 held = QFileInfo(partial).size();
    QVERIFY2(held > 0 && held < size, qPrintable(QString::number(held)));

    // The server comes back on the same port and data directory.
    QVERIFY2(server.start(dataDir.path(), port, serverArgs), server.log().constData());
    QCOMPARE(server.port(), port);

    // The chat comes back by itself; the line is delivered exactly once.
    QTRY_COMPARE_WITH_TIMEOUT(ada.state(), ChatSession::State::Joined, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(bob.state(), ChatSession::State::Joined, kWaitMs);
    QVERIFY(ada.callsStarted() > 1 && bob.callsStarted() > 1);
    QTRY_COMPARE_WITH_TIMEOUT(adaLog.delivered.value(whileDown), 1, kWaitMs);
    // A later line from bob: once both have it, anything duplicated before it would have shown.
    const QString after = bob.send(QStringLiteral("after the restart"), &error);
    QVERIFY2(!after.isEmpty(), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(adaLog.countText(QStringLiteral("after the restart")), 1, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(bobLog.countText(QStringLiteral("after the restart")), 1, kWaitMs);
    QCOMPARE(adaLog.countId(whileDown), 1);
    QCOMPARE(bobLog.countText(QStringLiteral("written while the server was down")), 1);
    QCOMPARE(adaLog.delivered.value(whileDown), 1);
    QCOMPARE(ada.unacknowledged(), 0);
    // And the line from before the crash was not shown again.
    QCOMPARE(adaLog.countText(QStringLiteral("before the crash")), 1);
    QCOMPARE(bobLog.countText(QStringLiteral("before the crash")), 1);

    // The upload resumes: the server says how much it holds, only the rest goes.
    UploadCall resumed(&connection);
    QSignalSpy resumedDone(&resumed, &UploadCall::uploadFinished);
    request.uploadId = upload.uploadId();
    request.resume = true;
    request.serverReadDelayMs = 0;
    QVERIFY2(resumed.start(request, &error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(!resumedDone.isEmpty(), kWaitMs);
    const UploadOutcome outcome = resumed.outcome();
    QVERIFY2(outcome.ok(), qPrintable(outcome.text()));
    QCOMPARE(outcome.resumedFrom, held);
    QCOMPARE(outcome.bytesReceived, size - held);
    QCOMPARE(outcome.storedSize, size);
    QCOMPARE(outcome.clientSha256, expectedSha);
    QCOMPARE(outcome.serverSha256, expectedSha);
    qInfo("upload resumed from %lld bytes, sent the other %lld; SHA-256 %s", outcome.resumedFrom, outcome.bytesReceived,
          qPrintable(outcome.serverSha256));

    // A new event stream starts and delivers (the same call object).
    QSignalSpy eventsFinished(&events, &EventStream::finished);
    events.start(liveEvents());
    QTRY_VERIFY_WITH_TIMEOUT(events.counters().received >= 3, kWaitMs);
    QVERIFY(events.active());
    events.stop();
    QTRY_VERIFY_WITH_TIMEOUT(!eventsFinished.isEmpty(), kWaitMs);
    QCOMPARE(eventsFinished.constLast().at(0).value<CallStatus>().codeName, QStringLiteral("CANCELLED"));

    // Leave properly: each chat ends with OK.
    QSignalSpy adaDone(&ada, &ChatSession::finished);
    QSignalSpy bobDone(&bob, &ChatSession::finished);
    ada.leave();
    bob.leave();
    QTRY_COMPARE_WITH_TIMEOUT(ada.state(), ChatSession::State::Offline, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(bob.state(), ChatSession::State::Offline, kWaitMs);
    QCOMPARE(adaDone.constLast().at(0).value<CallStatus>().codeName, QStringLiteral("OK"));
    QCOMPARE(bobDone.constLast().at(0).value<CallStatus>().codeName, QStringLiteral("OK"));
    QVERIFY2(server.stop(), server.log().constData());
}

QTEST_GUILESS_MAIN(TestFaults)
#include "tst_faults.moc"
