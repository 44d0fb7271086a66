#pragma once
// ServerAdmin's upload calls for the client streaming tab: the list of the
// uploads stored on the server, and how much of an interrupted upload it
// holds (the offset to resume from). Both are unary calls on a worker thread
// (QtConcurrent), with a deadline, their results back on the GUI thread as Qt
// values. The blocking functions are public for worker threads (UploadCall's
// reader asks for the resume offset with fetchStatus).

#include "CallStatus.h"

#include <QDateTime>
#include <QFutureWatcher>
#include <QList>
#include <QObject>

#include <memory>

namespace grpc {
class ClientContext;
}

namespace streamlab {

class Connection;

struct StoredUploadInfo {
    QString uploadId;
    QString name;        // the stored file's name under the server's uploads/
    qint64 size = 0;
    QString sha256;      // lower-case hex
    QDateTime storedAt;  // UTC
};

struct UploadServerState {
    QString uploadId;
    bool exists = false;      // the server holds partial data
    qint64 offset = 0;        // bytes held: resume from here
    bool completed = false;   // already stored whole
    QString storedName;
    QString sha256;           // when completed
    qint64 capBytes = 0;      // the server's upload cap (0: not said, an older server)
};

struct UploadListReply {
    CallStatus status;
    QList<StoredUploadInfo> uploads;
};

struct UploadStatusReply {
    CallStatus status;
    UploadServerState state;
};

class UploadAdmin : public QObject {
    Q_OBJECT
public:
    static constexpr qint64 kDeadlineMs = 10000;

    explicit UploadAdmin(Connection* connection, QObject* parent = nullptr);
    ~UploadAdmin() override;

    // ServerAdmin.ListUploads (newest first); listReady() when done. Ignored while a refresh runs.
    void refreshList(int limit = 200);
    // ServerAdmin.GetUploadStatus; statusReady() when done. Ignored while one runs.
    void queryStatus(const QString& uploadId);
    bool listBusy() const { return m_listWatcher.isRunning(); }
    bool statusBusy() const { return m_statusWatcher.isRunning(); }
    void cancel();

    // The blocking calls (worker threads only). `context` is fresh; another
    // thread may TryCancel it.
    static UploadListReply fetchList(Connection* connection, int limit, qint64 deadlineMs, grpc::ClientContext* context);
    static UploadStatusReply fetchStatus(Connection* connection, const QString& uploadId, qint64 deadlineMs,
                                         grpc::ClientContext* context);

Q_SIGNALS:
    void listReady(const streamlab::UploadListReply& reply);
    void statusReady(const streamlab::UploadStatusReply& reply);

private:
    struct Jobs;
    Connection* m_connection;
    std::shared_ptr<Jobs> m_jobs;
    QFutureWatcher<UploadListReply> m_listWatcher;
    QFutureWatcher<UploadStatusReply> m_statusWatcher;
};

} // namespace streamlab

Q_DECLARE_METATYPE(streamlab::StoredUploadInfo)
Q_DECLARE_METATYPE(streamlab::UploadListReply)
Q_DECLARE_METATYPE(streamlab::UploadStatusReply)
