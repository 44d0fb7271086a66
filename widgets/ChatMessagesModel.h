#pragma once
// The chat's lines as a list model: sender, time, text; own lines marked, with
// their delivery (sending, delivered, refused, not sent). Lines the room has
// ordered (seq) come first, in room order; own lines the server has not
// echoed yet stay below them, in the order they were written, and move up
// into place when their echo (or acknowledgement) arrives.
//
// Fed by ChatSession's signals (connect() does it) or directly (tests).

#include "ChatLine.h"

#include <QAbstractListModel>
#include <QList>

namespace streamlab {

class ChatSession;

class ChatMessagesModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role {
        KindRole = Qt::UserRole + 1,   // int(ChatLine::Kind)
        SenderRole,                    // QString
        TextRole,                      // QString, exactly as sent
        TimeRole,                      // QDateTime, local time
        TimeMsRole,                    // qint64, Unix ms (UTC)
        OwnRole,                       // bool
        DeliveryRole,                  // int(ChatLine::Delivery)
        DeliveryTextRole,              // QString: "✓ delivered", "sending…", ...
        SeqRole,                       // qulonglong (0: not stored yet)
        ClientIdRole,                  // QString
        ErrorRole,                     // QString: why the server refused it
        ReplayedRole,                  // bool
        ParticipantsRole,              // QStringList (presence lines)
    };
    Q_ENUM(Role)

    static constexpr int DefaultMaxLines = 5000;

    explicit ChatMessagesModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    // Wires the session's signals to addSent / addArrived / applyDelivery.
    void connectSession(ChatSession* session);

    // An own line just written (delivery Sending, no seq yet): at the bottom.
    void addSent(const ChatLine& line);
    // Lines from the room (and notes), in room order. An own line matched by
    // client id is updated and moved into place instead of added again.
    void addArrived(const QList<ChatLine>& lines);
    // Delivery changes of own lines (by client id).
    void applyDelivery(const QList<ChatLine>& lines);
    void clear();

    // The oldest lines are dropped beyond this.
    void setMaxLines(int maxLines);
    int maxLines() const { return m_maxLines; }

    const ChatLine& line(int row) const { return m_lines.at(row); }
    int rowForClientId(const QString& clientId) const;
    // Own lines that go out only on Resend (refused by the server, or kept
    // from an earlier run), oldest first.
    QStringList resendableClientIds() const;

    static QString deliveryText(ChatLine::Delivery delivery);
    static bool waitsForResend(ChatLine::Delivery delivery);

private:
    int firstUnconfirmedRow() const;
    bool isUnconfirmed(const ChatLine& line) const;
    void insertConfirmed(const QList<ChatLine>& lines);
    void moveToConfirmed(int row);
    void trim();

    QList<ChatLine> m_lines;
    int m_maxLines = DefaultMaxLines;
};

} // namespace streamlab
