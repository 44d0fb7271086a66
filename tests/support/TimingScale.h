#pragma once
// Sanitizer builds run several times slower: waits and the few timing bounds
// the issues demand scale with this.

namespace streamlab::test {

#if defined(__SANITIZE_THREAD__)
constexpr int kTimingScale = 10;
#elif defined(__SANITIZE_ADDRESS__)
constexpr int kTimingScale = 3;
#else
constexpr int kTimingScale = 1;
#endif

} // namespace streamlab::test
