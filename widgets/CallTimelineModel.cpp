#include "CallTimelineModel.h"

#include <QApplication>
#include <QColor>
#include <QFont>
#include <QLocale>
#include <QStyle>

#include <algorithm>
#include <cmath>

namespace streamlab {

namespace {
// Mid tones: readable on both light and dark palettes.
const QColor kOkColour(0x2e, 0x8b, 0x3e);
const QColor kErrorColour(0xd3, 0x2f, 0x2f);

QString statusCodeOf(const QString& finishedDetail) // "CODE: message" -> "CODE"
{
    return finishedDetail.section(QLatin1Char(':'), 0, 0).trimmed();
}

bool isMessage(CallTraceEntry::Kind k)
{
    return k == CallTraceEntry::Kind::Sent || k == CallTraceEntry::Kind::Received;
}

// Standard icons need a QStyle, i.e. a QApplication; the model itself may live
// under a plain QCoreApplication (tests, tools), where it just has no icons.
QStyle* appStyle()
{
    return qobject_cast<QApplication*>(QCoreApplication::instance()) ? QApplication::style() : nullptr;
}
} // namespace

CallTimelineModel::CallTimelineModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

CallTimelineModel::~CallTimelineModel() = default;

int CallTimelineModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_lines.size());
}

int CallTimelineModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant CallTimelineModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const CallTraceEntry& e = m_lines[size_t(index.row())];
    const int column = index.column();
    const bool finished = e.kind == CallTraceEntry::Kind::Finished;

    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case TimeColumn: return formatElapsed(e.elapsedMs);
        case WhatColumn: return whatText(e);
        case SizeColumn:
            return (isMessage(e.kind) || e.bytes > 0) ? formatBytes(e.bytes) : QString();
        case DetailColumn: {
            // One line per row: uniform row heights, and the tooltip has it all.
            QString d = e.detail;
            d.replace(QLatin1Char('\n'), QLatin1Char(' '));
            return d;
        }
        }
        break;
    case Qt::ToolTipRole:
        if (column == DetailColumn && !e.detail.isEmpty())
            return e.detail;
        if (column == SizeColumn && isMessage(e.kind)) {
            const QLocale c = QLocale::c();
            QString tip = tr("%1 bytes").arg(c.toString(e.bytes));
            if (e.count > 1)
                tip += tr(" in %1 messages (%2 each on average)")
                           .arg(c.toString(e.count), formatBytes(e.bytes / e.count));
            return tip;
        }
        break;
    case Qt::TextAlignmentRole:
        if (column == TimeColumn || column == SizeColumn)
            return QVariant::fromValue(Qt::Alignment(Qt::AlignRight | Qt::AlignVCenter));
        break;
    case Qt::ForegroundRole:
        if (finished)
            return statusCodeOf(e.detail) == QLatin1String("OK") ? kOkColour : kErrorColour;
        break;
    case Qt::DecorationRole:
        if (finished && column == WhatColumn) {
            if (QStyle* s = appStyle()) {
                const bool ok = statusCodeOf(e.detail) == QLatin1String("OK");
                return s->standardIcon(ok ? QStyle::SP_DialogApplyButton : QStyle::SP_MessageBoxCritical);
            }
        }
        break;
    case Qt::FontRole:
        if (e.kind == CallTraceEntry::Kind::Note) {
            QFont f;
            f.setItalic(true);
            return f;
        }
        break;
    case KindRole: return int(e.kind);
    case ElapsedMsRole: return e.elapsedMs;
    case BytesRole: return e.bytes;
    case CountRole: return e.count;
    }
    return {};
}

QVariant CallTimelineModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case TimeColumn: return tr("Time");
        case WhatColumn: return tr("What");
        case SizeColumn: return tr("Size");
        case DetailColumn: return tr("Detail");
        }
    } else if (role == Qt::TextAlignmentRole) {
        if (section == TimeColumn || section == SizeColumn)
            return QVariant::fromValue(Qt::Alignment(Qt::AlignRight | Qt::AlignVCenter));
        return QVariant::fromValue(Qt::Alignment(Qt::AlignLeft | Qt::AlignVCenter));
    }
    return {};
}

void CallTimelineModel::beginCall(const QString& method)
{
    beginResetModel();
    m_lines.clear();
    m_dropped = 0;
    m_method = method;
    m_totals = CallTotals();
    endResetModel();
    Q_EMIT totalsChanged();
}

void CallTimelineModel::append(const QList<CallTraceEntry>& entries)
{
    if (entries.isEmpty())
        return;
    for (const CallTraceEntry& e : entries)
        account(e);

    const qsizetype cap = m_maxLines;
    // A batch larger than the cap: its own oldest lines are never shown.
    const qsizetype skip = std::max<qsizetype>(0, entries.size() - cap);
    const qsizetype incoming = entries.size() - skip;
    m_dropped += skip;

    const qsizetype overflow = qsizetype(m_lines.size()) + incoming - cap;
    if (overflow > 0) {
        beginRemoveRows(QModelIndex(), 0, int(overflow - 1));
        m_lines.erase(m_lines.begin(), m_lines.begin() + overflow);
        m_dropped += overflow;
        endRemoveRows();
    }

    const int first = int(m_lines.size());
    beginInsertRows(QModelIndex(), first, first + int(incoming) - 1);
    m_lines.insert(m_lines.end(), entries.cbegin() + skip, entries.cend());
    endInsertRows();
    Q_EMIT totalsChanged();
}

void CallTimelineModel::clear()
{
    if (m_totals.finished || m_method.isEmpty()) {
        beginCall(QString());
        return;
    }
    if (!m_lines.empty()) {
        beginRemoveRows(QModelIndex(), 0, int(m_lines.size()) - 1);
        m_lines.clear();
        endRemoveRows();
    }
    m_dropped = 0;
    Q_EMIT totalsChanged();
}

void CallTimelineModel::setMaxLines(int maxLines)
{
    m_maxLines = std::max(1, maxLines);
    const qsizetype overflow = qsizetype(m_lines.size()) - m_maxLines;
    if (overflow > 0) {
        beginRemoveRows(QModelIndex(), 0, int(overflow - 1));
        m_lines.erase(m_lines.begin(), m_lines.begin() + overflow);
        m_dropped += overflow;
        endRemoveRows();
        Q_EMIT totalsChanged();
    }
}

void CallTimelineModel::account(const CallTraceEntry& e)
{
    const qint64 n = std::max(0, e.count);
    switch (e.kind) {
    case CallTraceEntry::Kind::Sent:
        m_totals.messagesSent += n;
        m_totals.bytesSent += e.bytes;
        break;
    case CallTraceEntry::Kind::Received:
        m_totals.messagesReceived += n;
        m_totals.bytesReceived += e.bytes;
        break;
    case CallTraceEntry::Kind::HalfClosed:
        m_totals.halfClosed = true;
        break;
    case CallTraceEntry::Kind::Finished:
        m_totals.finished = true;
        m_totals.statusCode = statusCodeOf(e.detail);
        m_totals.statusMessage = e.detail.section(QLatin1Char(':'), 1).trimmed();
        break;
    default:
        break;
    }
    m_totals.elapsedMs = std::max(m_totals.elapsedMs, e.elapsedMs);
}

QString CallTimelineModel::formatElapsed(double ms)
{
    const QString sign = ms < 0 ? QStringLiteral("-") : QStringLiteral("+");
    const double a = std::abs(ms);
    if (a < 1000.0)
        return sign + QString::number(a, 'f', 1) + QStringLiteral(" ms");
    return sign + QString::number(a / 1000.0, 'f', 3) + QStringLiteral(" s");
}

QString CallTimelineModel::formatBytes(qint64 bytes)
{
    if (bytes < 0)
        return QLatin1Char('-') + formatBytes(-bytes);
    if (bytes < 1024)
        return QString::number(bytes) + QStringLiteral(" B");
    static const char* const units[] = {"KiB", "MiB", "GiB", "TiB"};
    double v = double(bytes) / 1024.0;
    int u = 0;
    // Switch unit before the one-decimal text would read "1024.0".
    while (v >= 1023.95 && u < 3) {
        v /= 1024.0;
        ++u;
    }
    return QString::number(v, 'f', 1) + QLatin1Char(' ') + QLatin1String(units[u]);
}

QString CallTimelineModel::kindName(CallTraceEntry::Kind kind)
{
    switch (kind) {
    case CallTraceEntry::Kind::Started: return tr("Started");
    case CallTraceEntry::Kind::Headers: return tr("Headers");
    case CallTraceEntry::Kind::Sent: return tr("Sent");
    case CallTraceEntry::Kind::Received: return tr("Received");
    case CallTraceEntry::Kind::HalfClosed: return tr("Half-closed");
    case CallTraceEntry::Kind::Note: return tr("Note");
    case CallTraceEntry::Kind::Trailers: return tr("Trailers");
    case CallTraceEntry::Kind::Finished: return tr("Finished");
    }
    return QString();
}

QString CallTimelineModel::whatText(const CallTraceEntry& e)
{
    if (isMessage(e.kind) && e.count != 1)
        return kindName(e.kind) + QLatin1Char(' ') + QChar(0x00D7) + QString::number(e.count);
    return kindName(e.kind);
}

} // namespace streamlab
