#pragma once
// The server's SQLite file (<data-dir>/streamlab.db): its schema, and the seed
// data written once on first start. Each store opens its own connection to it.

#include "ServerConfig.h"

#include <filesystem>
#include <string>

namespace streamlab::server {

struct StorageInfo {
    std::filesystem::path databaseFile;
    bool seeded = false;   // this start wrote the seed data
    double seedSeconds = 0;
};

// Creates the data dir, the schema and (when empty) the seed data.
bool prepareStorage(const ServerConfig& config, StorageInfo* info, std::string* error);

} // namespace streamlab::server
