#pragma once
// The client streaming call object: UploadChunks of one file, verified,
// cancellable, resumable.
//
// Three parties, none waiting on another's thread:
// - a reader thread (one per upload) asks the server for the resume offset
//   when resuming (ServerAdmin.GetUploadStatus), hashes the part the server
//   already holds, then reads the rest chunk by chunk, hashing as it goes
//   (the client's own SHA-256 of the whole file), into a small bounded queue.
//   The file is never loaded whole: at most 4 MiB (or two chunks) wait. It
//   reads into buffers that gRPC sends as they are (ChunkFrame): no copy.
// - a callback reactor keeps exactly one write in flight: when a write
//   completes (OnWriteDone) it takes the next queued chunk; when the queue
//   is empty the reader starts the next write itself. So the next chunk is
//   being read while the previous one is sent, and reactions never block.
// - this object, on the GUI thread, turns the counters into UploadProgress
//   at most ~30 times a second, and the end into an UploadOutcome.
//
// The first chunk carries the metadata (upload_id, name, size, offset,
// probe_id); every chunk carries the current server read delay, so the
// delay can change mid-upload.

#include "StreamCall.h"
#include "UploadProgress.h"

#include <QElapsedTimer>
#include <QString>

#include <memory>
#include <thread>

namespace streamlab {

struct UploadRequest {
    QString filePath;
    QString uploadId;             // empty: a new one (a UUID); resuming needs the interrupted upload's id
    QString name;                 // the name the server stores it under; empty: the file's name
    int chunkSize = 64 * 1024;    // data bytes per message
    quint32 serverReadDelayMs = 0;
    // Ask the server how much it holds (GetUploadStatus) and send only the
    // rest; the client's SHA-256 still covers the whole file.
    bool resume = false;
};

struct UploadOutcome {
    CallStatus status;            // the call's status (a local failure is explained in localError)
    QString localError;           // the client stopped the upload: the file could not be read, ...
    QString uploadId;
    QString fileName;
    qint64 totalBytes = 0;        // the file's size
    qint64 sentBytes = 0;         // how far the upload got (resumedFrom + this call's completed writes)
    qint64 resumedFrom = 0;       // where this call started (the server's offset when resuming)
    bool hasResult = false;       // the server stored the file: the fields below are its answer
    qint64 bytesReceived = 0;     // UploadResult.bytes_received: what this call delivered
    qint64 storedSize = 0;
    QString storedName;
    QString serverSha256;
    QString clientSha256;         // empty unless the client read the whole file
    double sendingMs = 0;         // from the first chunk to the server's answer
    double writingMs = 0;         // from the first chunk until the last one had passed flow control (WritesDone)
    double maxWriteMs = 0;        // the longest blocked write (flow control)

    bool ok() const { return status.ok() && localError.isEmpty() && hasResult; }
    bool hashesMatch() const { return ok() && !clientSha256.isEmpty() && clientSha256 == serverSha256; }
    // What the user reads: the local reason first, then the call's.
    QString text() const { return localError.isEmpty() ? status.text : localError; }
};

class UploadCall : public StreamCall {
    Q_OBJECT
public:
    static constexpr int kDefaultChunkSize = 64 * 1024;
    // gRPC's default receive limit is 4 MiB per message; leave room for the metadata.
    static constexpr int kMaxChunkSize = 4 * 1024 * 1024 - 4 * 1024;
    // The first chunk carries the metadata next to a full chunk of data: these
    // keep it within that 4 KiB of room (the server stores at most 180 bytes
    // of a name anyway, and takes upload ids of at most 128 characters).
    static constexpr int kMaxNameBytes = 1024;
    static constexpr int kMaxUploadIdBytes = 128;
    static constexpr quint32 kMaxServerReadDelayMs = 10000;   // the server's own limit
    static constexpr int kProgressIntervalMs = 33;              // at most ~30 progress updates a second

    explicit UploadCall(Connection* connection, QObject* parent = nullptr);
    ~UploadCall() override;

    // Checks the file (exists, readable, a regular file) and starts. False
    // with a message for a person when it cannot start; nothing is sent then.
    bool start(const UploadRequest& request, QString* error);
    // Changes the server read delay for the next chunks (also mid-upload).
    void setServerReadDelay(quint32 ms);
    // Stops the upload: the reader, and the call (TryCancel). The server keeps
    // the partial data of a resumable upload; it stores no file.
    void cancel();

    QString uploadId() const { return m_uploadId; }
    UploadProgress progress() const { return m_progress; }
    const UploadOutcome& outcome() const { return m_outcome; }

    static QString newUploadId();

Q_SIGNALS:
    void progressChanged(const streamlab::UploadProgress& progress);
    // Just before StreamCall::finished.
    void uploadFinished(const streamlab::UploadOutcome& outcome);

protected:
    void onFrame() override;
    void onFinished(const CallStatus& status) override;

public:
    struct Pipe;   // shared by the reader thread, the reactor and this object

private:
    void updateProgress(bool force);
    void buildOutcome(const CallStatus& status);
    void joinReader();

    std::shared_ptr<Pipe> m_pipe;
    std::thread m_reader;
    QString m_uploadId;
    QString m_fileName;
    UploadProgress m_progress;
    UploadOutcome m_outcome;
    UploadProgressMeter m_meter;
    QElapsedTimer m_clock;          // since start()
    qint64 m_lastEmitMs = -1;
    bool m_meterStarted = false;
    bool m_outcomeBuilt = false;
};

} // namespace streamlab

Q_DECLARE_METATYPE(streamlab::UploadOutcome)
