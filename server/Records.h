#pragma once
// Plain records the stores hand to the services (no protobuf, no SQL).

#include <cstdint>
#include <string>

namespace streamlab::server {

struct UserRecord {
    int64_t id = 0;
    std::string username;
    std::string name;
    std::string email;
    std::string company;
    std::string jobTitle;
    std::string city;
    std::string country;
    std::string phone;
    int64_t createdAtMs = 0;
};

struct EventRecord {
    int64_t id = 0;
    int64_t timeMs = 0;
    std::string type;
    std::string data;   // JSON object
};

} // namespace streamlab::server
