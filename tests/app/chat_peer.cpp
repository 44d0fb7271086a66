// chat_peer: a headless chat participant on the app's own path (Connection +
// ChatSession under a Qt event loop), for tst_two_instances. It joins, sends
// its lines, waits until it has every line of the other peer (exact text, in
// order, once) and an acknowledgement for each of its own, leaves
// (half-close, the server ends the call OK) and exits 0. Anything else:
// a message on stderr and exit 1.
//
//   chat_peer --server HOST:PORT --name NAME --send N --expect-from OTHER --expect M [--timeout MS]
#include "ChatSession.h"
#include "Connection.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QHash>
#include <QTimer>

#include <cstdio>

using namespace streamlab;

namespace {
// The same text on both sides: unicode and emoji must come back exactly.
QString lineText(const QString& name, int index)
{
    return QStringLiteral("%1 → line %2 · ünïcödé ✓ 😀 日本").arg(name).arg(index);
}
} // namespace

int main(int argc, char* argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    const QCommandLineOption serverOption(QStringLiteral("server"), QStringLiteral("Server address."), QStringLiteral("HOST:PORT"));
    const QCommandLineOption nameOption(QStringLiteral("name"), QStringLiteral("Chat name."), QStringLiteral("NAME"));
    const QCommandLineOption sendOption(QStringLiteral("send"), QStringLiteral("Lines to send."), QStringLiteral("N"), QStringLiteral("10"));
    const QCommandLineOption fromOption(QStringLiteral("expect-from"), QStringLiteral("The other peer's name."), QStringLiteral("NAME"));
    const QCommandLineOption expectOption(QStringLiteral("expect"), QStringLiteral("Lines expected from it."), QStringLiteral("M"), QStringLiteral("10"));
    const QCommandLineOption timeoutOption(QStringLiteral("timeout"), QStringLiteral("Give up after this long."), QStringLiteral("MS"), QStringLiteral("60000"));
    parser.addOptions({serverOption, nameOption, sendOption, fromOption, expectOption, timeoutOption});
    parser.process(app);
    const QString name = parser.value(nameOption);
    const QString other = parser.value(fromOption);
    const int toSend = parser.value(sendOption).toInt();
    const int expected = parser.value(expectOption).toInt();

    auto fail = [&](const QString& why) {
        std::fprintf(stderr, "chat_peer %s: %s\n", qPrintable(name), qPrintable(why));
        std::fflush(stderr);
        QCoreApplication::exit(1);
    };

    Connection connection;
    QString error;
    if (!connection.connectTo(parser.value(serverOption), &error)) {
        std::fprintf(stderr, "chat_peer: %s\n", qPrintable(error));
        return 1;
    }
    ChatSession session(&connection);
    QStringList fromOther;          // the other peer's lines, in the order they came
    QHash<QString, bool> mine;      // own client id → acknowledged
    bool sentAll = false;
    bool leaving = false;

    auto maybeDone = [&] {
        if (leaving || !sentAll || fromOther.size() < expected)
            return;
        if (std::any_of(mine.cbegin(), mine.cend(), [](bool acked) { return !acked; }))
            return;
        for (int i = 0; i < expected; ++i) {
            if (fromOther.at(i) != lineText(other, i))
                return fail(QStringLiteral("line %1 from %2 is '%3'").arg(i).arg(other, fromOther.at(i)));
        }
        if (fromOther.size() != expected)
            return fail(QStringLiteral("%1 lines from %2, expected %3").arg(fromOther.size()).arg(other).arg(expected));
        leaving = true;
        session.leave();
    };

    QObject::connect(&session, &ChatSession::linesArrived, [&](const QList<ChatLine>& lines) {
        for (const ChatLine& line : lines)
            if (line.kind == ChatLine::Kind::Chat && line.user == other)
                fromOther.append(line.text);
        maybeDone();
    });
    QObject::connect(&session, &ChatSession::deliveryChanged, [&](const QList<ChatLine>& lines) {
        for (const ChatLine& line : lines) {
            if (line.delivery == ChatLine::Delivery::Delivered)
                mine[line.clientId] = true;
            else if (line.delivery == ChatLine::Delivery::Refused)
                fail(QStringLiteral("the server refused a line: %1").arg(line.error));
        }
        maybeDone();
    });
    QObject::connect(&session, &ChatSession::stateChanged, [&](ChatSession::State state) {
        if (state == ChatSession::State::Joined && !sentAll) {
            for (int i = 0; i < toSend; ++i) {
                QString why;
                const QString id = session.send(lineText(name, i), &why);
                if (id.isEmpty())
                    return fail(why);
                mine.insert(id, false);
            }
            sentAll = true;
            maybeDone();
        }
    });
    QObject::connect(&session, &ChatSession::finished, [&](const CallStatus& status) {
        if (!leaving)
            return;   // a reconnect would follow; only the leave ends this peer
        if (!status.ok())
            return fail(QStringLiteral("leaving ended with %1").arg(status.text));
        std::printf("chat_peer %s: sent %d, received %lld from %s, all acknowledged; left with OK\n", qPrintable(name), toSend,
                    qlonglong(fromOther.size()), qPrintable(other));
        std::fflush(stdout);
        QCoreApplication::exit(0);
    });
    QTimer::singleShot(parser.value(timeoutOption).toInt(), &app, [&] {
        fail(QStringLiteral("timed out: %1 of %2 lines from %3, %4 of %5 own lines acknowledged")
                 .arg(fromOther.size()).arg(expected).arg(other)
                 .arg(std::count(mine.cbegin(), mine.cend(), true)).arg(toSend));
    });

    if (!session.join(name, &error)) {
        std::fprintf(stderr, "chat_peer %s: %s\n", qPrintable(name), qPrintable(error));
        return 1;
    }
    return app.exec();
}
