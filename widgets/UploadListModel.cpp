#include "UploadListModel.h"

#include "UploadProgress.h"

#include <QFontDatabase>
#include <QLocale>

namespace streamlab {

UploadListModel::UploadListModel(QObject* parent) : QAbstractTableModel(parent) {}

void UploadListModel::setUploads(const QList<StoredUploadInfo>& uploads)
{
    beginResetModel();
    m_uploads = uploads;
    endResetModel();
}

int UploadListModel::rowOf(const QString& uploadId) const
{
    for (int row = 0; row < m_uploads.size(); ++row)
        if (m_uploads[row].uploadId == uploadId)
            return row;
    return -1;
}

int UploadListModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(m_uploads.size()); }

int UploadListModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant UploadListModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const StoredUploadInfo& upload = m_uploads[index.row()];
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case NameColumn:
            return upload.name;
        case SizeColumn:
            return formatBytes(upload.size);
        case Sha256Column:
            return upload.sha256;
        case StoredAtColumn:
            return QLocale().toString(upload.storedAt.toLocalTime(), QLocale::ShortFormat);
        }
        break;
    case SortRole:
        switch (index.column()) {
        case NameColumn:
            return upload.name.toLower();
        case SizeColumn:
            return upload.size;
        case Sha256Column:
            return upload.sha256;
        case StoredAtColumn:
            return upload.storedAt;
        }
        break;
    case UploadIdRole:
        return upload.uploadId;
    case Qt::ToolTipRole:
        switch (index.column()) {
        case NameColumn:
            return tr("%1\nupload id %2").arg(upload.name, upload.uploadId);
        case SizeColumn:
            return tr("%1 bytes").arg(QLocale().toString(upload.size));
        case Sha256Column:
            return tr("SHA-256 %1").arg(upload.sha256);
        case StoredAtColumn:
            return QLocale().toString(upload.storedAt.toLocalTime(), QLocale::LongFormat);
        }
        break;
    case Qt::TextAlignmentRole:
        if (index.column() == SizeColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case Qt::FontRole:
        if (index.column() == Sha256Column)
            return QFontDatabase::systemFont(QFontDatabase::FixedFont);
        break;
    default:
        break;
    }
    return {};
}

QVariant UploadListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case NameColumn:
        return tr("Name");
    case SizeColumn:
        return tr("Size");
    case Sha256Column:
        return tr("SHA-256");
    case StoredAtColumn:
        return tr("Stored");
    }
    return {};
}

} // namespace streamlab
