#pragma once
// A call's final status as the UI shows it: the gRPC code's name, the
// server's message, and one sentence for a person.

#include <QMetaType>
#include <QString>

namespace grpc {
class Status;
}

namespace streamlab {

struct CallStatus {
    int code = 0;              // grpc::StatusCode
    QString codeName;          // "OK", "NOT_FOUND", ...
    QString serverMessage;     // as the server (or gRPC) said it
    QString text;              // what the user reads
    double elapsedMs = 0;

    bool ok() const { return code == 0; }
    bool cancelled() const { return code == 1; }
    bool unavailable() const { return code == 14; }
    // For the call timeline: "OK", "NOT_FOUND: no user 42"; the message only
    // where it says more than the code ("CANCELLED", not "CANCELLED: CANCELLED").
    QString summary() const;
};

QString statusCodeName(int code);
// An UNAVAILABLE status's message as a short reason: "connection refused",
// "domain name not found" (gRPC's message names the whole path to it).
QString unavailableReason(const QString& grpcMessage);
// `what` names the call for messages ("GetUser", "the upload", ...);
// `deadlineMs` explains DEADLINE_EXCEEDED; `target` explains UNAVAILABLE.
CallStatus makeCallStatus(const grpc::Status& status, double elapsedMs, const QString& target, qint64 deadlineMs = 0);

} // namespace streamlab

Q_DECLARE_METATYPE(streamlab::CallStatus)
