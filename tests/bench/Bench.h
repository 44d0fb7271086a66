#pragma once
// streamlab-bench: each scenario measures the app's own path and a bare grpc++
// baseline doing the same work against the same server in the same run,
// alternating runs and reporting medians. Scenarios register themselves (one
// .cpp each) with STREAMLAB_BENCH_SCENARIO.

#include "EmbeddedServer.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QTemporaryDir>
#include <QTimer>

#include <grpcpp/channel.h>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace streamlab::bench {

struct Result {
    QString scenario;
    QString unit;
    double app = 0;
    double baseline = 0;
    bool higherIsBetter = true;
    std::optional<double> guiMaxGapMs;
    std::optional<double> rssMb;
    QJsonObject extra;   // more figures (p99, sizes, counts, ...)
};

struct Options {
    int runs = 5;        // per side, alternating
    bool quick = false;  // smaller workloads (smoke test in CTest)
};

// The server every scenario talks to: in this process, loopback, ephemeral port.
class Environment {
public:
    Environment();
    ~Environment();
    bool start(QString* error);
    std::string address() const;
    server::EmbeddedServer& server() { return *m_server; }
    std::shared_ptr<grpc::Channel> newChannel() const;   // a fresh bare channel (own TCP connection)

private:
    QTemporaryDir m_dir;
    std::unique_ptr<server::EmbeddedServer> m_server;
};

struct Scenario {
    QString name;
    QString description;
    std::function<QList<Result>(Environment&, const Options&)> run;
};

std::vector<Scenario>& scenarios();
struct Registrar {
    explicit Registrar(Scenario scenario) { scenarios().push_back(std::move(scenario)); }
};
#define STREAMLAB_BENCH_SCENARIO(id, ...) static ::streamlab::bench::Registrar id##_registrar(::streamlab::bench::Scenario{__VA_ARGS__})

double median(std::vector<double> values);
double percentileOf(std::vector<double> values, double p);

// A latency scenario: `runs` alternating samples of the app's path (which
// also reports its largest GUI gap) and the baseline, each a list of
// latencies in µs. The result: medians of the per-run p50s (app, baseline)
// and p99s (extra app_p99_us, baseline_p99_us), the largest GUI gap, and
// "runs". Empty when a run failed (an empty sample).
std::optional<Result> compareLatencies(const QString& scenario, int runs,
                                       const std::function<std::vector<double>(double* guiGapMs)>& appRun,
                                       const std::function<std::vector<double>()>& baselineRun);
// `streamlab-bench --upload-client ADDRESS,CHUNK,FILE`: one upload through
// UploadCall in this (fresh) process, for the upload scenario's memory
// figure; prints one JSON line, returns the exit code.
int runUploadClient(const QString& spec);

// Resident set size of this process now, in MB.
double currentRssMb();
double peakRssMb();
// CPU time the hypervisor took from this (virtual) machine since boot, all
// CPUs together, in ms ("steal" in /proc/stat; 0 where not reported). A
// difference over a run says how much of it the machine was not running.
double hostStealMs();

// The GUI thread's longest single event dispatch since the last reset, and
// what it was ("streamlab::UploadCall MetaCall"): for a long gap in which the
// GUI thread itself was busy. BenchApplication (main.cpp) feeds it.
struct SlowestGuiEvent {
    double ms = 0;
    QString what;
};
void resetSlowestGuiEvent();
SlowestGuiEvent slowestGuiEvent();
struct GuiEventName {
    const char* receiverClass = nullptr;
    int eventType = 0;
    int timerIntervalMs = -1;               // a QTimer's
    const char* timerOwnerClass = nullptr;  // a QTimer's parent's
};
void noteGuiEvent(double ms, const GuiEventName& name);

// Measures how responsive the GUI thread's event loop stays: a 5 ms precise
// timer notes the largest gap between its ticks while running.
class GuiGapMeter {
public:
    GuiGapMeter();
    void start();
    void stop();
    double maxGapMs() const { return m_maxGapMs; }

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_lastNs = 0;
    double m_maxGapMs = 0;
};

// Runs the event loop until `done()` or the timeout; false on timeout.
bool spinUntil(const std::function<bool()>& done, int timeoutMs);

} // namespace streamlab::bench
