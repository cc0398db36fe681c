// epoll on both backends: level- and edge-triggered reporting, EPOLLONESHOT with re-arm by
// EPOLL_CTL_MOD, EPOLLRDHUP on the peer's shutdown(SHUT_WR), one socket in several epoll
// sets, EPOLLEXCLUSIVE's rules, errors and ready listeners. Event masks are compared whole.
#include "api_fixture.h"

namespace ustack::api {
namespace {

using ApiEpollTest = ApiTest;

epoll_event Ev(uint32_t events, int fd) {
  epoll_event e{};
  e.events = events;
  e.data.fd = fd;
  return e;
}

TEST_P(ApiEpollTest, LevelTriggeredReportsUntilDrained) {
  const auto [c, s] = Pair();
  const int ep = sv().EpollCreate();
  epoll_event ev = Ev(EPOLLIN, s);
  ASSERT_EQ(sv().EpollCtl(ep, EPOLL_CTL_ADD, s, &ev), 0);
  epoll_event out[4];
  EXPECT_EQ(sv().EpollWait(ep, out, 4, 0), 0);
  ASSERT_EQ(cl().Write(c, "hello", 5), 5);
  ASSERT_EQ(sv().EpollWait(ep, out, 4, 2000), 1);
  EXPECT_EQ(out[0].events, EPOLLIN);
  EXPECT_EQ(out[0].data.fd, s);
  EXPECT_EQ(sv().EpollWait(ep, out, 4, 0), 1);  // still readable
  char buf[8];
  ASSERT_EQ(sv().Read(s, buf, 2), 2);
  EXPECT_EQ(sv().EpollWait(ep, out, 4, 0), 1);  // partly read: still readable
  ASSERT_EQ(sv().Read(s, buf, sizeof buf), 3);
  EXPECT_EQ(sv().EpollWait(ep, out, 4, 0), 0);
}

TEST_P(ApiEpollTest, EdgeTriggeredReportsEachArrivalOnce) {
  const auto [c, s] = Pair();
  const int ep = sv().EpollCreate();
  epoll_event ev = Ev(EPOLLIN | EPOLLET, s);
  ASSERT_EQ(sv().EpollCtl(ep, EPOLL_CTL_ADD, s, &ev), 0);
  epoll_event out[4];
  ASSERT_EQ(cl().Write(c, "a", 1), 1);
  ASSERT_EQ(sv().EpollWait(ep, out, 4, 2000), 1);
  EXPECT_EQ(out[0].events, EPOLLIN);
  net().Settle();
  EXPECT_EQ(sv().EpollWait(ep, out, 4, 0), 0);  // not read, but no new edge
  ASSERT_EQ(cl().Write(c, "b", 1), 1);          // new data: a new edge
  ASSERT_EQ(sv().EpollWait(ep, out, 4, 2000), 1);
  EXPECT_EQ(sv().EpollWait(ep, out, 4, 0), 0);
  char buf[4];
  EXPECT_EQ(sv().Read(s, buf, sizeof buf), 2);
}

TEST_P(ApiEpollTest, OneShotDisablesUntilModRearms) {
  const auto [c, s] = Pair();
  const int ep = sv().EpollCreate();
  epoll_event ev = Ev(EPOLLIN | EPOLLONESHOT, s);
  ASSERT_EQ(sv().EpollCtl(ep, EPOLL_CTL_ADD, s, &ev), 0);
  ASSERT_EQ(cl().Write(c, "x", 1), 1);
  epoll_event out[2];
  ASSERT_EQ(sv().EpollWait(ep, out, 2, 2000), 1);
  EXPECT_EQ(sv().EpollWait(ep, out, 2, 0), 0);
  ASSERT_EQ(cl().Write(c, "y", 1), 1);  // more data does not wake a disabled watch
  net().Settle();
  EXPECT_EQ(sv().EpollWait(ep, out, 2, 0), 0);
  ASSERT_EQ(sv().EpollCtl(ep, EPOLL_CTL_MOD, s, &ev), 0);  // re-arm: still readable
  ASSERT_EQ(sv().EpollWait(ep, out, 2, 0), 1);
  EXPECT_EQ(out[0].events, EPOLLIN);
  EXPECT_EQ(sv().EpollWait(ep, out, 2, 0), 0);
  EXPECT_EQ(sv().EpollCtl(ep, EPOLL_CTL_ADD, s, &ev), -EEXIST);
  EXPECT_EQ(sv().EpollCtl(ep, EPOLL_CTL_DEL, s, nullptr), 0);
  EXPECT_EQ(sv().EpollCtl(ep, EPOLL_CTL_DEL, s, nullptr), -ENOENT);
  EXPECT_EQ(sv().EpollCtl(ep, EPOLL_CTL_MOD, s, &ev), -ENOENT);
}

TEST_P(ApiEpollTest, PeerShutdownGivesRdHup) {
  const auto [c, s] = Pair();
  const int ep = sv().EpollCreate();
  epoll_event ev = Ev(EPOLLIN | EPOLLOUT | EPOLLRDHUP, s);
  ASSERT_EQ(sv().EpollCtl(ep, EPOLL_CTL_ADD, s, &ev), 0);
  epoll_event out[2];
  ASSERT_EQ(sv().EpollWait(ep, out, 2, 0), 1);
  EXPECT_EQ(out[0].events, EPOLLOUT);
  ASSERT_EQ(cl().Shutdown(c, SHUT_WR), 0);
  ASSERT_TRUE(
      Until([&] { return sv().EpollWait(ep, out, 2, 0) == 1 && out[0].events != EPOLLOUT; }));
  EXPECT_EQ(out[0].events, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
  char buf[4];
  EXPECT_EQ(sv().Read(s, buf, sizeof buf), 0);
  // Half-close: the server still writes, the client still reads.
  ASSERT_EQ(sv().Write(s, "ok", 2), 2);
  EXPECT_EQ(cl().Read(c, buf, sizeof buf), 2);
  // The server shuts down too: both directions closed.
  ASSERT_EQ(sv().Shutdown(s, SHUT_WR), 0);
  ASSERT_TRUE(
      Until([&] { return sv().EpollWait(ep, out, 2, 0) == 1 && (out[0].events & EPOLLHUP) != 0; }));
  EXPECT_EQ(out[0].events, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLHUP);
}

TEST_P(ApiEpollTest, OneSocketInSeveralSets) {
  const auto [c, s] = Pair();
  const int lt = sv().EpollCreate();
  const int et = sv().EpollCreate();
  const int out_only = sv().EpollCreate();
  epoll_event ev = Ev(EPOLLIN, s);
  ASSERT_EQ(sv().EpollCtl(lt, EPOLL_CTL_ADD, s, &ev), 0);
  ev.events = EPOLLIN | EPOLLET;
  ev.data.u64 = 0x1122334455667788ULL;
  ASSERT_EQ(sv().EpollCtl(et, EPOLL_CTL_ADD, s, &ev), 0);
  ev = Ev(EPOLLOUT, s);
  ASSERT_EQ(sv().EpollCtl(out_only, EPOLL_CTL_ADD, s, &ev), 0);
  ASSERT_EQ(cl().Write(c, "x", 1), 1);
  epoll_event out[2];
  ASSERT_EQ(sv().EpollWait(lt, out, 2, 2000), 1);
  ASSERT_EQ(sv().EpollWait(et, out, 2, 0), 1);
  EXPECT_EQ(out[0].data.u64, 0x1122334455667788ULL);
  EXPECT_EQ(sv().EpollWait(lt, out, 2, 0), 1);
  EXPECT_EQ(sv().EpollWait(et, out, 2, 0), 0);
  ASSERT_EQ(sv().EpollWait(out_only, out, 2, 0), 1);
  EXPECT_EQ(out[0].events, EPOLLOUT);
  // Closing the socket removes it from every set.
  ASSERT_EQ(sv().Close(s), 0);
  EXPECT_EQ(sv().EpollWait(lt, out, 2, 0), 0);
  EXPECT_EQ(sv().EpollWait(out_only, out, 2, 0), 0);
}

TEST_P(ApiEpollTest, ExclusiveRules) {
  const auto [c, s] = Pair();
  const int ep = sv().EpollCreate();
  epoll_event ev = Ev(EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, s);
  EXPECT_EQ(sv().EpollCtl(ep, EPOLL_CTL_ADD, s, &ev), -EINVAL);
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLEXCLUSIVE;
  EXPECT_EQ(sv().EpollCtl(ep, EPOLL_CTL_ADD, s, &ev), -EINVAL);
  ev.events = EPOLLIN | EPOLLET | EPOLLEXCLUSIVE;
  ASSERT_EQ(sv().EpollCtl(ep, EPOLL_CTL_ADD, s, &ev), 0);
  ev.events = EPOLLIN;
  EXPECT_EQ(sv().EpollCtl(ep, EPOLL_CTL_MOD, s, &ev), -EINVAL);  // exclusive watches stay
  ev.events = EPOLLIN | EPOLLEXCLUSIVE;
  EXPECT_EQ(sv().EpollCtl(ep, EPOLL_CTL_MOD, s, &ev), -EINVAL);
  ASSERT_EQ(cl().Write(c, "x", 1), 1);
  epoll_event out[2];
  ASSERT_EQ(sv().EpollWait(ep, out, 2, 2000), 1);
  EXPECT_EQ(out[0].events, EPOLLIN);
  EXPECT_EQ(sv().EpollCtl(ep, EPOLL_CTL_DEL, s, nullptr), 0);
}

TEST_P(ApiEpollTest, ErrorsMatchLinux) {
  const auto [c, s] = Pair();
  const int ep = sv().EpollCreate();
  epoll_event ev = Ev(EPOLLIN, s);
  epoll_event out[2];
  EXPECT_EQ(sv().EpollCtl(ep, EPOLL_CTL_ADD, 999, &ev), -EBADF);
  EXPECT_EQ(sv().EpollCtl(999, EPOLL_CTL_ADD, s, &ev), -EBADF);
  EXPECT_EQ(sv().EpollCtl(s, EPOLL_CTL_ADD, s, &ev), -EINVAL);  // not an epoll fd
  EXPECT_EQ(sv().EpollCtl(ep, EPOLL_CTL_ADD, ep, &ev), -EINVAL);
  EXPECT_EQ(sv().EpollCtl(ep, 99, s, &ev), -EINVAL);
  EXPECT_EQ(sv().EpollWait(ep, out, 0, 0), -EINVAL);
  EXPECT_EQ(sv().EpollWait(999, out, 2, 0), -EBADF);
  EXPECT_EQ(sv().EpollWait(s, out, 2, 0), -EINVAL);
  const Instant start = net().Now();
  EXPECT_EQ(sv().EpollWait(ep, out, 2, 20), 0);
  ExpectWaited(start, Duration::Millis(20));
  (void)c;
}

TEST_P(ApiEpollTest, ErrorAndHangupAreAlwaysReported) {
  const auto [c, s] = Pair();
  const int ep = sv().EpollCreate();
  epoll_event ev = Ev(0, s);  // nothing asked for
  ASSERT_EQ(sv().EpollCtl(ep, EPOLL_CTL_ADD, s, &ev), 0);
  const linger abort_close{1, 0};
  ASSERT_EQ(cl().SetSockOpt(c, SOL_SOCKET, SO_LINGER, &abort_close, sizeof abort_close), 0);
  ASSERT_EQ(cl().Close(c), 0);  // sends RST
  epoll_event out[2];
  ASSERT_EQ(sv().EpollWait(ep, out, 2, 2000), 1);
  EXPECT_EQ(out[0].events, EPOLLERR | EPOLLHUP);
  char buf[4];
  EXPECT_EQ(sv().Read(s, buf, sizeof buf), -ECONNRESET);
  EXPECT_EQ(sv().Read(s, buf, sizeof buf), 0);
}

TEST_P(ApiEpollTest, ListenerReadableWhileConnectionsWait) {
  uint16_t port = 0;
  const int lfd = Listener(&port);
  const int ep = sv().EpollCreate();
  epoll_event ev = Ev(EPOLLIN | EPOLLOUT, lfd);
  ASSERT_EQ(sv().EpollCtl(ep, EPOLL_CTL_ADD, lfd, &ev), 0);
  epoll_event out[2];
  EXPECT_EQ(sv().EpollWait(ep, out, 2, 0), 0);  // a listener is never writable
  const int c = cl().Socket(AF_INET, SOCK_STREAM, 0);
  const sockaddr_in to = net().ServerAddr(port);
  ASSERT_EQ(cl().Connect(c, Sa(to), sizeof to), 0);
  ASSERT_EQ(sv().EpollWait(ep, out, 2, 2000), 1);
  EXPECT_EQ(out[0].events, EPOLLIN);
  ASSERT_GE(sv().Accept(lfd), 0);
  EXPECT_EQ(sv().EpollWait(ep, out, 2, 0), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiEpollTest, ::testing::Values("ustack", "kernel"),
                         BackendName);

}  // namespace
}  // namespace ustack::api
