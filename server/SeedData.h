#pragma once
// Believable, deterministic seed data: the same ids give the same users on
// every machine, so "42" is always the same person in docs and tests.

#include "Records.h"

#include <random>
#include <string>
#include <vector>

namespace streamlab::server {

UserRecord makeSeedUser(int64_t id);

// Makes events of several types with realistic JSON payloads; used for the
// seeded history and by the live generator.
class EventFactory {
public:
    explicit EventFactory(uint64_t seed);
    EventRecord make(int64_t timeMs);
    static const std::vector<std::string>& types();

private:
    std::mt19937_64 rng_;
    uint64_t orderCounter_ = 0;
};

// The first moment of the seeded history: 2024-01-01T00:00:00Z.
constexpr int64_t kHistoryStartMs = 1704067200000;

} // namespace streamlab::server
