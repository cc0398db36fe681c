// TestSeed (tests only): the seed of a randomized test, printed with the environment variable
// that replays it. The variable's value when it is set (a failure's seed), else `fallback`
// (a fixed seed keeps CI deterministic; a fresh one widens the coverage run by run).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace ustack {

inline uint64_t TestSeed(const char* label, const char* env_var, uint64_t fallback) {
  const char* env = std::getenv(env_var);
  const uint64_t seed = env != nullptr ? std::strtoull(env, nullptr, 0) : fallback;
  std::printf("%s seed=%llu (replay: %s=%llu)\n", label, static_cast<unsigned long long>(seed),
              env_var, static_cast<unsigned long long>(seed));
  return seed;
}

}  // namespace ustack
