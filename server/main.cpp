// streamlab-server: the Streamlab server without the app.
#include "EmbeddedServer.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QStandardPaths>

#include <csignal>
#include <cstdio>
#include <mutex>
#include <pthread.h>

using streamlab::server::EmbeddedServer;
using streamlab::server::ServerConfig;

int main(int argc, char* argv[])
{
    // Block SIGINT/SIGTERM before any thread exists, so every thread inherits
    // the mask and main can wait for them with sigwait.
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGINT);
    sigaddset(&stopSignals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

    QCoreApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("Streamlab"));
    QCoreApplication::setApplicationName(QStringLiteral("streamlab"));
    QCoreApplication::setApplicationVersion(QStringLiteral(STREAMLAB_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("The Streamlab gRPC server (StreamingExamples, FlowLab, ServerAdmin, health, reflection)."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption listen(QStringLiteral("listen"), QStringLiteral("Address to listen on (port 0: any free port)."),
                                    QStringLiteral("HOST:PORT"), QStringLiteral("127.0.0.1:50051"));
    const QCommandLineOption dataDir(QStringLiteral("data-dir"), QStringLiteral("Directory for the database and uploads."),
                                     QStringLiteral("DIR"),
                                     QStandardPaths::writableLocation(QStandardPaths::AppDataLocation));
    const QCommandLineOption eventRate(QStringLiteral("event-rate"), QStringLiteral("Live events per second while someone follows."),
                                       QStringLiteral("N"), QStringLiteral("3"));
    const QCommandLineOption uploadCap(QStringLiteral("upload-cap-mb"), QStringLiteral("Largest upload accepted, in MiB."),
                                       QStringLiteral("MIB"), QStringLiteral("4096"));
    const QCommandLineOption quiet(QStringLiteral("quiet"), QStringLiteral("No log line per call."));
    const QCommandLineOption tokenFile(QStringLiteral("token-file"),
                                       QStringLiteral("Require the token in FILE (first line) from every client as "
                                                      "\"authorization: Bearer <token>\". STREAMLAB_TOKEN does the same."),
                                       QStringLiteral("FILE"));
    parser.addOptions({listen, dataDir, eventRate, uploadCap, quiet, tokenFile});
    parser.process(app);

    ServerConfig config;
    config.listenAddress = parser.value(listen).toStdString();
    config.dataDir = QDir(parser.value(dataDir)).absolutePath().toStdString();
    bool ok = false;
    config.eventRatePerSecond = parser.value(eventRate).toDouble(&ok);
    if (!ok || config.eventRatePerSecond < 0 || config.eventRatePerSecond > 100000) {
        std::fprintf(stderr, "streamlab-server: --event-rate must be a number from 0 to 100000\n");
        return 2;
    }
    const qint64 capMiB = parser.value(uploadCap).toLongLong(&ok);
    if (!ok || capMiB < 1) {
        std::fprintf(stderr, "streamlab-server: --upload-cap-mb must be a positive number\n");
        return 2;
    }
    config.uploadCapBytes = capMiB << 20;
    // The token comes from a file or the environment, never the command line
    // (other users can read a process's arguments).
    QByteArray token = qgetenv("STREAMLAB_TOKEN");
    if (parser.isSet(tokenFile)) {
        QFile file(parser.value(tokenFile));
        if (!file.open(QIODevice::ReadOnly)) {
            std::fprintf(stderr, "streamlab-server: cannot read the token file %s: %s\n", qPrintable(file.fileName()),
                         qPrintable(file.errorString()));
            return 2;
        }
        token = file.readLine();
    }
    config.authToken = token.trimmed().toStdString();
    static std::mutex logMutex;
    auto log = [](const std::string& line) {
        const QByteArray time = QDateTime::currentDateTime().toString(Qt::ISODateWithMs).toUtf8();
        std::lock_guard<std::mutex> lock(logMutex);
        std::fprintf(stderr, "%s %s\n", time.constData(), line.c_str());
    };
    if (!parser.isSet(quiet))
        config.log = log;

    EmbeddedServer server(config);
    std::string error;
    if (!server.start(&error)) {
        std::fprintf(stderr, "streamlab-server: %s\n", error.c_str());
        return 1;
    }
    log("streamlab-server " STREAMLAB_VERSION " ready on " + server.address() + " in "
        + std::to_string(int(server.startSeconds() * 1000)) + " ms" + (server.seededOnStart() ? " (new data dir, seeded)" : "")
        + (config.authToken.empty() ? "" : ", token required"));

    int signal = 0;
    sigwait(&stopSignals, &signal);
    log(std::string("received ") + (signal == SIGINT ? "SIGINT" : "SIGTERM") + ", stopping");
    server.stop();
    return 0;
}
