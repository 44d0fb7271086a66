#pragma once
// Incremental SHA-256 (OpenSSL's, which uses the CPU's SHA extensions where
// present: uploads hash at disk speed). Used by the server's upload store and
// by the app to check what the server stored.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace streamlab {

class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void add(const void* data, size_t size);
    void add(std::string_view data) { add(data.data(), data.size()); }
    // Lower-case hex digest; the object starts over afterwards.
    std::string hexDigest();
    static std::string hexOf(std::string_view data);

private:
    struct Context;
    std::unique_ptr<Context> context_;
};

} // namespace streamlab
