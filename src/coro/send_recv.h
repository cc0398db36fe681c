// SendRecv: one request/reply exchange over TCP in the spirit of a "send, then receive one
// framed reply" RPC helper. A ConnPool hands out connections per destination: with
// keep_alive (long connections) a connection is returned to the pool after a clean
// exchange and reused; otherwise (short connections) it is closed after each exchange.
// The caller's FrameLenFn looks at the bytes received so far and returns the length of the
// complete reply frame, 0 if more bytes are needed, or <0 if the bytes are not valid.
// Ownership: the pool owns its idle fds and closes them on destruction; a fd in use belongs
// to the SendRecv that took it.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <vector>

#include "base/result.h"
#include "coro/scheduler.h"
#include "coro/task.h"

namespace ustack::co {

using FrameLenFn = std::function<ssize_t(std::span<const uint8_t> received)>;

struct PoolOptions {
  bool keep_alive = true;  // long connections, reused; false: one per exchange
  size_t max_idle_per_dest = 64;
};

struct PoolStats {
  uint64_t connects = 0;  // new connections opened
  uint64_t reuses = 0;    // exchanges served by an idle pooled connection
  uint64_t discards = 0;  // connections closed after an error or a short exchange
};

class ConnPool {
 public:
  explicit ConnPool(Scheduler& sched, PoolOptions opts = {});
  ~ConnPool();
  ConnPool(const ConnPool&) = delete;
  ConnPool& operator=(const ConnPool&) = delete;

  // An idle connection to `dest` (*reused set) or a new one; -errno on failure.
  Task<int> Get(sockaddr_in dest, bool* reused);
  // Gives a connection back after a clean exchange (kept if keep_alive and room).
  void Put(const sockaddr_in& dest, int fd);
  // Closes a connection that must not be reused.
  void Discard(int fd);

  size_t idle() const;
  const PoolStats& stats() const { return stats_; }
  Scheduler& scheduler() { return sched_; }

 private:
  static uint64_t Key(const sockaddr_in& a) {
    return uint64_t{a.sin_addr.s_addr} << 16 | a.sin_port;
  }
  Scheduler& sched_;
  PoolOptions opts_;
  std::map<uint64_t, std::vector<int>> idle_;
  PoolStats stats_;
};

// Sends `request` on a pooled connection to `dest` and returns the first complete reply
// frame. Errors: ETIMEDOUT (whole exchange exceeded `timeout`), EPROTO (FrameLenFn < 0, or
// the peer closed mid-frame), ECONNRESET/EPIPE..., ECANCELED. A pooled connection that
// fails before any reply byte is retried once on a new connection.
Task<Result<std::vector<uint8_t>>> SendRecv(ConnPool& pool, sockaddr_in dest,
                                            std::vector<uint8_t> request, FrameLenFn frame_len,
                                            Duration timeout);

}  // namespace ustack::co
