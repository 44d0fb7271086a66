// streamlab-bench [--scenario NAME]... [--json] [--runs N] [--quick] [--list]
#include "Bench.h"
#include "WorkerPriority.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QTextStream>
#include <QThread>
#include <QTimer>

#include <cstdio>

using namespace streamlab::bench;

namespace {

// Times every event the GUI thread dispatches (slowestGuiEvent()), so a long
// GUI gap with the GUI thread's own CPU in it can be told apart: which
// receiver, which event. Nested dispatches count inside their outer one.
class BenchApplication : public QApplication {
public:
    using QApplication::QApplication;
    bool notify(QObject* receiver, QEvent* event) override
    {
        if (QThread::currentThread() != thread())
            return QApplication::notify(receiver, event);
        // Read before dispatching: either may be gone after it.
        // (Names only, no string building: this runs for every event.)
        GuiEventName name;
        name.receiverClass = receiver->metaObject()->className();
        name.eventType = event->type();
        // A timer says little by itself: its interval and its owner's class tell which one.
        if (auto* timer = qobject_cast<QTimer*>(receiver)) {
            name.timerIntervalMs = timer->interval();
            name.timerOwnerClass = timer->parent() ? timer->parent()->metaObject()->className() : nullptr;
        }
        QElapsedTimer clock;
        clock.start();
        const bool handled = QApplication::notify(receiver, event);
        noteGuiEvent(double(clock.nsecsElapsed()) / 1e6, name);
        return handled;
    }
};

} // namespace

int main(int argc, char* argv[])
{
    // The app's pipelines run under a real Qt event loop; no display needed.
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    BenchApplication app(argc, argv);
    // As the app does (app/main.cpp): the baselines run under it too, on the same gRPC threads.
    streamlab::WorkerPriority workerPriority;
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Streamlab benchmarks: the app's path against a bare grpc++ baseline, same server, same run."));
    parser.addHelpOption();
    const QCommandLineOption scenarioOption(QStringLiteral("scenario"), QStringLiteral("Scenario to run (repeatable; default: all)."), QStringLiteral("NAME"));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("One JSON object per scenario per line."));
    const QCommandLineOption runsOption(QStringLiteral("runs"), QStringLiteral("Runs per side, alternating (default 5)."), QStringLiteral("N"), QStringLiteral("5"));
    const QCommandLineOption quickOption(QStringLiteral("quick"), QStringLiteral("Small workloads (a smoke test, not a measurement)."));
    const QCommandLineOption listOption(QStringLiteral("list"), QStringLiteral("List the scenarios."));
    QCommandLineOption uploadClientOption(QStringLiteral("upload-client"), QStringLiteral("(internal) one upload, for the upload scenario."),
                                          QStringLiteral("ADDRESS,CHUNK,FILE"));
    uploadClientOption.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOptions({scenarioOption, jsonOption, runsOption, quickOption, listOption, uploadClientOption});
    parser.process(app);
    if (parser.isSet(uploadClientOption))
        return runUploadClient(parser.value(uploadClientOption));

    QTextStream out(stdout);
    if (parser.isSet(listOption)) {
        for (const auto& scenario : scenarios())
            out << scenario.name << "\t" << scenario.description << "\n";
        return 0;
    }
    Options options;
    options.runs = std::max(1, parser.value(runsOption).toInt());
    options.quick = parser.isSet(quickOption);
    const QStringList wanted = parser.values(scenarioOption);
    for (const QString& name : wanted) {
        const bool known = std::any_of(scenarios().begin(), scenarios().end(), [&](const Scenario& s) { return s.name == name; });
        if (!known) {
            std::fprintf(stderr, "streamlab-bench: unknown scenario '%s' (see --list)\n", qPrintable(name));
            return 2;
        }
    }

    Environment environment;
    QString error;
    if (!environment.start(&error)) {
        std::fprintf(stderr, "streamlab-bench: the server did not start: %s\n", qPrintable(error));
        return 1;
    }
    const bool json = parser.isSet(jsonOption);
    int failures = 0;
    for (const auto& scenario : scenarios()) {
        if (!wanted.isEmpty() && !wanted.contains(scenario.name))
            continue;
        const QList<Result> results = scenario.run(environment, options);
        if (results.isEmpty())
            ++failures;
        for (const Result& r : results) {
            const double ratio = r.baseline != 0 ? r.app / r.baseline : 0;
            if (json) {
                QJsonObject object = r.extra;
                object.insert(QStringLiteral("scenario"), r.scenario);
                object.insert(QStringLiteral("unit"), r.unit);
                object.insert(QStringLiteral("app"), r.app);
                object.insert(QStringLiteral("baseline"), r.baseline);
                object.insert(QStringLiteral("ratio"), ratio);
                object.insert(QStringLiteral("higher_is_better"), r.higherIsBetter);
                if (r.guiMaxGapMs)
                    object.insert(QStringLiteral("gui_max_gap_ms"), *r.guiMaxGapMs);
                if (r.rssMb)
                    object.insert(QStringLiteral("rss_mb"), *r.rssMb);
                out << QJsonDocument(object).toJson(QJsonDocument::Compact) << "\n";
            } else {
                out << QStringLiteral("%1  app %2 %3 | baseline %4 %3 | app/baseline %5 (%6 is better)")
                           .arg(r.scenario, -12)
                           .arg(r.app, 0, 'f', 2)
                           .arg(r.unit)
                           .arg(r.baseline, 0, 'f', 2)
                           .arg(ratio, 0, 'f', 3)
                           .arg(r.higherIsBetter ? QStringLiteral("higher") : QStringLiteral("lower"));
                if (r.guiMaxGapMs)
                    out << QStringLiteral(" | gui max gap %1 ms").arg(*r.guiMaxGapMs, 0, 'f', 1);
                if (r.rssMb)
                    out << QStringLiteral(" | rss %1 MB").arg(*r.rssMb, 0, 'f', 0);
                for (auto it = r.extra.begin(); it != r.extra.end(); ++it)
                    out << " | " << it.key() << " " << it.value().toVariant().toString();
                out << "\n";
            }
            out.flush();
        }
    }
    return failures ? 1 : 0;
}
