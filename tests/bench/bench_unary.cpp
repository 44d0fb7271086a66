// Scenario "unary": GetUser latency through the app's call object (worker
// thread → QFutureWatcher → signal on the GUI thread) against a bare stub
// calling GetUser in a loop on its own thread.
#include "Bench.h"

#include "Connection.h"
#include "UserLookup.h"
#include "WorkerPriority.h"
#include "streaming_examples.grpc.pb.h"

#include <QElapsedTimer>

#include <thread>

namespace streamlab::bench {

namespace {

std::vector<double> appLatencies(Connection& connection, int calls, double* guiGapMs)
{
    UserLookup lookup(&connection);
    std::vector<double> latencies;
    latencies.reserve(size_t(calls));
    QElapsedTimer clock;
    bool failed = false;
    QObject::connect(&lookup, &UserLookup::finished, [&](const LookupResult& result) {
        if (!result.status.ok())
            failed = true;
        latencies.push_back(double(clock.nsecsElapsed()) / 1e3);
    });
    GuiGapMeter gaps;
    gaps.start();
    for (int i = 0; i < calls && !failed; ++i) {
        const size_t before = latencies.size();
        clock.start();
        lookup.lookup(QStringLiteral("42"), 5000);
        spinUntil([&] { return latencies.size() > before; }, 10000);
    }
    gaps.stop();
    *guiGapMs = gaps.maxGapMs();
    if (failed)
        latencies.clear();
    return latencies;
}

std::vector<double> baselineLatencies(const std::shared_ptr<grpc::Channel>& channel, int calls)
{
    std::vector<double> latencies;
    latencies.reserve(size_t(calls));
    std::thread worker([&] {
        WorkerPriority::lowerCurrentThread();   // a worker, as the app's own are
        auto stub = StreamingExamples::NewStub(channel);
        UserRequest request;
        request.set_id("42");
        for (int i = 0; i < calls; ++i) {
            grpc::ClientContext context;
            context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
            UserResponse response;
            QElapsedTimer clock;
            clock.start();
            if (!stub->GetUser(&context, request, &response).ok()) {
                latencies.clear();
                return;
            }
            latencies.push_back(double(clock.nsecsElapsed()) / 1e3);
        }
    });
    worker.join();
    return latencies;
}

QList<Result> runUnary(Environment& env, const Options& options)
{
    const int calls = options.quick ? 50 : 1000;
    Connection connection;
    QString error;
    connection.connectTo(QString::fromStdString(env.address()), &error);
    auto bare = env.newChannel();
    // Warm both paths up (connections, thread pool) before measuring.
    double ignored = 0;
    appLatencies(connection, 20, &ignored);
    baselineLatencies(bare, 20);

    auto result = compareLatencies(
        QStringLiteral("unary"), options.runs, [&](double* gap) { return appLatencies(connection, calls, gap); },
        [&] { return baselineLatencies(bare, calls); });
    if (!result)
        return {};
    result->extra.insert(QStringLiteral("calls_per_run"), calls);
    return {*result};
}

} // namespace

STREAMLAB_BENCH_SCENARIO(unary, QStringLiteral("unary"),
                         QStringLiteral("GetUser p50/p99 latency: UserLookup (QtConcurrent + signal) vs a bare stub"), runUnary);

} // namespace streamlab::bench
