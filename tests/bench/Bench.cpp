#include "Bench.h"

#include <QCoreApplication>
#include <QEvent>
#include <QEventLoop>
#include <QMetaEnum>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>

#include <sys/resource.h>
#include <unistd.h>

namespace streamlab::bench {

std::vector<Scenario>& scenarios()
{
    static std::vector<Scenario> all;
    return all;
}

Environment::Environment() = default;
Environment::~Environment()
{
    if (m_server)
        m_server->stop();
}

bool Environment::start(QString* error)
{
    server::ServerConfig config;
    config.listenAddress = "127.0.0.1:0";
    config.dataDir = m_dir.path().toStdString();
    config.chatRatePerSecond = 1e9;   // the bench floods on purpose
    config.chatRateBurst = 1000000;
    m_server = std::make_unique<server::EmbeddedServer>(config);
    std::string message;
    if (!m_server->start(&message)) {
        *error = QString::fromStdString(message);
        return false;
    }
    return true;
}

std::string Environment::address() const { return m_server->address(); }

std::shared_ptr<grpc::Channel> Environment::newChannel() const
{
    grpc::ChannelArguments args;
    // A channel of its own: without this, channels with equal arguments share a TCP connection.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel(address(), grpc::InsecureChannelCredentials(), args);
}

double median(std::vector<double> values) { return percentileOf(std::move(values), 50); }

double percentileOf(std::vector<double> values, double p)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const size_t rank = size_t(std::ceil(p / 100.0 * double(values.size())));
    return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

std::optional<Result> compareLatencies(const QString& scenario, int runs,
                                       const std::function<std::vector<double>(double* guiGapMs)>& appRun,
                                       const std::function<std::vector<double>()>& baselineRun)
{
    std::vector<double> appP50, appP99, baseP50, baseP99, gaps;
    for (int run = 0; run < runs; ++run) {
        double gap = 0;
        const auto app = appRun(&gap);
        const auto base = baselineRun();
        if (app.empty() || base.empty())
            return std::nullopt;
        appP50.push_back(percentileOf(app, 50));
        appP99.push_back(percentileOf(app, 99));
        baseP50.push_back(percentileOf(base, 50));
        baseP99.push_back(percentileOf(base, 99));
        gaps.push_back(gap);
    }
    Result result;
    result.scenario = scenario;
    result.unit = QStringLiteral("us_p50");
    result.app = median(appP50);
    result.baseline = median(baseP50);
    result.higherIsBetter = false;
    result.guiMaxGapMs = *std::max_element(gaps.begin(), gaps.end());
    result.extra.insert(QStringLiteral("app_p99_us"), median(appP99));
    result.extra.insert(QStringLiteral("baseline_p99_us"), median(baseP99));
    result.extra.insert(QStringLiteral("runs"), runs);
    return result;
}

double currentRssMb()
{
    // statm's second field, resident pages: the kernel's counters and no
    // more (/proc/self/status formats some 60 lines). The upload scenario
    // reads this every 10 ms on the GUI thread, inside the gaps it measures.
    std::ifstream statm("/proc/self/statm");
    unsigned long long size = 0, resident = 0;
    if (!(statm >> size >> resident))
        return 0;
    return double(resident) * double(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

double hostStealMs()
{
    // "cpu  user nice system idle iowait irq softirq steal ...", in clock ticks.
    std::ifstream stat("/proc/stat");
    std::string cpu;
    unsigned long long ticks[8] = {};
    stat >> cpu;
    for (unsigned long long& t : ticks)
        stat >> t;
    if (!stat || cpu != "cpu")
        return 0;
    return double(ticks[7]) * 1000.0 / double(sysconf(_SC_CLK_TCK));
}

double peakRssMb()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_maxrss) / 1024.0;
}

namespace {
// GUI thread only (BenchApplication::notify checks), so no lock.
SlowestGuiEvent g_slowest;
}

void resetSlowestGuiEvent() { g_slowest = SlowestGuiEvent(); }

SlowestGuiEvent slowestGuiEvent() { return g_slowest; }

void noteGuiEvent(double ms, const GuiEventName& name)
{
    if (ms <= g_slowest.ms)
        return;
    g_slowest.ms = ms;
    g_slowest.what = QString::fromLatin1(name.receiverClass);
    if (name.timerIntervalMs >= 0)
        g_slowest.what += QStringLiteral("(%1 ms%2)").arg(name.timerIntervalMs).arg(
            name.timerOwnerClass ? QStringLiteral(", in ") + QString::fromLatin1(name.timerOwnerClass) : QString());
    g_slowest.what += QLatin1Char(' ') + QString::fromLatin1(QMetaEnum::fromType<QEvent::Type>().valueToKey(name.eventType));
}

GuiGapMeter::GuiGapMeter()
{
    m_timer.setTimerType(Qt::PreciseTimer);
    m_timer.setInterval(5);
    QObject::connect(&m_timer, &QTimer::timeout, [this] {
        const qint64 now = m_clock.nsecsElapsed();
        m_maxGapMs = std::max(m_maxGapMs, double(now - m_lastNs) / 1e6);
        m_lastNs = now;
    });
}

void GuiGapMeter::start()
{
    m_maxGapMs = 0;
    m_clock.start();
    m_lastNs = 0;
    m_timer.start();
}

void GuiGapMeter::stop()
{
    // The gap up to now counts too (a blocked loop at the very end).
    const qint64 now = m_clock.nsecsElapsed();
    m_maxGapMs = std::max(m_maxGapMs, double(now - m_lastNs) / 1e6);
    m_timer.stop();
}

bool spinUntil(const std::function<bool()>& done, int timeoutMs)
{
    // processEvents(flags, maxtime) would ignore WaitForMoreEvents and spin a
    // core: block in the loop instead, woken by events or this 10 ms tick.
    QTimer tick;
    tick.start(10);
    QElapsedTimer clock;
    clock.start();
    while (!done()) {
        if (clock.elapsed() > timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents | QEventLoop::WaitForMoreEvents);
    }
    return true;
}

} // namespace streamlab::bench
