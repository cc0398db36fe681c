// Zero-copy send (SocketApi::ZcMbufGet / ZcMbufWrite / ZcMbufFree and Write with the handle as
// the buffer; ustack only: the kernel has no such call) over two simulated stacks: MiBs of
// seeded bytes through zero-copy buffers mixed with plain writes over a lossy, reordering
// link, segments built by copying from the buffers or by attaching them; reset while the
// buffers are queued; a blocking send; UDP and socketpair sockets; wrong arguments, stale and
// forged handles; an exhausted pool. Every test checks that the mbuf pool's free count comes
// back to where it started.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <string>
#include <vector>

#include "base/random.h"
#include "buf/test_eal.h"
#include "sim_harness.h"

namespace ustack::sim {
namespace {

PacketPool& Pool() {
  static PacketPool pool("zcs_pool", 8191);  // test fixture state
  return pool;
}

class ZeroCopySendTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitTestEal()); }
  void Start(uint64_t seed, const Impairment& imp, bool attach = false) {
    free_at_start_ = Pool().available();
    TcpConfig tcp;
    tcp.zero_copy_attach = attach;
    s_ = std::make_unique<TwoStacks>(Pool().get(), seed, imp, tcp);
  }
  void StartClean() {
    Impairment clean;
    clean.delay = Duration::Micros(20);
    Start(5, clean);
  }
  void TearDown() override {
    if (!s_) return;
    s_.reset();
    EXPECT_EQ(Pool().available(), free_at_start_) << "mbufs leaked";
  }
  SocketApi& a() { return s_->a(); }
  SocketApi& b() { return s_->b(); }
  // One poll iteration of both stacks and a clock step (a poll_once hook).
  void Step() {
    int calls = 0;
    s_->RunUntil([&] { return calls++ > 0; }, Duration::Seconds(1));
  }
  bool Until(const std::function<bool()>& pred, Duration limit = Duration::Seconds(60)) {
    return s_->RunUntil(pred, limit);
  }
  // A connected pair {client on A, server on B}, both non-blocking.
  std::pair<int, int> Connect(uint16_t port = 80) {
    const int lfd = b().Socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    const sockaddr_in any = Sockaddr(Ipv4Addr::Any(), port);
    EXPECT_EQ(b().Bind(lfd, reinterpret_cast<const sockaddr*>(&any), sizeof any), 0);
    EXPECT_EQ(b().Listen(lfd, 4), 0);
    const int c = a().Socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    const sockaddr_in to = Sockaddr(kAddrB, port);
    EXPECT_EQ(a().Connect(c, reinterpret_cast<const sockaddr*>(&to), sizeof to), -EINPROGRESS);
    int srv = -1;
    EXPECT_TRUE(
        Until([&] { return (srv = b().Accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK)) >= 0; }));
    EXPECT_EQ(b().Close(lfd), 0);
    return {c, srv};
  }
  // No connection left on either stack and no frame on the link.
  bool Quiet() {
    return s_->stack_a().tcp().connection_count() == 0 &&
           s_->stack_b().tcp().connection_count() == 0 && s_->link().InFlight(Side::kA) == 0 &&
           s_->link().InFlight(Side::kB) == 0;
  }
  // Closes both ends and runs past TIME_WAIT until both stacks hold no connection.
  void CloseAndDrain(int c, int srv) {
    EXPECT_EQ(a().Close(c), 0);
    EXPECT_EQ(b().Close(srv), 0);
    EXPECT_TRUE(Until([&] { return Quiet(); }, Duration::Seconds(300)));
  }
  // A buffer of n bytes holding stream bytes [from, from + n) of `stream`.
  void* Filled(uint64_t stream, size_t from, size_t n) {
    void* h = nullptr;
    EXPECT_EQ(a().ZcMbufGet(static_cast<int64_t>(n), &h), 0);
    std::vector<uint8_t> d(n);
    for (size_t i = 0; i < n; ++i) d[i] = StreamByte(stream, from + i);
    EXPECT_EQ(a().ZcMbufWrite(h, d.data(), static_cast<int64_t>(n)), static_cast<int64_t>(n));
    return h;
  }
  // Reads what srv has and checks it against `stream` from *got on; false on a difference.
  bool ReadAndCheck(int srv, uint64_t stream, size_t* got) {
    std::vector<uint8_t> in(64 * 1024);
    ssize_t n;
    while ((n = b().Read(srv, in.data(), in.size())) > 0) {
      for (ssize_t j = 0; j < n; ++j) {
        if (in[static_cast<size_t>(j)] != StreamByte(stream, *got + static_cast<size_t>(j))) {
          ADD_FAILURE() << "byte " << *got + static_cast<size_t>(j) << " differs (seed " << stream
                        << ")";
          return false;
        }
      }
      *got += static_cast<size_t>(n);
    }
    return true;
  }

  unsigned free_at_start_ = 0;
  std::unique_ptr<TwoStacks> s_;
};

// Streams `total` bytes from c to srv: mostly through zero-copy buffers of random sizes,
// filled in random pieces, some with room left unused, queued with Write(c, handle, n) and
// retried after short counts; sometimes with a plain write in between. The seed drives both
// the choices and the bytes.
class ZeroCopyStream {
 public:
  ZeroCopyStream(SocketApi& api, int fd, uint64_t seed, size_t total)
      : api_(api), fd_(fd), seed_(seed), rnd_(seed), total_(total) {}

  bool done() const { return produced_ == total_ && unsent_ == 0; }
  size_t buffers() const { return buffers_; }

  // Queues as much as the socket takes now; false after a failed check.
  bool Pump() {
    while (!done()) {
      if (unsent_ == 0) {
        if (rnd_.Chance(0.15)) {
          if (!PlainWrite()) return true;
          continue;
        }
        if (!NewBuffer()) return !failed_;
      }
      const ssize_t w = api_.Write(fd_, handle_, unsent_);
      if (w == -EAGAIN) return true;
      if (w <= 0 || static_cast<size_t>(w) > unsent_)
        return Fail("Write(handle) gave " + std::to_string(w));
      unsent_ -= static_cast<size_t>(w);
      // Every written byte sent: the buffer is gone and its handle is stale.
      if (unsent_ == 0 && api_.ZcMbufWrite(handle_, "x", 1) != -EINVAL) {
        return Fail("handle still valid after its last byte was sent");
      }
    }
    return true;
  }

 private:
  bool PlainWrite() {
    std::vector<uint8_t> d(std::min<size_t>(rnd_.Below(4000) + 1, total_ - produced_));
    for (size_t i = 0; i < d.size(); ++i) d[i] = StreamByte(seed_, produced_ + i);
    const ssize_t w = api_.Write(fd_, d.data(), d.size());
    if (w <= 0) return false;
    produced_ += static_cast<size_t>(w);
    return true;
  }
  bool NewBuffer() {
    const size_t room = rnd_.Below(64 * 1024) + 1;
    size_t fill = std::min(room, total_ - produced_);
    if (rnd_.Chance(0.3)) fill = std::min(fill, rnd_.Below(room) + 1);  // room left unused
    const int rc = api_.ZcMbufGet(static_cast<int64_t>(room), &handle_);
    if (rc == -ENOMEM) return false;  // the pool is busy with queued bytes: later
    if (rc != 0) return Fail("ZcMbufGet gave " + std::to_string(rc));
    ++buffers_;
    std::vector<uint8_t> piece;
    for (size_t written = 0; written < fill;) {
      piece.resize(std::min<size_t>(rnd_.Below(3000) + 1, fill - written));
      for (size_t i = 0; i < piece.size(); ++i) {
        piece[i] = StreamByte(seed_, produced_ + written + i);
      }
      const auto n = static_cast<int64_t>(piece.size());
      if (api_.ZcMbufWrite(handle_, piece.data(), n) != n) return Fail("ZcMbufWrite failed");
      written += piece.size();
    }
    produced_ += fill;
    unsent_ = fill;
    return true;
  }
  bool Fail(const std::string& what) {
    ADD_FAILURE() << what << " (seed " << seed_ << ")";
    failed_ = true;
    return false;
  }

  SocketApi& api_;
  int fd_;
  uint64_t seed_;
  Random rnd_;
  size_t total_;
  size_t produced_ = 0;  // stream bytes written to buffers or plainly
  void* handle_ = nullptr;
  size_t unsent_ = 0;  // written to the current buffer and not yet taken by the socket
  size_t buffers_ = 0;
  bool failed_ = false;
};

class ZeroCopySendLossTest : public ZeroCopySendTest, public ::testing::WithParamInterface<bool> {};

TEST_P(ZeroCopySendLossTest, MiBsArriveIntactAndEveryMbufComesBack) {
  const bool attach = GetParam();
  const uint64_t seed = attach ? 31 : 32;
  SCOPED_TRACE("seed " + std::to_string(seed) + (attach ? ", attach" : ", copy"));
  Impairment imp;
  imp.delay = Duration::Micros(100);
  imp.loss = 0.03;
  imp.max_loss_burst = 4;
  imp.reorder = 0.02;
  Start(seed, imp, attach);
  const auto conn = Connect();
  const int c = conn.first, srv = conn.second;  // lambdas cannot capture bindings (clang 14)
  constexpr size_t kTotal = 4 << 20;
  ZeroCopyStream out(a(), c, seed, kTotal);
  size_t got = 0;
  bool ok = true;
  ASSERT_TRUE(Until(
      [&] {
        ok = out.Pump() && ReadAndCheck(srv, seed, &got);
        return !ok || got == kTotal;
      },
      Duration::Seconds(600)));
  ASSERT_TRUE(ok);
  EXPECT_TRUE(out.done());
  EXPECT_GT(out.buffers(), 100u);
  EXPECT_EQ(a().zc_mbufs_outstanding(), 0u);
  EXPECT_GT(s_->stack_a().tcp().counters().retrans_segs, 0u) << "the link lost nothing";
  // Attached segments share the application's mbufs, so the link copies them; copied
  // segments are the stack's own (loss and reordering make no copies).
  const uint64_t copies = s_->link().stats(Side::kA).copies;
  if (attach) {
    EXPECT_GT(copies, kTotal / 2 / 1448);
  } else {
    EXPECT_EQ(copies, 0u);
  }
  CloseAndDrain(c, srv);
  EXPECT_EQ(Pool().available(), free_at_start_);  // acknowledged bytes went back
}

INSTANTIATE_TEST_SUITE_P(CopyAndAttach, ZeroCopySendLossTest, ::testing::Bool());

TEST_F(ZeroCopySendTest, ResetWhileBuffersAreQueuedFreesThem) {
  StartClean();
  for (const bool peer_resets : {true, false}) {
    SCOPED_TRACE(peer_resets ? "peer resets" : "we abort");
    const auto conn = Connect(peer_resets ? 81 : 82);
    const int c = conn.first, srv = conn.second;
    // B never reads: the window and then the send buffer fill with zero-copy bytes.
    constexpr size_t kChunk = 100000;
    void* h = nullptr;
    size_t unsent = 0, queued = 0;
    ASSERT_TRUE(Until([&] {
      if (unsent == 0) {
        h = Filled(1, queued, kChunk);
        unsent = kChunk;
      }
      const ssize_t w = a().Write(c, h, unsent);
      if (w > 0) {
        unsent -= static_cast<size_t>(w);
        queued += static_cast<size_t>(w);
      }
      return w == -EAGAIN && queued > 400000;
    }));
    ASSERT_GT(unsent, 0u);
    EXPECT_EQ(a().Write(c, h, unsent + 1), -EINVAL);      // more than the buffer holds
    EXPECT_LT(Pool().available(), free_at_start_ - 150);  // queued bytes hold mbufs
    if (peer_resets) {
      ASSERT_EQ(b().Close(srv), 0);  // unread data: RST (RFC 9293 3.10.4, RFC 2525 2.17)
      ASSERT_TRUE(Until([&] { return a().Write(c, h, unsent) != -EAGAIN; }));
      EXPECT_EQ(a().Write(c, h, unsent), -EPIPE);  // (ECONNRESET was reported once)
    } else {
      const linger lg{1, 0};
      ASSERT_EQ(a().SetSockOpt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    }
    // The buffer with unsent bytes is still the application's: it frees it.
    EXPECT_EQ(a().zc_mbufs_outstanding(), 1u);
    EXPECT_EQ(a().ZcMbufFree(h), 0);
    EXPECT_EQ(a().ZcMbufFree(h), -EINVAL);
    EXPECT_EQ(a().Close(c), 0);
    if (!peer_resets) {
      EXPECT_EQ(b().Close(srv), 0);
    }
    ASSERT_TRUE(Until([&] { return Quiet(); }, Duration::Seconds(300)));
    EXPECT_EQ(Pool().available(), free_at_start_);
  }
}

TEST_F(ZeroCopySendTest, BlockingWriteWaitsForRoom) {
  StartClean();
  const auto conn = Connect();
  const int c = conn.first, srv = conn.second;  // lambdas cannot capture bindings (clang 14)
  int flags = a().Fcntl(c, F_GETFL, 0);
  ASSERT_EQ(a().Fcntl(c, F_SETFL, flags & ~O_NONBLOCK), 0);
  constexpr uint64_t kStream = 77;
  constexpr size_t kTotal = 1 << 20;  // four times the send buffer
  size_t got = 0;
  // The loop the blocking call runs also lets B read, as another part of the program would.
  a().set_poll_once([&] {
    Step();
    return ReadAndCheck(srv, kStream, &got);
  });
  void* h = Filled(kStream, 0, kTotal);
  EXPECT_EQ(a().Write(c, h, kTotal), static_cast<ssize_t>(kTotal));
  EXPECT_EQ(a().zc_mbufs_outstanding(), 0u);
  // With SO_SNDTIMEO and a reader that stops, a blocking send returns what it queued.
  a().set_poll_once([&] {
    Step();
    return true;
  });
  const timeval tv{0, 200000};
  ASSERT_EQ(a().SetSockOpt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv), 0);
  h = Filled(kStream, kTotal, kTotal);
  const ssize_t part = a().Write(c, h, kTotal);
  EXPECT_GT(part, 0);
  EXPECT_LT(part, static_cast<ssize_t>(kTotal));
  a().set_poll_once(nullptr);
  const size_t want = kTotal + static_cast<size_t>(part);
  ASSERT_TRUE(Until([&] { return ReadAndCheck(srv, kStream, &got) && got == want; }));
  EXPECT_EQ(a().ZcMbufFree(h), 0);  // the rest is not sent
  CloseAndDrain(c, srv);
}

TEST_F(ZeroCopySendTest, UdpAndSocketpairCopyTheBytes) {
  StartClean();
  const int rx = b().Socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  const sockaddr_in any = Sockaddr(Ipv4Addr::Any(), 5000);
  ASSERT_EQ(b().Bind(rx, reinterpret_cast<const sockaddr*>(&any), sizeof any), 0);
  const int tx = a().Socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  const sockaddr_in to = Sockaddr(kAddrB, 5000);
  void* h = Filled(3, 0, 1200);
  const auto* dst = reinterpret_cast<const sockaddr*>(&to);
  EXPECT_EQ(a().SendTo(tx, h, 500, 0, dst, sizeof to), 500);  // one datagram per call
  EXPECT_EQ(a().SendTo(tx, h, 700, 0, dst, sizeof to), 700);
  EXPECT_EQ(a().zc_mbufs_outstanding(), 0u);
  std::vector<uint8_t> in(2000);
  size_t got = 0;
  for (const size_t want : {500u, 700u}) {
    ssize_t n = -1;
    ASSERT_TRUE(Until([&] { return (n = b().Read(rx, in.data(), in.size())) != -EAGAIN; }));
    ASSERT_EQ(n, static_cast<ssize_t>(want));
    for (size_t j = 0; j < want; ++j) ASSERT_EQ(in[j], StreamByte(3, got + j));
    got += want;
  }
  int sv[2];
  ASSERT_EQ(a().Socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  h = Filled(4, 0, 3000);
  EXPECT_EQ(a().Write(sv[0], h, 3000), 3000);
  ASSERT_EQ(a().Read(sv[1], in.data(), in.size()), 2000);
  for (size_t j = 0; j < 2000; ++j) ASSERT_EQ(in[j], StreamByte(4, j));
  EXPECT_EQ(a().zc_mbufs_outstanding(), 0u);
  for (const int fd : {sv[0], sv[1], tx}) EXPECT_EQ(a().Close(fd), 0);
  EXPECT_EQ(b().Close(rx), 0);
}

TEST_F(ZeroCopySendTest, WrongArgumentsStaleAndForgedHandles) {
  StartClean();
  const unsigned start = Pool().available();
  void* h = nullptr;
  EXPECT_EQ(a().ZcMbufGet(0, &h), -EINVAL);
  EXPECT_EQ(a().ZcMbufGet(-1, &h), -EINVAL);
  EXPECT_EQ(a().ZcMbufGet(int64_t{INT_MAX} + 1, &h), -EINVAL);
  EXPECT_EQ(a().ZcMbufGet(100, nullptr), -EINVAL);
  EXPECT_EQ(Pool().available(), start);
  ASSERT_EQ(a().ZcMbufGet(100, &h), 0);
  const uint8_t d[200] = {};
  EXPECT_EQ(a().ZcMbufWrite(h, d, -1), -EINVAL);
  EXPECT_EQ(a().ZcMbufWrite(h, nullptr, 10), -EFAULT);
  EXPECT_EQ(a().ZcMbufWrite(h, d, 0), 0);
  EXPECT_EQ(a().ZcMbufWrite(h, d, 101), -EINVAL);  // past the room: nothing written
  EXPECT_EQ(a().ZcMbufWrite(h, d, 60), 60);
  EXPECT_EQ(a().ZcMbufWrite(h, d, 41), -EINVAL);
  EXPECT_EQ(a().ZcMbufWrite(h, d, 40), 40);
  EXPECT_EQ(a().ZcMbufWrite(nullptr, d, 1), -EINVAL);
  EXPECT_EQ(a().ZcMbufWrite(d, d, 1), -EINVAL);  // application memory is no handle
  // Forged handles: neighbours of a real one, another generation, a slot never handed out.
  auto* forged = static_cast<uint8_t*>(h);
  const uintptr_t v = reinterpret_cast<uintptr_t>(h);
  for (void* f :
       {static_cast<void*>(forged + 1), static_cast<void*>(forged + (1 << 24)),
        reinterpret_cast<void*>(v | (uintptr_t{1} << 50)), reinterpret_cast<void*>(v + 4096)}) {
    EXPECT_EQ(a().ZcMbufWrite(f, d, 1), -EINVAL);
    EXPECT_EQ(a().ZcMbufFree(f), -EINVAL);
  }
  const auto conn = Connect();
  const int c = conn.first, srv = conn.second;      // lambdas cannot capture bindings (clang 14)
  EXPECT_EQ(a().Write(c, forged + 1, 1), -EINVAL);  // never dereferenced
  EXPECT_EQ(a().Write(c, h, 101), -EINVAL);         // more than was written
  EXPECT_EQ(a().Write(999, h, 1), -EBADF);
  const int fresh = a().Socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_EQ(a().Write(fresh, h, 100), -EPIPE);  // not connected: the handle stays valid
  EXPECT_EQ(a().SendTo(c, h, 10, MSG_OOB, nullptr, 0), -EOPNOTSUPP);
  // A handle is no memory for reading or for scatter/gather calls (Linux: bad address).
  const iovec iov{h, 10};
  EXPECT_EQ(a().WriteV(c, &iov, 1), -EFAULT);
  EXPECT_EQ(a().ReadV(srv, &iov, 1), -EFAULT);
  EXPECT_EQ(b().Read(srv, h, 10), -EFAULT);
  // Sent in two parts: the handle lives until its last written byte is taken.
  EXPECT_EQ(a().Write(c, h, 30), 30);
  EXPECT_EQ(a().zc_mbufs_outstanding(), 1u);
  EXPECT_EQ(a().Write(c, h, 71), -EINVAL);
  EXPECT_EQ(a().Write(c, h, 70), 70);
  EXPECT_EQ(a().zc_mbufs_outstanding(), 0u);
  EXPECT_EQ(a().Write(c, h, 1), -EINVAL);  // stale
  EXPECT_EQ(a().ZcMbufWrite(h, d, 1), -EINVAL);
  EXPECT_EQ(a().ZcMbufFree(h), -EINVAL);
  // A new buffer may reuse the slot; the old handle still does not name it.
  void* h2 = nullptr;
  ASSERT_EQ(a().ZcMbufGet(10, &h2), 0);
  EXPECT_NE(h2, h);
  EXPECT_EQ(a().ZcMbufWrite(h, d, 1), -EINVAL);
  EXPECT_EQ(a().ZcMbufFree(h2), 0);
  size_t got = 0;
  std::vector<uint8_t> in(200);
  ASSERT_TRUE(Until([&] {
    const ssize_t n = b().Read(srv, in.data(), in.size());
    if (n > 0) got += static_cast<size_t>(n);
    return got == 100;
  }));
  EXPECT_EQ(a().Close(fresh), 0);
  CloseAndDrain(c, srv);
  EXPECT_EQ(Pool().available(), free_at_start_);
}

TEST_F(ZeroCopySendTest, ExhaustedPoolGivesEnomemAndLeaksNothing) {
  StartClean();
  const unsigned start = Pool().available();
  void* h = nullptr;
  EXPECT_EQ(a().ZcMbufGet(INT_MAX, &h), -ENOMEM);  // far more than the pool
  EXPECT_EQ(Pool().available(), start);
  std::vector<void*> held;
  int rc;
  while ((rc = a().ZcMbufGet(64 * 1024, &h)) == 0) held.push_back(h);
  EXPECT_EQ(rc, -ENOMEM);
  EXPECT_GT(held.size(), 100u);
  // A quarter of the pool stays for the stack (less than one more buffer's worth above it).
  const unsigned reserve = PacketPool::Capacity(Pool().get()) / 4;
  EXPECT_GE(Pool().available(), reserve);
  EXPECT_LT(Pool().available(), reserve + 32);
  EXPECT_EQ(a().zc_mbufs_outstanding(), held.size());
  // The stack still works with what is left: a small transfer.
  const auto conn = Connect();
  const int c = conn.first, srv = conn.second;  // lambdas cannot capture bindings (clang 14)
  const uint8_t hello[5] = {'h', 'e', 'l', 'l', 'o'};
  ASSERT_EQ(a().Write(c, hello, 5), 5);
  uint8_t in[8];
  ssize_t n = -1;
  ASSERT_TRUE(Until([&] { return (n = b().Read(srv, in, sizeof in)) != -EAGAIN; }));
  EXPECT_EQ(n, 5);
  for (void* x : held) EXPECT_EQ(a().ZcMbufFree(x), 0);
  EXPECT_EQ(a().zc_mbufs_outstanding(), 0u);
  CloseAndDrain(c, srv);
  EXPECT_EQ(Pool().available(), free_at_start_);
}

TEST_F(ZeroCopySendTest, BuffersLeftOutstandingAreFreedWithTheSocketApi) {
  StartClean();
  void* h = nullptr;
  ASSERT_EQ(a().ZcMbufGet(50000, &h), 0);
  ASSERT_EQ(a().ZcMbufGet(10, &h), 0);
  EXPECT_EQ(a().ZcMbufWrite(h, "abc", 3), 3);
  EXPECT_LT(Pool().available(), free_at_start_ - 20);
  // TearDown destroys the stacks and checks the pool.
}

}  // namespace
}  // namespace ustack::sim
