#pragma once
// A real Streamlab server for one test: loopback, an ephemeral port, a fresh
// temporary data dir (or a given one, to test restarts). Stopped on destruction.

#include "EmbeddedServer.h"

#include <QTemporaryDir>
#include <QtTest>

#include <grpcpp/grpcpp.h>

#include <memory>

namespace streamlab::test {

class TestServer {
public:
    // Small seed by default: tests start fast; users 1..1000 as in production.
    explicit TestServer(int seedEvents = 5000, QString dataDir = {})
    {
        config.listenAddress = "127.0.0.1:0";
        config.dataDir = (dataDir.isEmpty() ? temp.path() : dataDir).toStdString();
        config.seedEvents = seedEvents;
    }
    ~TestServer() { stop(); }

    bool start()
    {
        server = std::make_unique<server::EmbeddedServer>(config);
        std::string error;
        if (!server->start(&error)) {
            qWarning("test server did not start: %s", error.c_str());
            return false;
        }
        return true;
    }
    void stop()
    {
        if (server)
            server->stop();
    }
    std::string address() const { return server->address(); }
    QString dataDir() const { return QString::fromStdString(config.dataDir.string()); }
    server::ServerState* state() const { return server->state(); }

    std::shared_ptr<grpc::Channel> channel(const grpc::ChannelArguments& args = {}) const
    {
        return grpc::CreateCustomChannel(address(), grpc::InsecureChannelCredentials(), args);
    }

    QTemporaryDir temp;
    server::ServerConfig config;
    std::unique_ptr<server::EmbeddedServer> server;
};

// A deadline for every test RPC.
inline void setDeadline(grpc::ClientContext& context, int ms = 10000)
{
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(ms));
}

} // namespace streamlab::test
