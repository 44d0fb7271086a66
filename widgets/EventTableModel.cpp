#include "EventTableModel.h"

#include <QIODevice>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include <algorithm>

namespace streamlab {

EventTableModel::EventTableModel(QObject* parent) : QAbstractTableModel(parent)
{
    qRegisterMetaType<streamlab::EventRow>();
}

int EventTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : m_count;
}

int EventTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EventTableModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= m_count || index.column() >= ColumnCount)
        return {};
    const EventRow& row = rowAt(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case IdColumn: return row.id;
        case TimeColumn: return row.timeText();
        case TypeColumn: return row.type;
        case DataColumn: return row.data;
        }
        break;
    case Qt::ToolTipRole:
        if (index.column() == DataColumn)
            return row.data;
        if (index.column() == IdColumn)
            return row.live ? tr("Event %1: live (produced after the call started)").arg(row.id)
                            : tr("Event %1: from the history").arg(row.id);
        break;
    case Qt::TextAlignmentRole:
        if (index.column() == IdColumn)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case Qt::UserRole:
        return QVariant::fromValue(row);
    }
    return {};
}

QVariant EventTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case IdColumn: return tr("Id");
        case TimeColumn: return tr("Time (UTC)");
        case TypeColumn: return tr("Type");
        case DataColumn: return tr("Data");
        }
    } else if (role == Qt::TextAlignmentRole && section == IdColumn) {
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    }
    return {};
}

void EventTableModel::appendRows(const QList<EventRow>& rows)
{
    if (rows.isEmpty())
        return;
    // A batch larger than the ring: only its newest rows can be kept.
    const qsizetype skip = std::max<qsizetype>(0, rows.size() - m_capacity);
    const int incoming = int(rows.size() - skip);
    const int overflow = std::max(0, m_count + incoming - m_capacity);
    if (overflow > 0)
        dropOldest(overflow);
    m_dropped += skip;

    // Room for the whole ring at once: growing by doubling would move up to
    // half a ring of rows in one frame (a visible hitch at 100,000 rows).
    // Pages are only touched as rows arrive, so the memory comes with them.
    if (m_first == 0 && m_ring.capacity() < size_t(m_capacity))
        m_ring.reserve(size_t(m_capacity));
    beginInsertRows(QModelIndex(), m_count, m_count + incoming - 1);
    for (qsizetype i = skip; i < rows.size(); ++i) {
        if (m_first == 0 && size_t(m_count) == m_ring.size() && m_ring.size() < size_t(m_capacity))
            m_ring.push_back(rows[i]);        // still growing
        else
            m_ring[slot(m_count)] = rows[i];  // a free slot of the full ring
        ++m_count;
    }
    endInsertRows();
    m_appended += rows.size();
    if (overflow > 0 || skip > 0)
        Q_EMIT droppedRowsChanged(m_dropped);
}

void EventTableModel::dropOldest(int count)
{
    count = std::min(count, m_count);
    if (count <= 0)
        return;
    // From here on the ring wraps: give it its full size once.
    if (m_ring.size() < size_t(m_capacity))
        m_ring.resize(size_t(m_capacity));
    beginRemoveRows(QModelIndex(), 0, count - 1);
    // The slots are reused by the rows that come next (or freed by setCapacity).
    m_first = (m_first + size_t(count)) % m_ring.size();
    m_count -= count;
    m_dropped += count;
    endRemoveRows();
}

void EventTableModel::clear()
{
    beginResetModel();
    std::vector<EventRow>().swap(m_ring);
    m_first = 0;
    m_count = 0;
    m_dropped = 0;
    m_appended = 0;
    endResetModel();
    Q_EMIT droppedRowsChanged(0);
}

void EventTableModel::setCapacity(int capacity)
{
    capacity = std::max(1, capacity);
    if (capacity == m_capacity)
        return;
    const bool dropping = m_count > capacity;
    if (dropping)
        dropOldest(m_count - capacity);
    // Lay the kept rows out from slot 0 again, in a vector no larger than needed.
    std::vector<EventRow> kept;
    kept.reserve(size_t(m_count));
    for (int row = 0; row < m_count; ++row)
        kept.push_back(std::move(m_ring[slot(row)]));
    m_ring.swap(kept);
    m_first = 0;
    m_capacity = capacity;
    if (dropping)
        Q_EMIT droppedRowsChanged(m_dropped);
}

std::vector<EventRow> EventTableModel::rows() const
{
    std::vector<EventRow> out;
    out.reserve(size_t(m_count));
    for (int row = 0; row < m_count; ++row)
        out.push_back(rowAt(row));
    return out;
}

namespace {

// RFC 4180: quoted when needed, quotes doubled.
void appendCsvField(QByteArray& out, const QString& text)
{
    const QByteArray utf8 = text.toUtf8();
    const bool quote = utf8.contains(',') || utf8.contains('"') || utf8.contains('\n') || utf8.contains('\r');
    if (!quote) {
        out += utf8;
        return;
    }
    out += '"';
    for (char c : utf8) {
        if (c == '"')
            out += '"';
        out += c;
    }
    out += '"';
}

bool flushIfLarge(QByteArray& buffer, QIODevice& out, bool force = false)
{
    if (!force && buffer.size() < (1 << 20))
        return true;
    const bool ok = out.write(buffer) == buffer.size();
    buffer.clear();
    return ok;
}

} // namespace

bool EventTableModel::writeCsv(const std::vector<EventRow>& rows, QIODevice& out)
{
    QByteArray buffer = "id,time,time_ms,type,data,live\r\n";
    for (const EventRow& row : rows) {
        buffer += QByteArray::number(row.id);
        buffer += ',';
        buffer += row.timeText().toLatin1();
        buffer += ',';
        buffer += QByteArray::number(row.timeMs);
        buffer += ',';
        appendCsvField(buffer, row.type);
        buffer += ',';
        appendCsvField(buffer, row.data);
        buffer += row.live ? ",true\r\n" : ",false\r\n";
        if (!flushIfLarge(buffer, out))
            return false;
    }
    return flushIfLarge(buffer, out, true);
}

bool EventTableModel::writeJson(const std::vector<EventRow>& rows, QIODevice& out)
{
    // One object per line inside an array: valid JSON that stays readable and
    // is written row by row (no document of the whole list in memory).
    QByteArray buffer = "[";
    bool first = true;
    for (const EventRow& row : rows) {
        QJsonObject object;
        object.insert(QStringLiteral("id"), row.id);
        object.insert(QStringLiteral("time"), row.timeText());
        object.insert(QStringLiteral("time_ms"), row.timeMs);
        object.insert(QStringLiteral("type"), row.type);
        // The payload is a JSON object: keep it one (or as text when it is not).
        QJsonParseError error;
        const QJsonDocument payload = QJsonDocument::fromJson(row.data.toUtf8(), &error);
        if (error.error == QJsonParseError::NoError && payload.isObject())
            object.insert(QStringLiteral("data"), payload.object());
        else
            object.insert(QStringLiteral("data"), row.data);
        object.insert(QStringLiteral("live"), row.live);
        buffer += first ? "\n" : ",\n";
        first = false;
        buffer += QJsonDocument(object).toJson(QJsonDocument::Compact);
        if (!flushIfLarge(buffer, out))
            return false;
    }
    buffer += "\n]\n";
    return flushIfLarge(buffer, out, true);
}

QString EventTableModel::exportRows(const std::vector<EventRow>& rows, const QString& path, ExportFormat format)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return tr("Could not write %1: %2.").arg(path, file.errorString());
    const bool written = format == ExportFormat::Csv ? writeCsv(rows, file) : writeJson(rows, file);
    if (!written) {
        const QString reason = file.errorString();
        file.cancelWriting();
        return tr("Could not write %1: %2. Nothing was changed.").arg(path, reason);
    }
    if (!file.commit())
        return tr("Could not save %1: %2. Nothing was changed.").arg(path, file.errorString());
    return QString();
}

} // namespace streamlab
