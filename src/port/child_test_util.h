// Test support for the port tests that run DPDK devices in child processes (a monotonic
// millisecond clock and a bounded wait for a child). Included by tests only.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <ctime>

namespace ustack {

inline int64_t MonotonicMs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Waits for `pid` until `deadline_ms` (MonotonicMs), killing it then (a test failure);
// returns its wait status.
inline int WaitChildUntil(pid_t pid, int64_t deadline_ms) {
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) != pid) {
    if (MonotonicMs() >= deadline_ms) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ADD_FAILURE() << "child " << pid << " did not finish in time";
      return status;
    }
    usleep(2000);
  }
  return status;
}

}  // namespace ustack
