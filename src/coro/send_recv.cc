// ConnPool and SendRecv. See send_recv.h.
#include "coro/send_recv.h"

#include "coro/combinators.h"
#include "coro/io.h"

namespace ustack::co {
namespace {

constexpr size_t kReadChunk = 4096;

// Outcome of one attempt on one connection.
struct Attempt {
  int error = 0;           // 0: reply complete
  bool got_bytes = false;  // any reply byte received
  bool reusable = false;   // nothing extra after the frame
  std::vector<uint8_t> reply;
};

Task<Attempt> Exchange(int fd, const std::vector<uint8_t>& request, const FrameLenFn& frame_len) {
  Attempt a;
  const ssize_t w = co_await WriteAll(fd, request);
  if (w < 0) {
    a.error = static_cast<int>(-w);
    co_return a;
  }
  std::vector<uint8_t> buf;
  for (;;) {
    const size_t old = buf.size();
    buf.resize(old + kReadChunk);
    const ssize_t n = co_await Read(fd, std::span<uint8_t>(buf).subspan(old));
    if (n <= 0) {
      buf.resize(old);
      a.error = n == 0 ? (old == 0 ? ECONNRESET : EPROTO) : static_cast<int>(-n);
      co_return a;
    }
    buf.resize(old + static_cast<size_t>(n));
    a.got_bytes = true;
    const ssize_t len = frame_len(buf);
    if (len < 0) {
      a.error = EPROTO;
      co_return a;
    }
    if (len > 0 && static_cast<size_t>(len) <= buf.size()) {
      a.reusable = static_cast<size_t>(len) == buf.size();
      buf.resize(static_cast<size_t>(len));
      a.reply = std::move(buf);
      co_return a;
    }
  }
}

Task<Result<std::vector<uint8_t>>> SendRecvInner(ConnPool& pool, sockaddr_in dest,
                                                 const std::vector<uint8_t>& request,
                                                 const FrameLenFn& frame_len) {
  for (int round = 0; round < 2; ++round) {
    bool reused = false;
    const int fd = co_await pool.Get(dest, &reused);
    if (fd < 0) co_return Error{-fd};
    Attempt a = co_await Exchange(fd, request, frame_len);
    if (a.error == 0) {
      if (a.reusable) {
        pool.Put(dest, fd);
      } else {
        pool.Discard(fd);
      }
      co_return std::move(a.reply);
    }
    pool.Discard(fd);
    // A stale pooled connection (closed by the peer while idle) gets one fresh retry.
    const bool stale = reused && !a.got_bytes && a.error != ETIMEDOUT && a.error != ECANCELED;
    if (!stale) co_return Error{a.error};
  }
  co_return Error{ECONNRESET};
}

}  // namespace

ConnPool::ConnPool(Scheduler& sched, PoolOptions opts) : sched_(sched), opts_(opts) {}

ConnPool::~ConnPool() {
  for (auto& [key, fds] : idle_) {
    for (int fd : fds) sched_.Close(fd);
  }
}

Task<int> ConnPool::Get(sockaddr_in dest, bool* reused) {
  *reused = false;
  auto it = idle_.find(Key(dest));
  if (it != idle_.end() && !it->second.empty()) {
    const int fd = it->second.back();
    it->second.pop_back();
    ++stats_.reuses;
    *reused = true;
    co_return fd;
  }
  ++stats_.connects;
  co_return co_await ConnectTcp(sched_, dest);
}

void ConnPool::Put(const sockaddr_in& dest, int fd) {
  std::vector<int>& v = idle_[Key(dest)];
  if (!opts_.keep_alive || v.size() >= opts_.max_idle_per_dest) {
    Discard(fd);
    return;
  }
  v.push_back(fd);
}

void ConnPool::Discard(int fd) {
  ++stats_.discards;
  sched_.Close(fd);
}

size_t ConnPool::idle() const {
  size_t n = 0;
  for (const auto& [key, fds] : idle_) n += fds.size();
  return n;
}

Task<Result<std::vector<uint8_t>>> SendRecv(ConnPool& pool, sockaddr_in dest,
                                            std::vector<uint8_t> request, FrameLenFn frame_len,
                                            Duration timeout) {
  co_return co_await WithTimeout(SendRecvInner(pool, dest, request, frame_len), timeout);
}

}  // namespace ustack::co
