#include "UploadCall.h"

#include "ChunkFrame.h"
#include "Connection.h"
#include "Sha256.h"
#include "UploadAdmin.h"
#include "WorkerPriority.h"
#include "streaming_examples.grpc.pb.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QUuid>

#include <grpcpp/generic/generic_stub.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>

#include <pthread.h>

namespace streamlab {

namespace {

constexpr size_t kQueueBudgetBytes = 4u << 20;      // chunks read ahead of the write in flight
constexpr qint64 kHashBlockBytes = 1 << 20;         // reading back the part the server holds
constexpr double kStallNoteMs = 100;                // a write this slow gets a line in the timeline

qint64 nowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void raiseMax(std::atomic<qint64>& target, qint64 value)
{
    qint64 seen = target.load(std::memory_order_relaxed);
    while (value > seen && !target.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
    }
}

} // namespace

struct UploadCall::Pipe {
    // Fixed before the reader starts.
    std::shared_ptr<CallRecord> record;
    Connection* connection = nullptr;   // outlives the reader (UploadCall joins it)
    std::shared_ptr<grpc::Channel> channel;
    QString path;
    std::string uploadId;
    std::string name;
    std::string probeId;
    qint64 size = 0;
    qint64 modifiedMs = 0;
    int chunkSize = kDefaultChunkSize;
    bool resume = false;

    std::mutex mutex;
    std::condition_variable space;    // the reader waits here for room in the queue, or for stop
    std::deque<grpc::Slice> queue;    // chunk data read ahead, oldest first (handed to gRPC as is)
    std::shared_ptr<ChunkBufferPool> buffers;   // what the reader reads into
    size_t queuedBytes = 0;
    size_t maxQueuedBytes = kQueueBudgetBytes;
    size_t lowWaterBytes = kQueueBudgetBytes / 2;   // a full queue wakes the reader again at this level
    bool readerWaiting = false;
    bool busy = false;                // a write (or the half-close) is in flight
    bool eof = false;                 // the reader has queued the last chunk
    bool writesDoneStarted = false;
    bool stopped = false;             // cancelled, failed or finished: no more writes
    grpc::ClientContext* statusContext = nullptr;   // the reader's GetUploadStatus in flight
    QString localError;
    std::string clientSha256;
    // The server's answer, copied in OnDone before the record finishes.
    bool hasResult = false;
    UploadResult result;

    std::atomic<int> phase{int(UploadProgress::Phase::Preparing)};
    std::atomic<qint64> offset{0};        // where this call's data starts
    std::atomic<qint64> hashed{0};        // Hashing: bytes of the held part hashed
    std::atomic<qint64> acked{0};         // data bytes of completed writes
    std::atomic<qint64> chunks{0};
    std::atomic<qint64> writeStartNs{0};  // the pending write's StartWrite; 0: none pending
    std::atomic<qint64> lastWriteNs{0};
    std::atomic<qint64> maxWriteNs{0};
    std::atomic<qint64> blockedNs{0};
    std::atomic<qint64> slowWrites{0};    // completed writes slower than kStallNoteMs
    std::atomic<qint64> sendStartNs{0};
    std::atomic<qint64> halfCloseNs{0};   // WritesDone: the last chunk has passed flow control
    std::atomic<qint64> endNs{0};
    std::atomic<quint32> delayMs{0};

    void setPhase(UploadProgress::Phase value) { phase.store(int(value)); }

    // Stops the reader and any further write. Thread-safe.
    void stop(const QString& error = {})
    {
        {
            std::lock_guard<std::mutex> lock(mutex);
            if (!error.isEmpty() && localError.isEmpty())
                localError = error;
            stopped = true;
            if (statusContext)
                statusContext->TryCancel();
        }
        space.notify_all();
    }
    bool isStopped()
    {
        std::lock_guard<std::mutex> lock(mutex);
        return stopped;
    }
};

namespace {

using Pipe = UploadCall::Pipe;

// UploadChunks through grpc++'s generic stub: its chunks go out as
// ChunkFrames (the file's bytes are not copied again), its answer comes back
// as an UploadResult. On the wire it is the same client-streaming call the
// generated stub makes; a generic call is a bidi reactor, so the answer is
// read with StartRead.
using ChunkStub = grpc::TemplatedGenericStub<grpc::ByteBuffer, UploadResult>;

const std::string& uploadChunksMethod()
{
    static const std::string method = std::string("/") + StreamingExamples::service_full_name() + "/UploadChunks";
    return method;
}

// One UploadChunks call. Owns itself: deleted in OnDone. The reader holds a
// hold (AddHold) while it may still start writes, so OnDone cannot come
// while it uses this object.
class UploadReactor final : public grpc::ClientBidiReactor<grpc::ByteBuffer, UploadResult> {
public:
    explicit UploadReactor(std::shared_ptr<Pipe> pipe)
        : m_pipe(std::move(pipe)), m_record(m_pipe->record), m_stub(m_pipe->channel)
    {
    }

    // From the reader: start the call, holding it open for the reader.
    void begin()
    {
        m_stub.PrepareBidiStreamingCall(m_record->context(), uploadChunksMethod(), grpc::StubOptions(), this);
        AddHold();
        StartRead(&m_result);   // the server's one answer, when it has stored the file
        StartCall();
    }
    // From the reader, when it will start no more writes.
    void releaseReader() { RemoveHold(); }

    // Starts the next write (or the half-close) unless one is in flight.
    // Called by the reader after queueing a chunk (under its hold) and from
    // OnWriteDone: whichever comes first takes the chunk.
    void pump()
    {
        grpc::Slice data;
        bool halfClose = false;
        bool wakeReader = false;
        {
            std::lock_guard<std::mutex> lock(m_pipe->mutex);
            if (m_pipe->busy || m_pipe->stopped)
                return;
            if (!m_pipe->queue.empty()) {
                data = std::move(m_pipe->queue.front());
                m_pipe->queue.pop_front();
                m_pipe->queuedBytes -= data.size();
                m_pipe->busy = true;
                // Wake a waiting reader only once half the queue has gone:
                // it then reads several chunks in a row (fewer thread switches).
                wakeReader = m_pipe->readerWaiting && m_pipe->queuedBytes <= m_pipe->lowWaterBytes;
            } else if (m_pipe->eof && !m_pipe->writesDoneStarted) {
                m_pipe->writesDoneStarted = true;
                m_pipe->busy = true;
                halfClose = true;
            } else {
                return;
            }
        }
        if (wakeReader)
            m_pipe->space.notify_one();
        if (halfClose) {
            m_pipe->halfCloseNs.store(nowNs());
            m_pipe->setPhase(UploadProgress::Phase::Finishing);
            m_record->note(CallTraceEntry::Kind::HalfClosed,
                           QStringLiteral("all data sent (WritesDone): the server stores the file and answers with its SHA-256"));
            StartWritesDone();
            return;
        }
        if (m_first) {
            m_first = false;
            m_chunk.set_upload_id(m_pipe->uploadId);
            m_chunk.set_name(m_pipe->name);
            m_chunk.set_size(m_pipe->size);
            m_chunk.set_offset(m_pipe->offset.load());
            m_chunk.set_probe_id(m_pipe->probeId);
            m_record->note(CallTraceEntry::Kind::Note,
                           QStringLiteral("first chunk: upload_id=%1, name=\"%2\", size=%3, offset=%4")
                               .arg(QString::fromStdString(m_pipe->uploadId), QString::fromStdString(m_pipe->name))
                               .arg(m_pipe->size)
                               .arg(m_pipe->offset.load()));
        } else if (m_secondPending) {
            // The metadata rides on the first chunk only.
            m_secondPending = false;
            m_chunk.clear_upload_id();
            m_chunk.clear_name();
            m_chunk.clear_size();
            m_chunk.clear_offset();
            m_chunk.clear_probe_id();
        }
        m_inFlightData = qint64(data.size());
        m_chunk.set_server_read_delay_ms(m_pipe->delayMs.load(std::memory_order_relaxed));
        m_frame = ChunkFrame::encode(m_chunk, data);
        m_inFlightMessage = qint64(m_frame.Length());
        m_pipe->writeStartNs.store(nowNs());
        StartWrite(&m_frame);
    }

    void OnWriteDone(bool ok) override
    {
        const qint64 tookNs = nowNs() - m_pipe->writeStartNs.exchange(0);
        if (ok) {
            m_pipe->acked.fetch_add(m_inFlightData);
            m_pipe->chunks.fetch_add(1);
            m_pipe->lastWriteNs.store(tookNs);
            raiseMax(m_pipe->maxWriteNs, tookNs);
            m_pipe->blockedNs.fetch_add(tookNs);
            m_record->noteSent(m_inFlightMessage);
            if (double(tookNs) / 1e6 >= kStallNoteMs && m_pipe->slowWrites.fetch_add(1) == 0)
                m_record->note(CallTraceEntry::Kind::Note,
                               QStringLiteral("a write waited %1 ms for flow control: the server is not reading")
                                   .arg(double(tookNs) / 1e6, 0, 'f', 0));
        }
        {
            std::lock_guard<std::mutex> lock(m_pipe->mutex);
            m_pipe->busy = false;
            if (!ok)
                m_pipe->stopped = true;   // the call is ending: OnDone tells why
        }
        if (!ok) {
            m_pipe->space.notify_all();
            return;
        }
        pump();
    }

    void OnWritesDoneDone(bool /*ok*/) override
    {
        std::lock_guard<std::mutex> lock(m_pipe->mutex);
        m_pipe->busy = false;
    }

    void OnReadDone(bool ok) override { m_gotResult = ok; }

    void OnDone(const grpc::Status& callStatus) override
    {
        // What the generated client-streaming stub says when a server ends
        // the call with OK but no answer.
        const grpc::Status status = callStatus.ok() && !m_gotResult
            ? grpc::Status(grpc::StatusCode::INTERNAL, "the server ended the upload without its result")
            : callStatus;
        m_pipe->endNs.store(nowNs());
        const qint64 slow = m_pipe->slowWrites.load();
        if (slow > 0)
            m_record->note(CallTraceEntry::Kind::Note,
                           QStringLiteral("%1 write(s) waited over %2 ms for flow control; the longest %3 ms")
                               .arg(slow)
                               .arg(kStallNoteMs, 0, 'f', 0)
                               .arg(double(m_pipe->maxWriteNs.load()) / 1e6, 0, 'f', 0));
        {
            std::lock_guard<std::mutex> lock(m_pipe->mutex);
            m_pipe->stopped = true;
            if (status.ok()) {
                m_pipe->hasResult = true;
                m_pipe->result = m_result;
            }
        }
        m_pipe->space.notify_all();
        m_pipe->setPhase(UploadProgress::Phase::Done);
        if (status.ok())
            m_record->noteReceived(qint64(m_result.ByteSizeLong()));
        m_record->finish(status);
        delete this;
    }

private:
    std::shared_ptr<Pipe> m_pipe;
    std::shared_ptr<CallRecord> m_record;
    ChunkStub m_stub;
    Chunk m_chunk;                // the fields other than data: metadata (first chunk), read delay
    grpc::ByteBuffer m_frame;     // the write in flight
    UploadResult m_result;
    bool m_gotResult = false;
    qint64 m_inFlightData = 0;
    qint64 m_inFlightMessage = 0;
    bool m_first = true;
    bool m_secondPending = true;
};

// Ends a call that never reached UploadChunks (or was stopped before it).
void finishBeforeCall(Pipe& pipe, const grpc::Status& status)
{
    pipe.endNs.store(nowNs());
    {
        std::lock_guard<std::mutex> lock(pipe.mutex);
        pipe.stopped = true;
    }
    pipe.setPhase(UploadProgress::Phase::Done);
    pipe.record->finish(status);
}

// Reads exactly `size` bytes (fewer only at the end of the file); false on a read error.
bool readFully(QFile& file, char* data, qint64 size, qint64* got)
{
    *got = 0;
    while (*got < size) {
        const qint64 n = file.read(data + *got, size - *got);
        if (n < 0)
            return false;
        if (n == 0)
            break;
        *got += n;
    }
    return true;
}

// The reader thread: resume offset, hash of the held part, then the rest of
// the file chunk by chunk into the queue.
void readerMain(std::shared_ptr<Pipe> pipe)
{
    WorkerPriority::lowerCurrentThread();   // started from the GUI thread: not at its priority
    CallRecord& record = *pipe->record;
    const auto cancelled = grpc::Status(grpc::StatusCode::CANCELLED, "cancelled before any data was sent");
    qint64 offset = 0;

    if (pipe->resume) {
        pipe->setPhase(UploadProgress::Phase::Preparing);
        grpc::ClientContext context;
        {
            std::lock_guard<std::mutex> lock(pipe->mutex);
            pipe->statusContext = &context;
            if (pipe->stopped)
                context.TryCancel();
        }
        const UploadStatusReply reply = UploadAdmin::fetchStatus(pipe->connection, QString::fromStdString(pipe->uploadId),
                                                                 UploadAdmin::kDeadlineMs, &context);
        {
            std::lock_guard<std::mutex> lock(pipe->mutex);
            pipe->statusContext = nullptr;
        }
        if (pipe->isStopped()) {
            finishBeforeCall(*pipe, cancelled);
            return;
        }
        if (!reply.status.ok()) {
            record.note(CallTraceEntry::Kind::Note, QStringLiteral("GetUploadStatus failed: %1").arg(reply.status.text));
            finishBeforeCall(*pipe, grpc::Status(grpc::StatusCode(reply.status.code),
                                                 "asking for the resume offset (GetUploadStatus): " + reply.status.serverMessage.toStdString()));
            return;
        }
        const UploadServerState& held = reply.state;
        if (held.completed) {
            record.note(CallTraceEntry::Kind::Note, QStringLiteral("GetUploadStatus: already stored as %1").arg(held.storedName));
            finishBeforeCall(*pipe, grpc::Status(grpc::StatusCode::ALREADY_EXISTS,
                                                 "upload '" + pipe->uploadId + "' is already stored as " + held.storedName.toStdString()));
            return;
        }
        if (held.exists && held.offset > pipe->size) {
            pipe->stop(QObject::tr("The server holds %1 of this upload but the file has only %2: it is not the same file. Start a new upload.")
                           .arg(formatBytes(held.offset), formatBytes(pipe->size)));
            finishBeforeCall(*pipe, grpc::Status(grpc::StatusCode::CANCELLED, "the server holds more than the file has"));
            return;
        }
        offset = held.exists ? held.offset : 0;
        record.note(CallTraceEntry::Kind::Note,
                    held.exists ? QStringLiteral("GetUploadStatus: the server holds %1 bytes; sending the remaining %2")
                                      .arg(held.offset)
                                      .arg(pipe->size - held.offset)
                                : QStringLiteral("GetUploadStatus: the server holds nothing of this upload; sending it all"));
    }

    QFile file(pipe->path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Unbuffered)) {
        pipe->stop(QObject::tr("Cannot read %1: %2").arg(pipe->path, file.errorString()));
        finishBeforeCall(*pipe, grpc::Status(grpc::StatusCode::CANCELLED, "the file could not be read"));
        return;
    }
    const QFileInfo info(pipe->path);
    if (file.size() != pipe->size || info.lastModified().toMSecsSinceEpoch() != pipe->modifiedMs) {
        pipe->stop(QObject::tr("%1 changed after the upload was started; start it again.").arg(pipe->path));
        finishBeforeCall(*pipe, grpc::Status(grpc::StatusCode::CANCELLED, "the file changed"));
        return;
    }

    // The SHA-256 covers the whole file: first the part the server holds.
    Sha256 hash;
    if (offset > 0) {
        pipe->setPhase(UploadProgress::Phase::Hashing);
        const qint64 started = nowNs();
        std::string block(size_t(std::min(kHashBlockBytes, offset)), '\0');
        qint64 done = 0;
        while (done < offset) {
            if (pipe->isStopped()) {
                finishBeforeCall(*pipe, cancelled);
                return;
            }
            qint64 got = 0;
            const qint64 want = std::min<qint64>(qint64(block.size()), offset - done);
            if (!readFully(file, block.data(), want, &got) || got != want) {
                pipe->stop(got != want && file.error() == QFile::NoError
                               ? QObject::tr("%1 got shorter while it was being read.").arg(pipe->path)
                               : QObject::tr("Cannot read %1: %2").arg(pipe->path, file.errorString()));
                finishBeforeCall(*pipe, grpc::Status(grpc::StatusCode::CANCELLED, "the file could not be read"));
                return;
            }
            hash.add(block.data(), size_t(got));
            done += got;
            pipe->hashed.store(done);
        }
        record.note(CallTraceEntry::Kind::Note, QStringLiteral("hashed the %1 bytes the server holds in %2 ms")
                                                    .arg(offset)
                                                    .arg(double(nowNs() - started) / 1e6, 0, 'f', 0));
    }
    if (pipe->isStopped()) {
        finishBeforeCall(*pipe, cancelled);
        return;
    }

    pipe->offset.store(offset);
    pipe->sendStartNs.store(nowNs());
    pipe->setPhase(UploadProgress::Phase::Sending);
    auto* reactor = new UploadReactor(pipe);
    reactor->begin();

    const qint64 chunkSize = pipe->chunkSize;
    qint64 position = offset;
    QString failure;
    for (;;) {
        {
            std::unique_lock<std::mutex> lock(pipe->mutex);
            while (!pipe->stopped && !pipe->queue.empty() && pipe->queuedBytes + size_t(chunkSize) > pipe->maxQueuedBytes) {
                pipe->readerWaiting = true;
                pipe->space.wait(lock, [&] { return pipe->stopped || pipe->queuedBytes <= pipe->lowWaterBytes; });
                pipe->readerWaiting = false;
            }
            if (pipe->stopped)
                break;
        }
        const qint64 want = std::min(chunkSize, pipe->size - position);
        char* bytes = nullptr;
        grpc::Slice data = pipe->buffers->take(size_t(want), &bytes);
        qint64 got = 0;
        if (!readFully(file, bytes, want, &got)) {
            failure = QObject::tr("Cannot read %1: %2").arg(pipe->path, file.errorString());
            break;
        }
        if (got != want) {
            failure = QObject::tr("%1 got shorter while it was being uploaded (%2 of %3 read).")
                          .arg(pipe->path, formatBytes(position + got), formatBytes(pipe->size));
            break;
        }
        hash.add(bytes, data.size());
        position += want;
        const bool last = position >= pipe->size;
        {
            std::lock_guard<std::mutex> lock(pipe->mutex);
            if (pipe->stopped)
                break;
            if (last) {
                pipe->clientSha256 = hash.hexDigest();
                pipe->eof = true;
            }
            pipe->queuedBytes += data.size();
            pipe->queue.push_back(std::move(data));
        }
        reactor->pump();
        if (last)
            break;
    }
    if (!failure.isEmpty()) {
        pipe->stop(failure);
        record.note(CallTraceEntry::Kind::Note, failure);
        record.cancel();
    } else {
        reactor->pump();   // a write slot freed while this thread was finishing
    }
    reactor->releaseReader();
}

} // namespace

UploadCall::UploadCall(Connection* connection, QObject* parent) : StreamCall(connection, parent)
{
    qRegisterMetaType<streamlab::UploadProgress>();
    qRegisterMetaType<streamlab::UploadOutcome>();
}

UploadCall::~UploadCall()
{
    if (m_pipe) {
        m_pipe->stop();
        if (m_pipe->record)
            m_pipe->record->cancel();
    }
    joinReader();
}

QString UploadCall::newUploadId() { return QUuid::createUuid().toString(QUuid::WithoutBraces); }

void UploadCall::joinReader()
{
    if (m_reader.joinable())
        m_reader.join();
}

bool UploadCall::start(const UploadRequest& request, QString* error)
{
    auto refuse = [error](const QString& message) {
        if (error)
            *error = message;
        return false;
    };
    if (active())
        return refuse(tr("An upload is already running."));
    if (request.filePath.isEmpty())
        return refuse(tr("Choose a file to upload first."));
    if (request.chunkSize < 1 || request.chunkSize > kMaxChunkSize)
        return refuse(tr("The chunk size must be between 1 byte and %1 (gRPC's 4 MiB message limit).")
                          .arg(QLocale().formattedDataSize(kMaxChunkSize, 2, QLocale::DataSizeIecFormat)));
    if (request.name.toUtf8().size() > kMaxNameBytes)
        return refuse(tr("The upload's name is %1 bytes long in UTF-8; it can be at most %2 bytes.")
                          .arg(request.name.toUtf8().size()).arg(kMaxNameBytes));
    if (request.uploadId.toUtf8().size() > kMaxUploadIdBytes)
        return refuse(tr("The upload id is %1 bytes long; the server takes at most %2.")
                          .arg(request.uploadId.toUtf8().size()).arg(kMaxUploadIdBytes));
    const QFileInfo info(request.filePath);
    if (!info.exists())
        return refuse(tr("%1 does not exist.").arg(QDir::toNativeSeparators(request.filePath)));
    if (info.isDir())
        return refuse(tr("%1 is a folder: choose a file.").arg(QDir::toNativeSeparators(request.filePath)));
    if (!info.isFile())
        return refuse(tr("%1 is not a regular file.").arg(QDir::toNativeSeparators(request.filePath)));
    {
        QFile probe(request.filePath);
        if (!probe.open(QIODevice::ReadOnly))
            return refuse(tr("Cannot read %1: %2").arg(QDir::toNativeSeparators(request.filePath), probe.errorString()));
    }
    const auto channel = connection()->channel();
    if (!channel)
        return refuse(tr("Not connected to a server."));

    joinReader();   // the previous upload's reader has ended (its call has finished)
    m_uploadId = request.uploadId.isEmpty() ? newUploadId() : request.uploadId;
    m_fileName = request.name.isEmpty() ? info.fileName() : request.name;

    auto pipe = std::make_shared<Pipe>();
    pipe->connection = connection();
    pipe->channel = channel;
    pipe->path = info.absoluteFilePath();
    pipe->uploadId = m_uploadId.toStdString();
    pipe->name = m_fileName.toStdString();
    pipe->probeId = "upload-" + QUuid::createUuid().toString(QUuid::Id128).left(12).toStdString();
    pipe->size = info.size();
    pipe->modifiedMs = info.lastModified().toMSecsSinceEpoch();
    pipe->chunkSize = request.chunkSize;
    pipe->resume = request.resume;
    pipe->maxQueuedBytes = std::max(kQueueBudgetBytes, size_t(request.chunkSize) * 2);
    pipe->lowWaterBytes = pipe->maxQueuedBytes / 2;
    // Enough for a full queue and the writes gRPC still holds, or for the whole file.
    const qint64 chunksInFile = (pipe->size + request.chunkSize - 1) / request.chunkSize;
    pipe->buffers = ChunkBufferPool::create(size_t(request.chunkSize),
                                            size_t(std::min<qint64>(qint64(pipe->maxQueuedBytes) / request.chunkSize + 4, chunksInFile + 1)));
    pipe->delayMs.store(std::min(request.serverReadDelayMs, kMaxServerReadDelayMs));
    pipe->setPhase(request.resume ? UploadProgress::Phase::Preparing : UploadProgress::Phase::Sending);
    m_pipe = pipe;

    m_progress = UploadProgress{};
    m_progress.phase = UploadProgress::Phase(pipe->phase.load());
    m_progress.totalBytes = pipe->size;
    m_outcome = UploadOutcome{};
    m_outcomeBuilt = false;
    m_meter = UploadProgressMeter{};
    m_meterStarted = false;
    m_lastEmitMs = -1;
    m_clock.start();

    // Every upload has a deadline; a slow server (read delay) may make it long.
    pipe->record = beginCall(QStringLiteral("UploadChunks"), kOpenStreamDeadlineMs);
    pipe->record->note(CallTraceEntry::Kind::Note,
                       QStringLiteral("%1 \"%2\" (%3 bytes) in chunks of %4 bytes, upload_id %5")
                           .arg(request.resume ? QStringLiteral("resuming") : QStringLiteral("uploading"), m_fileName)
                           .arg(pipe->size)
                           .arg(request.chunkSize)
                           .arg(m_uploadId));
    m_reader = std::thread(readerMain, pipe);
    pthread_setname_np(m_reader.native_handle(), "upload-reader");   // as top and perf show it
    Q_EMIT progressChanged(m_progress);
    return true;
}

void UploadCall::setServerReadDelay(quint32 ms)
{
    if (m_pipe)
        m_pipe->delayMs.store(std::min(ms, kMaxServerReadDelayMs));
}

void UploadCall::cancel()
{
    if (m_pipe && active())
        m_pipe->stop();
    StreamCall::cancel();
}

void UploadCall::onFrame()
{
    // The outcome is built in the frame that first sees the call finished, so
    // its timeline line goes out with that frame's trace.
    if (!m_outcomeBuilt && record()) {
        if (const auto status = record()->status())
            buildOutcome(*status);
    }
    updateProgress(false);
}

void UploadCall::updateProgress(bool force)
{
    if (!m_pipe)
        return;
    Pipe& pipe = *m_pipe;
    const qint64 now = m_clock.elapsed();
    const auto phase = UploadProgress::Phase(pipe.phase.load());
    const qint64 offset = pipe.offset.load();
    const qint64 sent = offset + pipe.acked.load();
    if (!m_meterStarted && phase >= UploadProgress::Phase::Sending) {
        m_meter.start(pipe.size, offset, now);
        m_meterStarted = true;
    }
    if (m_meterStarted)
        m_meter.update(sent, now);
    if (!force && m_lastEmitMs >= 0 && now - m_lastEmitMs < kProgressIntervalMs)
        return;
    m_lastEmitMs = now;

    UploadProgress p;
    p.phase = phase;
    p.totalBytes = pipe.size;
    p.resumedFrom = offset;
    p.sentBytes = sent;
    p.hashedBytes = pipe.hashed.load();
    p.chunksSent = pipe.chunks.load();
    p.elapsedMs = double(m_clock.nsecsElapsed()) / 1e6;
    if (m_meterStarted && phase != UploadProgress::Phase::Done) {
        p.bytesPerSecond = m_meter.bytesPerSecond(now);
        p.etaSeconds = m_meter.etaSeconds(now);
    }
    const qint64 pendingSince = pipe.writeStartNs.load();
    p.writePending = pendingSince != 0 && phase != UploadProgress::Phase::Done;
    p.currentWriteMs = p.writePending ? std::max(0.0, double(nowNs() - pendingSince) / 1e6) : 0;
    p.lastWriteMs = double(pipe.lastWriteNs.load()) / 1e6;
    p.maxWriteMs = double(pipe.maxWriteNs.load()) / 1e6;
    p.blockedMs = double(pipe.blockedNs.load()) / 1e6;
    m_progress = p;
    Q_EMIT progressChanged(p);
}

void UploadCall::onFinished(const CallStatus& status)
{
    if (!m_outcomeBuilt)
        buildOutcome(status);
    updateProgress(true);
    Q_EMIT uploadFinished(m_outcome);
}

void UploadCall::buildOutcome(const CallStatus& status)
{
    m_outcomeBuilt = true;
    Pipe& pipe = *m_pipe;
    UploadOutcome outcome;
    outcome.status = status;
    outcome.uploadId = m_uploadId;
    outcome.fileName = m_fileName;
    outcome.totalBytes = pipe.size;
    outcome.resumedFrom = pipe.offset.load();
    outcome.sentBytes = outcome.resumedFrom + pipe.acked.load();
    outcome.maxWriteMs = double(pipe.maxWriteNs.load()) / 1e6;
    const qint64 sendStart = pipe.sendStartNs.load();
    if (sendStart)
        outcome.sendingMs = double(pipe.endNs.load() - sendStart) / 1e6;
    const qint64 halfClose = pipe.halfCloseNs.load();
    if (sendStart && halfClose)
        outcome.writingMs = double(halfClose - sendStart) / 1e6;
    {
        std::lock_guard<std::mutex> lock(pipe.mutex);
        outcome.localError = pipe.localError;
        outcome.clientSha256 = QString::fromStdString(pipe.clientSha256);
        if (pipe.hasResult) {
            outcome.hasResult = true;
            outcome.bytesReceived = pipe.result.bytes_received();
            outcome.storedSize = pipe.result.size();
            outcome.storedName = QString::fromStdString(pipe.result.stored_name());
            outcome.serverSha256 = QString::fromStdString(pipe.result.sha256());
            outcome.resumedFrom = pipe.result.resumed_from();
        }
    }
    if (outcome.hasResult && !outcome.clientSha256.isEmpty()) {
        pipe.record->note(CallTraceEntry::Kind::Note,
                          outcome.hashesMatch() ? QStringLiteral("SHA-256 match: %1").arg(outcome.serverSha256)
                                                : QStringLiteral("SHA-256 MISMATCH: server %1, client %2")
                                                      .arg(outcome.serverSha256, outcome.clientSha256));
    }
    m_outcome = outcome;
}

} // namespace streamlab
