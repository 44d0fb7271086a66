#pragma once
// The unary call object: GetUser on a worker thread (QtConcurrent), its result
// or status back on the GUI thread through a QFutureWatcher, as Qt values.
// "Repeat" runs N lookups back to back on the worker and reports latency
// percentiles as it goes.

#include "CallStatus.h"
#include "CallTrace.h"

#include <QDateTime>
#include <QFutureWatcher>
#include <QObject>

#include <atomic>
#include <memory>

namespace grpc {
class ClientContext;
}

namespace streamlab {

class Connection;

struct UserInfo {
    QString id;
    QString name;
    QString email;
    QString username;
    QString company;
    QString jobTitle;
    QString city;
    QString country;
    QString phone;
    QDateTime createdAt;
};

struct LookupResult {
    CallStatus status;
    bool hasUser = false;
    UserInfo user;
    QList<CallTraceEntry> trace;
};

struct LatencyStats {
    int done = 0;
    int total = 0;
    int errors = 0;
    double p50Ms = 0;
    double p99Ms = 0;
    double minMs = 0;
    double maxMs = 0;
    double elapsedMs = 0;  // the whole run so far
    QString lastError;   // the last failure's text, when errors > 0
};

class UserLookup : public QObject {
    Q_OBJECT
public:
    explicit UserLookup(Connection* connection, QObject* parent = nullptr);
    ~UserLookup() override;

    // One GetUser. `serverDelayMs` asks the server to answer late (to explore deadlines).
    void lookup(const QString& id, qint64 deadlineMs, qint64 serverDelayMs = 0);
    // N lookups of the same id, one after another.
    void repeat(const QString& id, int count, qint64 deadlineMs);
    void cancel();
    bool busy() const;

    // The blocking call itself; public for the bench and tests (worker threads only).
    static LookupResult callGetUser(Connection* connection, const QString& id, qint64 deadlineMs, qint64 serverDelayMs,
                                    grpc::ClientContext* context);

Q_SIGNALS:
    void started(const QString& method);
    void finished(const streamlab::LookupResult& result);
    void repeatProgress(const streamlab::LatencyStats& stats);
    void repeatFinished(const streamlab::LatencyStats& stats);

private:
    struct Job;
    Connection* m_connection;
    std::shared_ptr<Job> m_job;
    QFutureWatcher<LookupResult> m_lookupWatcher;
    QFutureWatcher<LatencyStats> m_repeatWatcher;
};

// p-th percentile (0..100) of sorted values, nearest-rank.
double percentile(const std::vector<double>& sorted, double p);

} // namespace streamlab

Q_DECLARE_METATYPE(streamlab::LookupResult)
Q_DECLARE_METATYPE(streamlab::LatencyStats)
