#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace streamlab::server {
// Parses an ISO 8601 date ("2024-01-01") or date-time ("2024-01-01T12:30:00",
// with optional fractional seconds and "Z" or "+hh:mm"; a space may stand for
// "T"; no zone means UTC) to Unix time in ms. nullopt when it is not one.
std::optional<int64_t> parseIsoDateTime(std::string_view text);
} // namespace streamlab::server
