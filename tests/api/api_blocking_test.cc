// Blocking calls on both backends: SO_RCVTIMEO / SO_SNDTIMEO end a wait with EAGAIN (or a
// partial count) once the timeout passes, accept honours SO_RCVTIMEO, a blocking connect to a
// closed port fails with ECONNREFUSED, MSG_DONTWAIT makes one call non-blocking.
#include <sys/time.h>

#include <vector>

#include "api_fixture.h"

namespace ustack::api {
namespace {

using ApiBlockingTest = ApiTest;

constexpr Duration kTimeout = Duration::Millis(20);  // a whole number of jiffies at any HZ
const timeval kTv{0, 20000};

TEST_P(ApiBlockingTest, RecvTimeoutGivesEagain) {
  const auto [c, s] = Pair();
  ASSERT_EQ(sv().SetSockOpt(s, SOL_SOCKET, SO_RCVTIMEO, &kTv, sizeof kTv), 0);
  timeval got{};
  socklen_t len = sizeof got;
  ASSERT_EQ(sv().GetSockOpt(s, SOL_SOCKET, SO_RCVTIMEO, &got, &len), 0);
  EXPECT_EQ(len, sizeof got);
  EXPECT_EQ(got.tv_sec, 0);
  EXPECT_EQ(got.tv_usec, 20000);
  char buf[16];
  const Instant start = net().Now();
  EXPECT_EQ(sv().Read(s, buf, sizeof buf), -EAGAIN);
  ExpectWaited(start, kTimeout);
  // Data already in flight ends the wait at once.
  ASSERT_EQ(cl().Write(c, "abc", 3), 3);
  EXPECT_EQ(sv().Read(s, buf, sizeof buf), 3);
}

TEST_P(ApiBlockingTest, BadTimevalFailsWithEdom) {
  const auto [c, s] = Pair();
  const timeval bad{0, 1000000};
  EXPECT_EQ(sv().SetSockOpt(s, SOL_SOCKET, SO_RCVTIMEO, &bad, sizeof bad), -EDOM);
  EXPECT_EQ(sv().SetSockOpt(s, SOL_SOCKET, SO_SNDTIMEO, &kTv, sizeof kTv - 1), -EINVAL);
  (void)c;
}

TEST_P(ApiBlockingTest, SendTimeoutGivesPartialCountThenEagain) {
  uint16_t port = 0;
  const int lfd = Listener(&port);
  // Small fixed buffers (no autosizing, on either stack) keep the whole write from fitting.
  ASSERT_EQ(sv().SetInt(lfd, SOL_SOCKET, SO_RCVBUF, 32 * 1024), 0);
  const auto [c, s] = PairVia(lfd, port);
  ASSERT_EQ(cl().SetInt(c, SOL_SOCKET, SO_SNDBUF, 32 * 1024), 0);
  ASSERT_EQ(cl().SetSockOpt(c, SOL_SOCKET, SO_SNDTIMEO, &kTv, sizeof kTv), 0);
  std::vector<char> big(8 << 20, 'x');
  Instant start = net().Now();
  const ssize_t n = cl().Write(c, big.data(), big.size());
  EXPECT_GT(n, 0);
  EXPECT_LT(n, static_cast<ssize_t>(big.size()));
  ExpectWaited(start, kTimeout);
  // Once nothing fits any more, the whole timeout passes and the call fails with EAGAIN (the
  // kernel may still find room for a few more bytes by compacting its receive queue).
  ssize_t again = 0;
  for (int i = 0; i < 20; ++i) {
    start = net().Now();
    again = cl().Write(c, big.data(), big.size());
    if (again < 0) break;
  }
  EXPECT_EQ(again, -EAGAIN);
  ExpectWaited(start, kTimeout);
  (void)s;
}

TEST_P(ApiBlockingTest, AcceptTimeoutGivesEagain) {
  uint16_t port = 0;
  const int lfd = Listener(&port);
  ASSERT_EQ(sv().SetSockOpt(lfd, SOL_SOCKET, SO_RCVTIMEO, &kTv, sizeof kTv), 0);
  const Instant start = net().Now();
  EXPECT_EQ(sv().Accept(lfd), -EAGAIN);
  ExpectWaited(start, kTimeout);
}

TEST_P(ApiBlockingTest, ConnectToClosedPortIsRefused) {
  const uint16_t port = ClosedPort();
  const int c = cl().Socket(AF_INET, SOCK_STREAM, 0);
  const sockaddr_in to = net().ServerAddr(port);
  EXPECT_EQ(cl().Connect(c, Sa(to), sizeof to), -ECONNREFUSED);
  int err = -1;
  EXPECT_EQ(cl().GetInt(c, SOL_SOCKET, SO_ERROR, &err), 0);
  EXPECT_EQ(err, 0);  // the error was reported by connect itself
}

TEST_P(ApiBlockingTest, DontwaitMakesOneCallNonBlocking) {
  const auto [c, s] = Pair();
  char buf[8];
  const Instant start = net().Now();
  EXPECT_EQ(sv().Recv(s, buf, sizeof buf, MSG_DONTWAIT), -EAGAIN);
  EXPECT_LT(net().Now() - start, Duration::Millis(100));  // did not block
  EXPECT_EQ(sv().Fcntl(s, F_GETFL, 0) & O_NONBLOCK, 0);   // the socket stays blocking
  ASSERT_EQ(cl().Send(c, "hi", 2, MSG_DONTWAIT), 2);
  EXPECT_EQ(sv().Read(s, buf, sizeof buf), 2);
}

TEST_P(ApiBlockingTest, BlockingReadSeesEndOfStream) {
  const auto [c, s] = Pair();
  ASSERT_EQ(cl().Write(c, "bye", 3), 3);
  ASSERT_EQ(cl().Close(c), 0);
  char buf[8];
  EXPECT_EQ(sv().Read(s, buf, sizeof buf), 3);
  EXPECT_EQ(sv().Read(s, buf, sizeof buf), 0);
  EXPECT_EQ(sv().Read(s, buf, sizeof buf), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiBlockingTest, ::testing::Values("ustack", "kernel"),
                         BackendName);

}  // namespace
}  // namespace ustack::api
