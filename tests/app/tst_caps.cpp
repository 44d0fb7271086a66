// Caps and exposure (issue 8), where tests/server does not cover them
// already (upload names, the upload cap and the chat rate are tested there):
//  - a message over the server's 4 MiB receive limit ends the call with
//    RESOURCE_EXHAUSTED, and the app's status says what happened in words;
//  - the app never sends such a message: an upload with the largest chunk
//    size and the longest metadata the app lets through is accepted, and
//    metadata that could not fit is refused before anything is sent;
//  - a full chat room refuses a join with RESOURCE_EXHAUSTED "the room is
//    full", and ChatSession shows it and stops instead of retrying forever;
//  - the bundled server listens on loopback only, unless the user opts in.
#include "BundledServer.h"
#include "CallStatus.h"
#include "ChatSession.h"
#include "Connection.h"
#include "EmbeddedServer.h"
#include "TestServer.h"
#include "UploadCall.h"
#include "streaming_examples.grpc.pb.h"
#include "streamlab_lab.grpc.pb.h"

#include <QFile>

#include <cstring>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

using namespace streamlab;
using streamlab::test::TestServer;

namespace {

constexpr int kWaitMs = 30000;

// The addresses of the sockets listening on `port`, from /proc/net/tcp and
// tcp6 ("127.0.0.1", "0.0.0.0", "::"; an IPv4-mapped IPv6 address as IPv4).
QStringList listeners(int port)
{
    QStringList found;
    for (const QString& table : {QStringLiteral("/proc/net/tcp"), QStringLiteral("/proc/net/tcp6")}) {
        QFile file(table);
        if (!file.open(QIODevice::ReadOnly))
            continue;
        file.readLine();   // header
        for (QByteArray line = file.readLine(); !line.isEmpty(); line = file.readLine()) {
            const QList<QByteArray> fields = line.simplified().split(' ');
            if (fields.size() < 4 || fields[3] != "0A")   // 0A = LISTEN
                continue;
            const QList<QByteArray> local = fields[1].split(':');
            if (local.size() != 2 || local[1].toInt(nullptr, 16) != port)
                continue;
            // The kernel prints each 32-bit word of the address in host order (little-endian here).
            const QByteArray hex = local[0];
            QByteArray raw;
            for (int w = 0; w + 8 <= hex.size(); w += 8) {
                const quint32 word = hex.mid(w, 8).toUInt(nullptr, 16);
                raw.append(reinterpret_cast<const char*>(&word), 4);
            }
            char text[INET6_ADDRSTRLEN] = {};
            if (raw.size() == 4) {
                inet_ntop(AF_INET, raw.constData(), text, sizeof text);
            } else {
                in6_addr v6;
                memcpy(&v6, raw.constData(), sizeof v6);
                if (IN6_IS_ADDR_V4MAPPED(&v6))
                    inet_ntop(AF_INET, raw.constData() + 12, text, sizeof text);
                else
                    inet_ntop(AF_INET6, &v6, text, sizeof text);
            }
            found << QString::fromLatin1(text);
        }
    }
    return found;
}

// An IPv4 address of this machine that is not loopback ("" when there is none).
QString otherLocalAddress()
{
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0)
        return {};
    QString address;
    for (ifaddrs* a = list; a && address.isEmpty(); a = a->ifa_next) {
        if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET)
            continue;
        const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
        if ((ntohl(in->sin_addr.s_addr) >> 24) == 127)
            continue;
        char text[INET_ADDRSTRLEN] = {};
        inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
        address = QString::fromLatin1(text);
    }
    freeifaddrs(list);
    return address;
}

grpc::Status getServerInfo(const QString& address, int timeoutMs)
{
    auto stub = ServerAdmin::NewStub(grpc::CreateChannel(address.toStdString(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeoutMs));
    ServerInfo info;
    return stub->GetServerInfo(&context, ServerInfoRequest(), &info);
}

} // namespace

class TestCaps : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void messageOverTheReceiveLimitIsResourceExhausted();
    void appNeverSendsAMessageOverTheLimit();
    void fullRoomIsRefusedAndNotRetried();
    void bundledServerListensOnLoopbackUnlessAskedTo();

private:
    QTemporaryDir m_files;
};

void TestCaps::initTestCase()
{
    QVERIFY(m_files.isValid());
}

void TestCaps::messageOverTheReceiveLimitIsResourceExhausted()
{
    TestServer server(10);
    QVERIFY(server.start());
    QCOMPARE(server.config.maxMessageBytes, 4 << 20);
    auto stub = StreamingExamples::NewStub(server.channel());

    // A raw client (not the app: the app refuses to send it) writes one chunk
    // whose message is just over 4 MiB.
    grpc::ClientContext context;
    streamlab::test::setDeadline(context, 20000);
    UploadResult result;
    auto writer = stub->UploadChunks(&context, &result);
    Chunk chunk;
    chunk.set_data(std::string(size_t(4 << 20), 'x'));   // 4 MiB of data + the field's framing
    QVERIFY(chunk.ByteSizeLong() > size_t(4 << 20));
    writer->Write(chunk);   // may fail once the server has ended the call; the status tells
    writer->WritesDone();
    const grpc::Status status = writer->Finish();
    QCOMPARE(int(status.error_code()), int(grpc::StatusCode::RESOURCE_EXHAUSTED));
    qInfo("server: %s", status.error_message().c_str());

    // What the app shows for it: the sizes, the limit, in words.
    const CallStatus shown = makeCallStatus(status, 12, QString::fromStdString(server.address()));
    qInfo("app:    %s", qPrintable(shown.text));
    QCOMPARE(shown.codeName, QStringLiteral("RESOURCE_EXHAUSTED"));
    QVERIFY2(shown.text.contains(QStringLiteral("4 MiB")), qPrintable(shown.text));
    QVERIFY2(shown.text.contains(QString::number(chunk.ByteSizeLong())), qPrintable(shown.text));
    QCOMPARE(shown.serverMessage, QString::fromStdString(status.error_message()));

    // The server is fine afterwards: a chunk just under the limit is stored.
    grpc::ClientContext again;
    streamlab::test::setDeadline(again, 20000);
    auto second = stub->UploadChunks(&again, &result);
    Chunk fits;
    fits.set_name("fits.bin");
    fits.set_data(std::string(size_t(4 << 20) - 64, 'y'));
    QVERIFY(fits.ByteSizeLong() <= size_t(4 << 20));
    QVERIFY(second->Write(fits));
    QVERIFY(second->WritesDone());
    const grpc::Status ok = second->Finish();
    QVERIFY2(ok.ok(), ok.error_message().c_str());
    QCOMPARE(qint64(result.bytes_received()), qint64(fits.data().size()));
}

void TestCaps::appNeverSendsAMessageOverTheLimit()
{
    TestServer server(10);
    QVERIFY(server.start());
    Connection connection;
    QString error;
    QVERIFY(connection.connectTo(QString::fromStdString(server.address()), &error));

    const QString path = m_files.filePath(QStringLiteral("largest-chunks.bin"));
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QVERIFY(file.write(QByteArray(2 * UploadCall::kMaxChunkSize + 1000, 'z')) > 0);
    }
    // The largest chunks, the longest name and upload id the app accepts: the
    // first chunk carries all the metadata and a full chunk of data.
    UploadRequest request;
    request.filePath = path;
    request.chunkSize = UploadCall::kMaxChunkSize;
    request.name = QString(UploadCall::kMaxNameBytes, QLatin1Char('n'));
    request.uploadId = QString(128, QLatin1Char('i'));
    UploadCall call(&connection);
    QSignalSpy done(&call, &UploadCall::uploadFinished);
    QVERIFY2(call.start(request, &error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(!done.isEmpty(), kWaitMs);
    QVERIFY2(call.outcome().ok(), qPrintable(call.outcome().text()));
    QCOMPARE(call.outcome().storedSize, qint64(2 * UploadCall::kMaxChunkSize + 1000));

    // Longer metadata could push the first message over the limit: refused
    // before anything is sent, with a reason.
    request.name = QString(UploadCall::kMaxNameBytes + 1, QLatin1Char('n'));
    QVERIFY(!call.start(request, &error));
    QVERIFY2(error.contains(QString::number(UploadCall::kMaxNameBytes)), qPrintable(error));
    request.name.clear();
    request.uploadId = QString(129, QLatin1Char('i'));
    QVERIFY(!call.start(request, &error));
    QVERIFY2(error.contains(QStringLiteral("128")), qPrintable(error));
    // And data over the limit never (tst_uploadcall checks the refusal's words).
    request.uploadId.clear();
    request.chunkSize = UploadCall::kMaxChunkSize + 1;
    QVERIFY(!call.start(request, &error));
}

void TestCaps::fullRoomIsRefusedAndNotRetried()
{
    TestServer server(10);
    server.config.chatMaxParticipants = 2;
    QVERIFY(server.start());
    Connection connection;
    QString error;
    QVERIFY(connection.connectTo(QString::fromStdString(server.address()), &error));

    ChatSession ada(&connection), bob(&connection), carol(&connection);
    QVERIFY(ada.join(QStringLiteral("ada"), &error));
    QVERIFY(bob.join(QStringLiteral("bob"), &error));
    QTRY_COMPARE_WITH_TIMEOUT(ada.state(), ChatSession::State::Joined, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(bob.state(), ChatSession::State::Joined, kWaitMs);

    QSignalSpy carolDone(&carol, &ChatSession::finished);
    QSignalSpy carolRetry(&carol, &ChatSession::reconnectScheduled);
    QList<ChatLine> carolLines;
    connect(&carol, &ChatSession::linesArrived, this, [&](const QList<ChatLine>& lines) { carolLines += lines; });
    carol.setBackoff(50, 50);   // were it to retry, it would do so many times within the wait below
    QVERIFY(carol.join(QStringLiteral("carol"), &error));
    QTRY_VERIFY_WITH_TIMEOUT(!carolDone.isEmpty(), kWaitMs);
    const auto status = carolDone.first().at(0).value<CallStatus>();
    QCOMPARE(status.codeName, QStringLiteral("RESOURCE_EXHAUSTED"));
    QVERIFY2(status.text.contains(QStringLiteral("room is full")), qPrintable(status.text));
    qInfo("carol: %s", qPrintable(status.text));
    // It stops: Offline, no retry scheduled, one call only, and says why.
    QTRY_COMPARE_WITH_TIMEOUT(carol.state(), ChatSession::State::Offline, kWaitMs);
    QTest::qWait(500);   // ten backoffs' worth: a retrying session would have started calls meanwhile
    QCOMPARE(carol.state(), ChatSession::State::Offline);
    QCOMPARE(carolRetry.size(), 0);
    QCOMPARE(carol.callsStarted(), 1);
    QCOMPARE(carolDone.size(), 1);
    QVERIFY(std::any_of(carolLines.cbegin(), carolLines.cend(), [](const ChatLine& line) {
        return line.kind == ChatLine::Kind::Note && line.text.contains(QStringLiteral("room is full"));
    }));
    // The two inside are not disturbed.
    QCOMPARE(ada.state(), ChatSession::State::Joined);
    QCOMPARE(ada.participants(), QStringList({QStringLiteral("ada"), QStringLiteral("bob")}));

    // Once there is room, joining again works.
    bob.leave();
    QTRY_COMPARE_WITH_TIMEOUT(bob.state(), ChatSession::State::Offline, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(ada.participants().size(), 1, kWaitMs);
    QVERIFY(carol.join(QStringLiteral("carol"), &error));
    QTRY_COMPARE_WITH_TIMEOUT(carol.state(), ChatSession::State::Joined, kWaitMs);
    ada.leave();
    carol.leave();
    QTRY_COMPARE_WITH_TIMEOUT(ada.state(), ChatSession::State::Offline, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(carol.state(), ChatSession::State::Offline, kWaitMs);
}

void TestCaps::bundledServerListensOnLoopbackUnlessAskedTo()
{
    QTemporaryDir data;
    QVERIFY(data.isValid());
    const QString other = otherLocalAddress();

    // The default: 127.0.0.1 only.
    BundledServerOptions options;
    QCOMPARE(options.host, QStringLiteral("127.0.0.1"));
    options.port = 0;
    options.dataDir = data.path();
    BundledStartResult result = BundledServer::startBlocking(options);
    QCOMPARE(int(result.outcome), int(BundledStartResult::Outcome::Started));
    QVERIFY(result.server);
    const int port = result.server->port();
    QCOMPARE(QString::fromStdString(result.server->host()), QStringLiteral("127.0.0.1"));
    QCOMPARE(result.address, QStringLiteral("127.0.0.1:%1").arg(port));
    // What the kernel says: one listening socket, on 127.0.0.1, none on 0.0.0.0 or ::.
    QCOMPARE(listeners(port), QStringList{QStringLiteral("127.0.0.1")});
    QVERIFY(getServerInfo(result.address, 5000).ok());
    if (!other.isEmpty()) {
        const grpc::Status refused = getServerInfo(QStringLiteral("%1:%2").arg(other).arg(port), 3000);
        QVERIFY2(!refused.ok(), qPrintable(other));
        qInfo("from %s: %s", qPrintable(other), refused.error_message().c_str());
    }
    result.server->stop();
    result.server.reset();

    // Opted in: every interface, and the app still talks to it over loopback.
    options.host = QStringLiteral("0.0.0.0");
    result = BundledServer::startBlocking(options);
    QCOMPARE(int(result.outcome), int(BundledStartResult::Outcome::Started));
    const int allPort = result.server->port();
    const QStringList all = listeners(allPort);
    QVERIFY2(all == QStringList{QStringLiteral("0.0.0.0")} || all == QStringList{QStringLiteral("::")}, qPrintable(all.join(u',')));
    QCOMPARE(result.address, QStringLiteral("127.0.0.1:%1").arg(allPort));
    if (!other.isEmpty())
        QVERIFY(getServerInfo(QStringLiteral("%1:%2").arg(other).arg(allPort), 5000).ok());
    result.server->stop();
}

QTEST_GUILESS_MAIN(TestCaps)
#include "tst_caps.moc"
