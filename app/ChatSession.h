#pragma once
// The chat call object: one Chat call (a ClientBidiReactor<Message, Message>)
// at a time, and the session around it that survives the call — who we are,
// the last room seq seen, and every line of ours the server has not
// acknowledged yet.
//
// Reading and writing are independent: the reactor always has a read
// pending; writes are queued and go out one at a time. Nothing gRPC runs on
// the GUI thread: send() only queues; a write the reactor is not already
// busy with (or the start of a call) is handed to one small starter thread
// shared by all sessions, and the reactor's own OnWriteDone starts the next.
//
// Nothing is lost across a dropped call (server restarted, network gone):
// every line carries a client-made id (QUuid); the session reconnects with
// backoff (0.5 s doubling to 8 s), re-joins with after_seq = the last seq it
// saw (so the server replays what was missed), and re-sends the lines not
// acknowledged; the server de-duplicates by client id and this side drops
// any line whose seq it has seen already. Quitting the app loses nothing
// either: unsentLines() is what the chat tab keeps, restoreUnsent() takes
// it back on the next start.
//
// Delivery to the GUI is batched: whatever the reactor received since the
// GUI last looked is taken in one go, when the GUI thread is free (one wake-up
// queued at most, never one per message), and at the latest on the next
// StreamCall frame.

#include "CallStatus.h"
#include "ChatLine.h"
#include "StreamCall.h"

#include <QHash>
#include <QList>
#include <QSet>
#include <QStringList>
#include <QTimer>

#include <memory>

namespace streamlab {

struct ChatCallShared;   // one call's state, shared with its reactor (ChatSession.cpp)
struct ChatWake;

class ChatSession : public StreamCall {
    Q_OBJECT
public:
    enum class State {
        Offline,        // not in the room
        Connecting,     // a Chat call is open, JOIN sent, not confirmed yet
        Joined,         // in the room
        Reconnecting,   // the call dropped; the next attempt is scheduled
        Leaving,        // half-closed; waiting for the server to end the call
    };
    Q_ENUM(State)

    // The server's limits (ServerConfig::chatMaxTextBytes, the user name limit
    // in ChatReactor): checked here so that a line the server would refuse by
    // ending the call is never sent at all.
    static constexpr int kMaxTextBytes = 4096;
    static constexpr int kMaxUserBytes = 64;
    static constexpr int kInitialBackoffMs = 500;
    static constexpr int kMaxBackoffMs = 8000;
    // Own lines a restart still knows as own (rememberedOwnIds): the bundled
    // server replays its last 100 lines; another server may keep more.
    static constexpr int kRememberedOwnIds = 1000;

    // An own line the server has not acknowledged (or has refused).
    struct PendingLine {
        QString clientId;
        QString text;
        qint64 timeMs = 0;   // when it was written (ms since the epoch)
    };

    explicit ChatSession(Connection* connection, QObject* parent = nullptr);
    ~ChatSession() override;

    // Empty when the text or name can be sent; otherwise why not, for a person.
    static QString checkText(const QString& text);
    // A new line's client id: a random UUID.
    static QString newClientId();
    static QString checkUser(const QString& user);

    // Joins the room as `user`. False (with *error) when the name is not valid,
    // there is no server to talk to yet, or the session is not Offline.
    bool join(const QString& user, QString* error = nullptr);
    // Half-closes: the server delivers what is pending, acknowledges what was
    // sent and ends the call with OK. While reconnecting: stops. While leaving
    // already: cancels.
    void leave();
    // Queues one line and returns its client id; empty (with *error) when the
    // text is empty or too long or the session is not in the room. The line
    // comes back through lineSent() at once, then linesArrived() and
    // deliveryChanged() as the server handles it.
    QString send(const QString& text, QString* error = nullptr);
    // Sends again, with the same id, a line the server refused (rate limit)
    // or one kept from an earlier run (restoreUnsent).
    bool resend(const QString& clientId, QString* error = nullptr);
    // While Reconnecting: try now instead of waiting for the backoff.
    void reconnectNow();
    // Own lines not in the room: unacknowledged, or refused and not sent
    // again, in the order written. What quitting now would lose; the chat
    // tab keeps them with its settings.
    QList<PendingLine> unsentLines() const;
    // Takes the unsent lines of an earlier run of the app. They come back at
    // once through lineSent() as Kept and go out only on resend() — as
    // whoever this session has joined as then, which may be another name
    // (two copies of the app on one machine share their settings), so the
    // user decides. They keep their ids: a line the server stored before its
    // acknowledgement was lost is acknowledged again, not repeated. Lines
    // that cannot be sent (no id, empty, too long) or are known already are
    // skipped. Returns how many were taken.
    int restoreUnsent(const QList<PendingLine>& lines);
    // Ids of own lines an earlier run of the app wrote and the room stored:
    // the history replayed on joining shows them as own (delivered), not as
    // another participant's. Ownership is by client id, and the ids of a
    // run are otherwise forgotten with it.
    void recognizeOwnIds(const QStringList& clientIds);
    // What the next run needs for that: the ids recognized, then those of
    // this run's lines the room stored, oldest first; the newest
    // kRememberedOwnIds of them. Kept whether or not the room was joined.
    QStringList rememberedOwnIds() const;

    State state() const { return m_state; }
    QString user() const { return m_user; }
    QStringList participants() const { return m_participants; }
    quint64 lastSeq() const { return m_lastSeq; }
    // Own lines not acknowledged yet (sending, or waiting for the next join).
    int unacknowledged() const { return int(m_outgoing.size()); }
    // Calls started since join() (1 = no reconnect so far).
    int callsStarted() const { return m_callsStarted; }
    // Lines dropped because their seq had been seen (replay after a reconnect).
    int duplicatesDropped() const { return m_duplicatesDropped; }
    // Tests shorten the backoff.
    void setBackoff(int initialMs, int maxMs);
    int currentBackoffMs() const;

Q_SIGNALS:
    void stateChanged(streamlab::ChatSession::State state);
    // An own line, just queued (delivery Sending; Kept when restored).
    void lineSent(const streamlab::ChatLine& line);
    // New lines in room order, batched: chat lines (own ones matched by
    // client id, so own == true), presence lines and the session's notes.
    void linesArrived(const QList<streamlab::ChatLine>& lines);
    // Own lines whose delivery changed (Delivered with seq and time, Refused
    // with the server's reason, NotSent, Sending again). Matched by clientId.
    void deliveryChanged(const QList<streamlab::ChatLine>& lines);
    void participantsChanged(const QStringList& participants);
    // The call ended with `why`; the next attempt starts in `delayMs`.
    void reconnectScheduled(int attempt, int delayMs, const streamlab::CallStatus& why);

protected:
    void onFrame() override;
    void onFinished(const CallStatus& status) override;

private:
    void startCall();
    void drain();
    void setState(State state);
    void markNotSent();
    void enqueue(const PendingLine& line);
    // Shows an own line (lineSent) and counts it as ours.
    void showOwnLine(const PendingLine& pending, ChatLine::Delivery delivery);
    void rememberStored(const QString& clientId);
    ChatLine note(const QString& text) const;
    void onTargetChanged(const QString& target);

    State m_state = State::Offline;
    QString m_user;
    QString m_target;                       // the server the seqs belong to
    quint64 m_lastSeq = 0;
    QStringList m_participants;
    QList<PendingLine> m_outgoing;          // not acknowledged, in the order written
    QHash<QString, PendingLine> m_held;     // by client id: refused, or from an earlier run; sent only by resend()
    QSet<QString> m_ownIds;                 // every id this session made or recognized
    QStringList m_storedOwnIds;             // own ids the room stored, oldest first (trimmed by rememberStored)
    std::shared_ptr<ChatCallShared> m_call;         // the call in flight, shared with its reactor
    std::shared_ptr<ChatWake> m_wake;
    QTimer m_backoffTimer;
    QTimer m_leaveTimer;
    int m_attempt = 0;                      // failed attempts since the last confirmed join
    int m_initialBackoffMs = kInitialBackoffMs;
    int m_maxBackoffMs = kMaxBackoffMs;
    int m_callsStarted = 0;
    int m_duplicatesDropped = 0;
    int m_replayedThisCall = 0;
    int m_resentThisCall = 0;
    bool m_joinConfirmed = false;           // this call's JOIN came back
    bool m_leaveRequested = false;
    bool m_stopRequested = false;           // cancelled by this session: no reconnect
    bool m_restartNow = false;              // the call was cancelled to start a new one at once
    bool m_lostNoted = false;
    bool m_everJoined = false;              // joined at least once since join()
};

} // namespace streamlab
