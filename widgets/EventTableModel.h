#pragma once
// The events table: a ring of the newest N rows (N = capacity(), default
// 100,000). Rows arrive in batches (one per frame); each batch is one
// beginInsertRows at the end, after at most one beginRemoveRows at the top for
// the oldest rows it pushes out, which are counted in droppedRows(). Memory
// stays flat however long the stream runs: the ring never holds more than
// capacity() rows.

#include "EventRow.h"

#include <QAbstractTableModel>
#include <QList>

#include <vector>

class QIODevice;

namespace streamlab {

class EventTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { IdColumn, TimeColumn, TypeColumn, DataColumn, ColumnCount };
    static constexpr int DefaultCapacity = 100000;
    enum class ExportFormat { Csv, Json };

    explicit EventTableModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    int columnCount(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // One batch: the newest rows, in order.
    void appendRows(const QList<EventRow>& rows);
    void clear();

    int capacity() const { return m_capacity; }
    // At least 1. Shrinking below rowCount() drops the oldest rows (counted).
    void setCapacity(int capacity);

    const EventRow& rowAt(int row) const { return m_ring[slot(row)]; }
    // Oldest first; implicitly shared strings, so cheap to take for an export.
    std::vector<EventRow> rows() const;
    qint64 droppedRows() const { return m_dropped; }
    qint64 totalAppended() const { return m_appended; }

    // Writes rows to `path` through a QSaveFile: the file appears whole or not
    // at all (an existing file is kept when anything fails). Returns an error
    // for a person, or an empty string. Safe to run on a worker thread.
    static QString exportRows(const std::vector<EventRow>& rows, const QString& path, ExportFormat format);
    static bool writeCsv(const std::vector<EventRow>& rows, QIODevice& out);
    static bool writeJson(const std::vector<EventRow>& rows, QIODevice& out);

Q_SIGNALS:
    void droppedRowsChanged(qint64 dropped);

private:
    size_t slot(int row) const { return (m_first + size_t(row)) % m_ring.size(); }
    void dropOldest(int count);

    std::vector<EventRow> m_ring;   // grows to capacity, then wraps
    size_t m_first = 0;             // slot of row 0
    int m_count = 0;
    int m_capacity = DefaultCapacity;
    qint64 m_dropped = 0;
    qint64 m_appended = 0;
};

} // namespace streamlab
