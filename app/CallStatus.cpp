#include "CallStatus.h"

#include <grpcpp/support/status.h>

#include <QRegularExpression>

namespace streamlab {

QString statusCodeName(int code)
{
    static const char* const kNames[] = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
                                         "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                                         "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL",
                                         "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
    if (code >= 0 && code < int(std::size(kNames)))
        return QString::fromLatin1(kNames[code]);
    return QStringLiteral("CODE_%1").arg(code);
}

// gRPC's words for a failed connection carry the whole path to the cause:
// "failed to connect to all addresses; last error: UNKNOWN:
// ipv4:127.0.0.1:1: Failed to connect to remote host: Connection refused".
// The last part is the reason a person needs; other messages stay whole.
QString unavailableReason(const QString& message)
{
    if (message.isEmpty())
        return QStringLiteral("no connection");
    // What a client hears when the server stops (grpc's Server::Shutdown).
    if (message.compare(QLatin1String("Cancelling all calls"), Qt::CaseInsensitive) == 0)
        return QStringLiteral("the server shut down");
    const bool chain = message.contains(QLatin1String("; last error: ")) || message.startsWith(QLatin1String("DNS resolution failed"));
    const int colon = chain ? message.lastIndexOf(QLatin1String(": ")) : -1;
    QString reason = colon >= 0 ? message.mid(colon + 2).trimmed() : message;
    if (reason.isEmpty())
        reason = message;
    if (reason.size() > 1 && reason[1].isLower())   // "Connection refused", not "DNS ..."
        reason[0] = reason[0].toLower();
    return reason;
}

QString CallStatus::summary() const
{
    if (ok() || serverMessage.isEmpty() || serverMessage.compare(codeName, Qt::CaseInsensitive) == 0)
        return codeName;
    return codeName + QStringLiteral(": ") + serverMessage;
}

CallStatus makeCallStatus(const grpc::Status& status, double elapsedMs, const QString& target, qint64 deadlineMs)
{
    CallStatus result;
    result.code = int(status.error_code());
    result.codeName = statusCodeName(result.code);
    result.serverMessage = QString::fromStdString(status.error_message());
    result.elapsedMs = elapsedMs;

    // The server's messages are written for people already; start them with a capital.
    QString said = result.serverMessage;
    if (!said.isEmpty())
        said[0] = said[0].toUpper();
    switch (status.error_code()) {
    case grpc::StatusCode::OK:
        result.text = QStringLiteral("OK");
        break;
    case grpc::StatusCode::CANCELLED:
        result.text = QStringLiteral("Cancelled");
        break;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
        result.text = deadlineMs > 0 ? QStringLiteral("No answer within the %1 ms deadline").arg(deadlineMs)
                                     : QStringLiteral("The deadline passed before the server answered");
        break;
    case grpc::StatusCode::UNAVAILABLE:
        result.text = QStringLiteral("The server at %1 is unavailable: %2").arg(target, unavailableReason(result.serverMessage));
        break;
    case grpc::StatusCode::UNAUTHENTICATED:
        result.text = QStringLiteral("The server wants a valid token: %1").arg(said);
        break;
    case grpc::StatusCode::RESOURCE_EXHAUSTED: {
        // gRPC's own words for a message over a size limit (4 MiB by
        // default): say it plainly, with the sizes.
        static const QRegularExpression kTooLarge(QStringLiteral("(Received|Sent) message larger than max \\((\\d+) vs\\. (\\d+)\\)"));
        const QRegularExpressionMatch tooLarge = kTooLarge.match(result.serverMessage);
        if (tooLarge.hasMatch()) {
            const qint64 limit = tooLarge.captured(3).toLongLong();
            const QString limitText = limit % (1 << 20) == 0 ? QStringLiteral("%1 MiB (%2 bytes)").arg(limit >> 20).arg(limit)
                                                             : QStringLiteral("%1 bytes").arg(limit);
            result.text = tooLarge.captured(1) == QLatin1String("Received")
                ? QStringLiteral("A message of %1 bytes is larger than the receiving side accepts: at most %2 per message")
                      .arg(tooLarge.captured(2), limitText)
                : QStringLiteral("A message of %1 bytes is larger than this side may send: at most %2 per message")
                      .arg(tooLarge.captured(2), limitText);
        } else {
            result.text = said.isEmpty() ? result.codeName : said;
        }
        break;
    }
    default:
        result.text = said.isEmpty() ? result.codeName : said;
        break;
    }
    return result;
}

} // namespace streamlab
