// streamlab: the desktop app. Everything lives in the libraries; this only
// reads the command line and shows the window.
#include "MainWindow.h"
#include "StopSignals.h"
#include "WorkerPriority.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QIcon>

#include <csignal>

int main(int argc, char* argv[])
{
    QApplication app(argc, argv);
    // Every thread but this one (gRPC's, the bundled server's, ours) yields
    // to the GUI when the CPUs are busy: see WorkerPriority.h.
    streamlab::WorkerPriority workerPriority;
    // Ctrl+C or SIGTERM closes the window the normal way (settings saved,
    // calls cancelled, the bundled server stopped) and exits with 0.
    streamlab::StopSignals stopSignals;
    QObject::connect(&stopSignals, &streamlab::StopSignals::received, &app, [](int signal) {
        qInfo("streamlab: %s received, closing", signal == SIGINT ? "SIGINT" : "SIGTERM");
        QApplication::closeAllWindows();
        QCoreApplication::quit();
    });
    QApplication::setOrganizationName(QStringLiteral("Streamlab"));
    QApplication::setApplicationName(QStringLiteral("streamlab"));
    QApplication::setApplicationDisplayName(QStringLiteral("Streamlab"));
    QApplication::setApplicationVersion(QStringLiteral(STREAMLAB_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("streamlab"));
    QIcon icon(QStringLiteral(":/icons/streamlab-256.png"));
    icon.addFile(QStringLiteral(":/icons/streamlab-64.png"));
    QApplication::setWindowIcon(icon);

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("A lab for the four gRPC patterns, with its own server."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption connectOption(QStringLiteral("connect"),
                                           QStringLiteral("Use the server at HOST:PORT; do not start the bundled one."),
                                           QStringLiteral("HOST:PORT"));
    const QCommandLineOption portOption(QStringLiteral("port"), QStringLiteral("Port of the bundled server (0: any free port)."),
                                        QStringLiteral("N"), QStringLiteral("50051"));
    const QCommandLineOption dataDirOption(QStringLiteral("data-dir"), QStringLiteral("Data directory of the bundled server."),
                                           QStringLiteral("DIR"));
    const QCommandLineOption noServerOption(QStringLiteral("no-server"), QStringLiteral("Do not start the bundled server."));
    parser.addOptions({connectOption, portOption, dataDirOption, noServerOption});
    parser.process(app);

    streamlab::StartOptions options;
    options.connectTarget = parser.value(connectOption);
    bool ok = false;
    options.port = parser.value(portOption).toInt(&ok);
    if (!ok || options.port < 0 || options.port > 65535) {
        qCritical("streamlab: --port must be a number from 0 to 65535");
        return 2;
    }
    if (parser.isSet(dataDirOption))
        options.dataDir = QDir(parser.value(dataDirOption)).absolutePath();
    options.noServer = parser.isSet(noServerOption);

    streamlab::MainWindow window(options);
    window.show();
    return app.exec();
}
