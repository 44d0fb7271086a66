#pragma once
// The uploads stored on the server (ServerAdmin.ListUploads), one row each:
// name, size, SHA-256, when it was stored. Display text is formatted for
// people; SortRole gives raw values (bytes, time) for a sort proxy.

#include "UploadAdmin.h"

#include <QAbstractTableModel>
#include <QList>

namespace streamlab {

class UploadListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { NameColumn, SizeColumn, Sha256Column, StoredAtColumn, ColumnCount };
    enum Role { SortRole = Qt::UserRole + 1, UploadIdRole };

    explicit UploadListModel(QObject* parent = nullptr);

    void setUploads(const QList<StoredUploadInfo>& uploads);
    const QList<StoredUploadInfo>& uploads() const { return m_uploads; }
    StoredUploadInfo upload(int row) const { return m_uploads.value(row); }
    // The row of an upload id, or -1.
    int rowOf(const QString& uploadId) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<StoredUploadInfo> m_uploads;
};

} // namespace streamlab
