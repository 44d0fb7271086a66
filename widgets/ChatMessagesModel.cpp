#include "ChatMessagesModel.h"

#include "ChatSession.h"

#include <QDateTime>
#include <QLocale>

namespace streamlab {

ChatMessagesModel::ChatMessagesModel(QObject* parent) : QAbstractListModel(parent) {}

int ChatMessagesModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_lines.size());
}

QString ChatMessagesModel::deliveryText(ChatLine::Delivery delivery)
{
    switch (delivery) {
    case ChatLine::Delivery::None: return {};
    case ChatLine::Delivery::Sending: return tr("sending…");
    case ChatLine::Delivery::Delivered: return tr("✓ delivered");
    case ChatLine::Delivery::Refused: return tr("⚠ refused");
    case ChatLine::Delivery::NotSent: return tr("not sent yet");
    case ChatLine::Delivery::Kept: return tr("⚠ not sent");
    }
    return {};
}

QVariant ChatMessagesModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() < 0 || index.row() >= m_lines.size())
        return {};
    const ChatLine& l = m_lines.at(index.row());
    const QDateTime time = l.timeMs ? QDateTime::fromMSecsSinceEpoch(l.timeMs).toLocalTime() : QDateTime();
    switch (role) {
    case Qt::DisplayRole:
    case Qt::AccessibleTextRole:
        switch (l.kind) {
        case ChatLine::Kind::Chat: {
            QString text = tr("[%1] %2: %3").arg(QLocale().toString(time.time(), QStringLiteral("HH:mm:ss")),
                                                  l.own ? tr("%1 (you)").arg(l.user) : l.user, l.text);
            if (l.own)
                text += QStringLiteral("  ") + deliveryText(l.delivery);
            return text;
        }
        case ChatLine::Kind::Joined:
            return tr("%1 joined · %n in the room", nullptr, int(l.participants.size())).arg(l.user);
        case ChatLine::Kind::Left:
            return tr("%1 left · %n in the room", nullptr, int(l.participants.size())).arg(l.user);
        case ChatLine::Kind::Note:
            return l.text;
        }
        return {};
    case Qt::ToolTipRole: {
        if (l.kind != ChatLine::Kind::Chat)
            return l.kind == ChatLine::Kind::Note ? l.text : l.participants.join(QStringLiteral(", "));
        QStringList parts;
        parts << tr("From %1 at %2").arg(l.user, QLocale().toString(time, QLocale::LongFormat));
        parts << (l.seq ? tr("Room seq %1").arg(l.seq) : tr("Not stored by the server yet"));
        if (l.replayed)
            parts << tr("Replayed from the room's history");
        if (l.own) {
            parts << tr("Delivery: %1").arg(deliveryText(l.delivery));
            if (l.delivery == ChatLine::Delivery::Refused)
                parts << tr("The server said: %1").arg(l.error) << tr("Double-click or press Resend to send it again.");
            else if (l.delivery == ChatLine::Delivery::Kept)
                parts << tr("Written before Streamlab last quit; the server never acknowledged it.")
                      << tr("Double-click or press Resend to send it.");
        }
        if (!l.clientId.isEmpty())
            parts << tr("Client id %1").arg(l.clientId);
        return parts.join(QLatin1Char('\n'));
    }
    case KindRole: return int(l.kind);
    case SenderRole: return l.user;
    case TextRole: return l.text;
    case TimeRole: return time;
    case TimeMsRole: return l.timeMs;
    case OwnRole: return l.own;
    case DeliveryRole: return int(l.delivery);
    case DeliveryTextRole: return deliveryText(l.delivery);
    case SeqRole: return qulonglong(l.seq);
    case ClientIdRole: return l.clientId;
    case ErrorRole: return l.error;
    case ReplayedRole: return l.replayed;
    case ParticipantsRole: return l.participants;
    default: return {};
    }
}

QHash<int, QByteArray> ChatMessagesModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(KindRole, "kind");
    names.insert(SenderRole, "sender");
    names.insert(TextRole, "text");
    names.insert(TimeRole, "time");
    names.insert(TimeMsRole, "timeMs");
    names.insert(OwnRole, "own");
    names.insert(DeliveryRole, "delivery");
    names.insert(DeliveryTextRole, "deliveryText");
    names.insert(SeqRole, "seq");
    names.insert(ClientIdRole, "clientId");
    names.insert(ErrorRole, "error");
    names.insert(ReplayedRole, "replayed");
    names.insert(ParticipantsRole, "participants");
    return names;
}

void ChatMessagesModel::connectSession(ChatSession* session)
{
    connect(session, &ChatSession::lineSent, this, &ChatMessagesModel::addSent);
    connect(session, &ChatSession::linesArrived, this, &ChatMessagesModel::addArrived);
    connect(session, &ChatSession::deliveryChanged, this, &ChatMessagesModel::applyDelivery);
}

bool ChatMessagesModel::isUnconfirmed(const ChatLine& line) const
{
    return line.kind == ChatLine::Kind::Chat && line.own && line.seq == 0;
}

int ChatMessagesModel::firstUnconfirmedRow() const
{
    int row = int(m_lines.size());
    while (row > 0 && isUnconfirmed(m_lines.at(row - 1)))
        --row;
    return row;
}

int ChatMessagesModel::rowForClientId(const QString& clientId) const
{
    if (clientId.isEmpty())
        return -1;
    // Lines waiting for the server are at the bottom: search from there.
    for (int row = int(m_lines.size()) - 1; row >= 0; --row)
        if (m_lines.at(row).clientId == clientId && m_lines.at(row).own)
            return row;
    return -1;
}

bool ChatMessagesModel::waitsForResend(ChatLine::Delivery delivery)
{
    return delivery == ChatLine::Delivery::Refused || delivery == ChatLine::Delivery::Kept;
}

QStringList ChatMessagesModel::resendableClientIds() const
{
    QStringList ids;
    for (const ChatLine& l : m_lines)
        if (l.own && waitsForResend(l.delivery))
            ids.append(l.clientId);
    return ids;
}

void ChatMessagesModel::addSent(const ChatLine& line)
{
    const int row = int(m_lines.size());
    beginInsertRows(QModelIndex(), row, row);
    m_lines.append(line);
    endInsertRows();
    trim();
}

void ChatMessagesModel::insertConfirmed(const QList<ChatLine>& lines)
{
    if (lines.isEmpty())
        return;
    const int first = firstUnconfirmedRow();
    beginInsertRows(QModelIndex(), first, first + int(lines.size()) - 1);
    for (int i = 0; i < lines.size(); ++i)
        m_lines.insert(first + i, lines.at(i));
    endInsertRows();
}

// Moves an own line that has just got its seq from the unconfirmed tail to
// the end of the confirmed lines. Call before giving it the seq.
void ChatMessagesModel::moveToConfirmed(int row)
{
    const int first = firstUnconfirmedRow();
    if (row <= first)
        return;
    beginMoveRows(QModelIndex(), row, row, QModelIndex(), first);
    m_lines.move(row, first);
    endMoveRows();
}

void ChatMessagesModel::addArrived(const QList<ChatLine>& lines)
{
    QList<ChatLine> batch;
    for (const ChatLine& incoming : lines) {
        const int existing = incoming.kind == ChatLine::Kind::Chat && incoming.own ? rowForClientId(incoming.clientId) : -1;
        if (existing < 0) {
            batch.append(incoming);
            continue;
        }
        // Our own line came back from the room: it now has its place (seq).
        insertConfirmed(batch);
        batch.clear();
        int row = rowForClientId(incoming.clientId);
        if (isUnconfirmed(m_lines.at(row))) {
            moveToConfirmed(row);
            row = firstUnconfirmedRow();
        }
        ChatLine& l = m_lines[row];
        l.seq = incoming.seq;
        l.timeMs = incoming.timeMs;
        l.replayed = incoming.replayed;
        l.user = incoming.user;
        if (l.delivery != ChatLine::Delivery::Delivered)
            l.delivery = incoming.delivery;
        const QModelIndex changed = index(row);
        Q_EMIT dataChanged(changed, changed);
    }
    insertConfirmed(batch);
    trim();
}

void ChatMessagesModel::applyDelivery(const QList<ChatLine>& lines)
{
    for (const ChatLine& update : lines) {
        int row = rowForClientId(update.clientId);
        if (row < 0)
            continue;
        if (update.delivery == ChatLine::Delivery::Delivered && update.seq && isUnconfirmed(m_lines.at(row))) {
            // Acknowledged without its echo (it fell in a history gap): place it now.
            moveToConfirmed(row);
            row = firstUnconfirmedRow();
            m_lines[row].seq = update.seq;
        }
        ChatLine& l = m_lines[row];
        l.delivery = update.delivery;
        l.error = update.delivery == ChatLine::Delivery::Refused ? update.error : QString();
        if (update.delivery == ChatLine::Delivery::Delivered && update.timeMs)
            l.timeMs = update.timeMs;
        const QModelIndex changed = index(row);
        Q_EMIT dataChanged(changed, changed);
    }
}

void ChatMessagesModel::clear()
{
    beginResetModel();
    m_lines.clear();
    endResetModel();
}

void ChatMessagesModel::setMaxLines(int maxLines)
{
    m_maxLines = std::max(1, maxLines);
    trim();
}

void ChatMessagesModel::trim()
{
    const int excess = int(m_lines.size()) - m_maxLines;
    if (excess <= 0)
        return;
    beginRemoveRows(QModelIndex(), 0, excess - 1);
    m_lines.erase(m_lines.begin(), m_lines.begin() + excess);
    endRemoveRows();
}

} // namespace streamlab
