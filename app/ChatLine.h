#pragma once
// One line of the chat as the UI sees it: Qt values only (the protobuf
// Message stops in ChatSession). A chat line, a presence change (someone
// joined or left, with who is in the room now) or a note from the session
// itself (reconnected, history gap).

#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace streamlab {

struct ChatLine {
    enum class Kind {
        Chat,     // a line someone wrote
        Joined,   // `user` joined; `participants` is the room now
        Left,     // `user` left; `participants` is the room now
        Note,     // from this app, not the server: reconnected, lines missing, ...
    };
    // Only for this app's own chat lines.
    enum class Delivery {
        None,        // someone else's line, a presence line or a note
        Sending,     // written (or waiting to be written); no acknowledgement yet
        Delivered,   // the server stored it (ACK with its seq)
        Refused,     // the server refused it (ACK with an error, e.g. the rate limit): not stored
        NotSent,     // the session ended before the server acknowledged it; sent again on the next join
        Kept,        // written before the app last quit and never acknowledged: sent again only on Resend
    };

    Kind kind = Kind::Chat;
    QString clientId;        // own lines: the id this app made (QUuid); others' lines: theirs (may be empty)
    quint64 seq = 0;         // room order; 0 while an own line waits for the server
    QString user;
    QString text;
    qint64 timeMs = 0;       // server time, Unix ms (UTC); an own line not yet stored: when it was sent
    bool own = false;        // written in this session (matched by client id)
    bool replayed = false;   // history replayed on (re)join
    Delivery delivery = Delivery::None;
    QString error;           // Refused: the server's reason
    QStringList participants;   // Joined / Left
};

} // namespace streamlab

Q_DECLARE_METATYPE(streamlab::ChatLine)
