// FNV-1a, the one deterministic hash of the domain: jitter, retry backoff, cgroup names.
#pragma once

#include <cstdint>
#include <string_view>

namespace vigil::model {

inline constexpr uint64_t fnv1a_offset = 1469598103934665603ull;
inline constexpr uint64_t fnv1a_prime = 1099511628211ull;

/// FNV-1a (64 bits) of `bytes`, continuing from `h`: the same on every node and version.
inline uint64_t fnv1a(std::string_view bytes, uint64_t h = fnv1a_offset) {
  for (unsigned char ch : bytes) {
    h ^= ch;
    h *= fnv1a_prime;
  }
  return h;
}

}  // namespace vigil::model
