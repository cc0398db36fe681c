// Zero-copy receive (SocketApi::ZcRecv / ZcRecvDone, ustack only: the kernel has no such
// call) over two simulated stacks: data integrity across many segments, buffers given back in
// any order, stale and unknown handles refused, buffers that outlive their socket, and the
// mbuf pool's free count back where it started once everything is given back or the
// SocketApi is destroyed. Plus the copy fallback for a chunk that spans several mbufs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "buf/test_eal.h"
#include "sim_harness.h"
#include "socket/zero_copy.h"

namespace ustack::sim {
namespace {

constexpr uint64_t kSeed = 7;  // stream seed of the test data (the link is clean)

PacketPool& Pool() {
  static PacketPool pool("zc_pool", 8191);  // test fixture state
  return pool;
}

class ZeroCopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitTestEal());
    free_at_start_ = Pool().available();
    Impairment clean;
    clean.delay = Duration::Micros(20);
    s_ = std::make_unique<TwoStacks>(Pool().get(), kSeed, clean);
  }
  bool Until(const std::function<bool()>& pred) {
    return s_->RunUntil(pred, Duration::Seconds(10));
  }
  // A connected pair {client on A, server on B}, both non-blocking.
  std::pair<int, int> Connect(uint16_t port = 80) {
    SocketApi& b = s_->b();
    const int lfd = b.Socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    const sockaddr_in any = Sockaddr(Ipv4Addr::Any(), port);
    EXPECT_EQ(b.Bind(lfd, reinterpret_cast<const sockaddr*>(&any), sizeof any), 0);
    EXPECT_EQ(b.Listen(lfd, 4), 0);
    const int c = s_->a().Socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    const sockaddr_in to = Sockaddr(kAddrB, port);
    EXPECT_EQ(s_->a().Connect(c, reinterpret_cast<const sockaddr*>(&to), sizeof to), -EINPROGRESS);
    int srv = -1;
    EXPECT_TRUE(
        Until([&] { return (srv = b.Accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK)) >= 0; }));
    return {c, srv};
  }
  // Sends `total` stream bytes from A while B takes them with ZcRecv (iovcnt per call),
  // checking every byte; the lent buffers are kept in *held. Returns the bytes received.
  size_t Transfer(int c, int srv, size_t total, int iovcnt, std::vector<ZcIov>* held) {
    std::vector<uint8_t> out(16 * 1024);
    size_t sent = 0, got = 0;
    std::vector<ZcIov> iov(static_cast<size_t>(iovcnt));
    Until([&] {
      while (sent < total) {
        const size_t n = std::min(out.size(), total - sent);
        for (size_t i = 0; i < n; ++i) out[i] = StreamByte(kSeed, sent + i);
        const ssize_t w = s_->a().Write(c, out.data(), n);
        if (w <= 0) break;
        sent += static_cast<size_t>(w);
      }
      ssize_t k;
      while ((k = s_->b().ZcRecv(srv, iov.data(), iovcnt, 0)) > 0) {
        for (ssize_t i = 0; i < k; ++i) {
          const ZcIov& z = iov[static_cast<size_t>(i)];
          const auto* p = static_cast<const uint8_t*>(z.base);
          for (size_t j = 0; j < z.len; ++j) {
            if (p[j] != StreamByte(kSeed, got + j)) {
              ADD_FAILURE() << "byte " << got + j << " differs (seed " << kSeed << ")";
              return true;
            }
          }
          got += z.len;
          held->push_back(z);
        }
      }
      EXPECT_EQ(k, -EAGAIN);
      return got == total;
    });
    return got;
  }

  unsigned free_at_start_ = 0;
  std::unique_ptr<TwoStacks> s_;
};

TEST_F(ZeroCopyTest, ManySegmentsArriveIntactWhileBuffersAreHeld) {
  const auto conn = Connect();
  const int c = conn.first, srv = conn.second;  // lambdas cannot capture bindings (clang 14)
  std::vector<ZcIov> held;
  constexpr size_t kTotal = 1 << 20;  // ~720 segments, far more than the 256 KiB window
  ASSERT_EQ(Transfer(c, srv, kTotal, 8, &held), kTotal);
  // Holding buffers did not stall the sender: lent bytes count as read.
  EXPECT_EQ(s_->b().zc_outstanding(), held.size());
  EXPECT_GT(held.size(), 700u);
  EXPECT_LT(Pool().available(), free_at_start_ - held.size() + 1);
  // Given back newest first, then the rest from the front: any order is fine.
  std::reverse(held.begin(), held.begin() + static_cast<long>(held.size() / 2));
  for (const ZcIov& z : held) ASSERT_EQ(s_->b().ZcRecvDone(&z, 1), 0);
  EXPECT_EQ(s_->b().zc_outstanding(), 0u);
  // Zero-copy and copying reads share one stream.
  const uint8_t tail[3] = {1, 2, 3};
  ASSERT_EQ(s_->a().Write(c, tail, 3), 3);
  uint8_t buf[8];
  ssize_t n = -1;
  ASSERT_TRUE(Until([&] { return (n = s_->b().Read(srv, buf, sizeof buf)) != -EAGAIN; }));
  EXPECT_EQ(n, 3);
  ASSERT_EQ(s_->a().Shutdown(c, SHUT_WR), 0);
  ZcIov z[2];
  ASSERT_TRUE(Until([&] { return (n = s_->b().ZcRecv(srv, z, 2, 0)) != -EAGAIN; }));
  EXPECT_EQ(n, 0);  // end of stream
}

TEST_F(ZeroCopyTest, StaleAndUnknownHandlesAreRefused) {
  const auto [c, srv] = Connect();
  std::vector<ZcIov> held;
  ASSERT_EQ(Transfer(c, srv, 20000, 4, &held), 20000u);
  ASSERT_GE(held.size(), 3u);
  const ZcIov first = held[0];
  EXPECT_EQ(s_->b().ZcRecvDone(held.data(), static_cast<int>(held.size())), 0);
  EXPECT_EQ(s_->b().ZcRecvDone(&first, 1), -EINVAL);  // returned already
  ZcIov bogus{nullptr, 0, 0};
  EXPECT_EQ(s_->b().ZcRecvDone(&bogus, 1), -EINVAL);
  bogus.handle = (uint64_t{1} << 32) | 100000;
  EXPECT_EQ(s_->b().ZcRecvDone(&bogus, 1), -EINVAL);
  // A new loan may reuse the slot; the old handle still does not name it.
  std::vector<ZcIov> again;
  ASSERT_EQ(Transfer(c, srv, 5000, 1, &again), 5000u);
  EXPECT_EQ(s_->b().ZcRecvDone(&first, 1), -EINVAL);
  EXPECT_EQ(s_->b().ZcRecvDone(again.data(), static_cast<int>(again.size())), 0);
  EXPECT_EQ(s_->b().zc_outstanding(), 0u);
  // Wrong arguments.
  ZcIov z;
  EXPECT_EQ(s_->b().ZcRecv(srv, &z, 0, 0), -EINVAL);
  EXPECT_EQ(s_->b().ZcRecv(srv, nullptr, 1, 0), -EFAULT);
  EXPECT_EQ(s_->b().ZcRecv(999, &z, 1, 0), -EBADF);
  EXPECT_EQ(s_->b().ZcRecv(srv, &z, 1, 0), -EAGAIN);
  const int u = s_->b().Socket(AF_INET, SOCK_DGRAM, 0);
  EXPECT_EQ(s_->b().ZcRecv(u, &z, 1, 0), -EOPNOTSUPP);
  const int ep = s_->b().EpollCreate();
  EXPECT_EQ(s_->b().ZcRecv(ep, &z, 1, 0), -ENOTSOCK);
  const int fresh = s_->b().Socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_EQ(s_->b().ZcRecv(fresh, &z, 1, 0), -ENOTCONN);
}

TEST_F(ZeroCopyTest, BuffersOutliveTheirSocketAndAllMbufsComeBack) {
  {
    const auto [c, srv] = Connect();
    std::vector<ZcIov> held;
    ASSERT_EQ(Transfer(c, srv, 200000, 16, &held), 200000u);
    ASSERT_EQ(s_->b().Close(srv), 0);
    ASSERT_EQ(s_->a().Close(c), 0);
    ASSERT_TRUE(s_->RunUntil(  // past TIME_WAIT: the connections are gone
        [&] {
          return s_->stack_a().tcp().connection_count() == 0 &&
                 s_->stack_b().tcp().connection_count() == 0;
        },
        Duration::Seconds(150)));
    // Still readable after close.
    size_t off = 0;
    for (const ZcIov& z : held) {
      const auto* p = static_cast<const uint8_t*>(z.base);
      for (size_t j = 0; j < z.len; ++j) ASSERT_EQ(p[j], StreamByte(kSeed, off + j));
      off += z.len;
    }
    EXPECT_LE(Pool().available() + held.size(), free_at_start_);
    EXPECT_EQ(s_->b().ZcRecvDone(held.data(), static_cast<int>(held.size())), 0);
    // Another transfer whose buffers are never given back: the SocketApi frees them.
    const auto [c2, srv2] = Connect(81);
    std::vector<ZcIov> leaked;
    ASSERT_EQ(Transfer(c2, srv2, 100000, 16, &leaked), 100000u);
    EXPECT_GT(s_->b().zc_outstanding(), 0u);
  }
  s_.reset();
  EXPECT_EQ(Pool().available(), free_at_start_);
}

TEST(ZcBuffersTest, MultiSegmentChunkIsCopiedOnce) {
  ASSERT_TRUE(InitTestEal());
  const unsigned before = Pool().available();
  {
    std::vector<uint8_t> a(100), b(60);
    for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<uint8_t>(i);
    for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(200 + i);
    Packet head = Packet::FromBytes(Pool().get(), a);
    ASSERT_TRUE(head.Chain(Packet::FromBytes(Pool().get(), b)));
    ASSERT_FALSE(head.contiguous());
    ZcBuffers zc;
    ZcIov iov{};
    zc.Lend(RecvChunk{std::move(head), 90, 30}, &iov);  // 10 bytes of a, 20 of b
    ASSERT_EQ(iov.len, 30u);
    const auto* p = static_cast<const uint8_t*>(iov.base);
    EXPECT_EQ(p[0], 90);
    EXPECT_EQ(p[10], 200);
    EXPECT_EQ(p[29], 219);
    EXPECT_EQ(Pool().available(), before);  // the mbufs went back at once
    Packet one = Packet::FromBytes(Pool().get(), a);
    const uint8_t* data = one.head().data();
    ZcIov direct{};
    zc.Lend(RecvChunk{std::move(one), 5, 50}, &direct);
    EXPECT_EQ(direct.base, data + 5);  // a single mbuf is lent in place
    EXPECT_EQ(zc.outstanding(), 2u);
    EXPECT_TRUE(zc.Return(direct.handle));
    EXPECT_FALSE(zc.Return(direct.handle));
    EXPECT_EQ(zc.outstanding(), 1u);
  }
  EXPECT_EQ(Pool().available(), before);
}

}  // namespace
}  // namespace ustack::sim
