// SocketApi over two simulated stacks: fd rules, errors with Linux errno values, and epoll
// semantics (level- and edge-triggered, one-shot, RDHUP, one socket in two epoll sets).
#include <gtest/gtest.h>

#include <netinet/tcp.h>

#include <string>

#include "buf/test_eal.h"
#include "sim_harness.h"

namespace ustack::sim {
namespace {

rte_mempool* Pool() {
  static PacketPool pool("sock_pool", 8191);  // test fixture state
  return pool.get();
}

class SocketApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitTestEal());
    Impairment clean;
    clean.delay = Duration::Micros(20);
    s_ = std::make_unique<TwoStacks>(Pool(), 77, clean);
  }
  // Runs the simulation until `pred` holds (or 5 simulated seconds pass).
  bool Until(const std::function<bool()>& pred) { return s_->RunUntil(pred, Duration::Seconds(5)); }
  // Listens on B:port and returns the listening fd.
  int Listen(uint16_t port) {
    const int fd = s_->b().Socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = Sockaddr(Ipv4Addr::Any(), port);
    EXPECT_EQ(s_->b().Bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(s_->b().Listen(fd, 16), 0);
    return fd;
  }
  // Connects A to B:port and accepts on B; returns {client fd, server fd}.
  std::pair<int, int> Connected(int lfd, uint16_t port) {
    const int c = s_->a().Socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in ra = Sockaddr(kAddrB, port);
    EXPECT_EQ(s_->a().Connect(c, reinterpret_cast<sockaddr*>(&ra), sizeof ra), -EINPROGRESS);
    int srv = -1;
    EXPECT_TRUE(Until([&] {
      if (srv < 0) srv = s_->b().Accept(lfd, nullptr, nullptr);
      return srv >= 0;
    }));
    return {c, srv};
  }
  std::unique_ptr<TwoStacks> s_;
};

TEST_F(SocketApiTest, BadArgumentsGiveLinuxErrors) {
  SocketApi& a = s_->a();
  EXPECT_EQ(a.Socket(AF_INET6, SOCK_STREAM, 0), -EAFNOSUPPORT);
  EXPECT_EQ(a.Socket(AF_INET, SOCK_RAW, 0), -EINVAL);
  EXPECT_EQ(a.Read(1000, nullptr, 0), -EBADF);
  EXPECT_EQ(a.Close(1000), -EBADF);
  const int fd = a.Socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  char buf[4];
  EXPECT_EQ(a.Read(fd, buf, sizeof buf), -ENOTCONN);
  EXPECT_EQ(a.Write(fd, buf, sizeof buf), -EPIPE);  // Linux: never connected
  EXPECT_EQ(a.Accept(fd, nullptr, nullptr), -EINVAL);
  sockaddr_in bad = Sockaddr(Ipv4Addr::Of(1, 2, 3, 4), 80);
  EXPECT_EQ(a.Bind(fd, reinterpret_cast<sockaddr*>(&bad), sizeof bad), -EADDRNOTAVAIL);
  EXPECT_EQ(a.Bind(fd, reinterpret_cast<sockaddr*>(&bad), 4), -EINVAL);
  int one = 1;
  EXPECT_EQ(a.SetSockOpt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one), -ENOPROTOOPT);
  EXPECT_EQ(a.SetSockOpt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one), 0);
  int on = 0;
  socklen_t on_len = sizeof on;
  EXPECT_EQ(a.GetSockOpt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, &on_len), 0);
  EXPECT_EQ(on, 1);
  EXPECT_EQ(a.Close(fd), 0);
  EXPECT_EQ(a.Close(fd), -EBADF);
  // The lowest free descriptor is reused, as POSIX requires.
  EXPECT_EQ(a.Socket(AF_INET, SOCK_STREAM, 0), fd);
}

TEST_F(SocketApiTest, ConnectToClosedPortReportsRefused) {
  const int c = s_->a().Socket(AF_INET, SOCK_STREAM, 0);
  const int ep = s_->a().EpollCreate();
  epoll_event ev{.events = EPOLLOUT, .data = {.fd = c}};
  sockaddr_in ra = Sockaddr(kAddrB, 9);
  ASSERT_EQ(s_->a().Connect(c, reinterpret_cast<sockaddr*>(&ra), sizeof ra), -EINPROGRESS);
  ASSERT_EQ(s_->a().EpollCtl(ep, EPOLL_CTL_ADD, c, &ev), 0);
  epoll_event out[4];
  int n = 0;
  ASSERT_TRUE(Until([&] { return (n = s_->a().EpollWait(ep, out, 4)) > 0; }));
  EXPECT_TRUE(out[0].events & EPOLLERR);
  int err = 0;
  socklen_t len = sizeof err;
  EXPECT_EQ(s_->a().GetSockOpt(c, SOL_SOCKET, SO_ERROR, &err, &len), 0);
  EXPECT_EQ(err, ECONNREFUSED);
}

TEST_F(SocketApiTest, LevelTriggeredKeepsReportingEdgeTriggeredOnce) {
  const int lfd = Listen(80);
  const auto [c_, srv_] = Connected(lfd, 80);
  const int c = c_, srv = srv_;  // plain copies: lambdas cannot capture bindings (clang 14)
  const int lt = s_->b().EpollCreate();
  const int et = s_->b().EpollCreate();
  epoll_event ev{.events = EPOLLIN, .data = {.fd = srv}};
  ASSERT_EQ(s_->b().EpollCtl(lt, EPOLL_CTL_ADD, srv, &ev), 0);
  ev.events = EPOLLIN | EPOLLET;
  ASSERT_EQ(s_->b().EpollCtl(et, EPOLL_CTL_ADD, srv, &ev), 0);  // one socket, two sets
  epoll_event out[4];
  EXPECT_EQ(s_->b().EpollWait(lt, out, 4), 0);
  EXPECT_EQ(s_->b().EpollWait(et, out, 4), 0);
  ASSERT_EQ(s_->a().Write(c, "hello", 5), 5);
  ASSERT_TRUE(Until([&] { return s_->b().EpollWait(lt, out, 4) == 1; }));
  EXPECT_EQ(out[0].data.fd, srv);
  EXPECT_EQ(s_->b().EpollWait(lt, out, 4), 1);  // still readable: reported again
  EXPECT_EQ(s_->b().EpollWait(et, out, 4), 1);
  EXPECT_EQ(s_->b().EpollWait(et, out, 4), 0);  // edge already reported
  char buf[16];
  EXPECT_EQ(s_->b().Read(srv, buf, sizeof buf), 5);
  EXPECT_EQ(s_->b().EpollWait(lt, out, 4), 0);
  EXPECT_EQ(s_->b().Read(srv, buf, sizeof buf), -EAGAIN);
}

TEST_F(SocketApiTest, OneShotNeedsRearm) {
  const int lfd = Listen(81);
  const auto [c_, srv_] = Connected(lfd, 81);
  const int c = c_, srv = srv_;
  const int ep = s_->b().EpollCreate();
  epoll_event ev{.events = EPOLLIN | EPOLLONESHOT, .data = {.fd = srv}};
  ASSERT_EQ(s_->b().EpollCtl(ep, EPOLL_CTL_ADD, srv, &ev), 0);
  ASSERT_EQ(s_->a().Write(c, "x", 1), 1);
  epoll_event out[2];
  ASSERT_TRUE(Until([&] { return s_->b().EpollWait(ep, out, 2) == 1; }));
  EXPECT_EQ(s_->b().EpollWait(ep, out, 2), 0);
  ASSERT_EQ(s_->b().EpollCtl(ep, EPOLL_CTL_MOD, srv, &ev), 0);
  EXPECT_EQ(s_->b().EpollWait(ep, out, 2), 1);
  EXPECT_EQ(s_->b().EpollCtl(ep, EPOLL_CTL_ADD, srv, &ev), -EEXIST);
  EXPECT_EQ(s_->b().EpollCtl(ep, EPOLL_CTL_DEL, srv, nullptr), 0);
  EXPECT_EQ(s_->b().EpollCtl(ep, EPOLL_CTL_DEL, srv, nullptr), -ENOENT);
}

TEST_F(SocketApiTest, PeerShutdownGivesRdHupAndEof) {
  const int lfd = Listen(82);
  const auto [c_, srv_] = Connected(lfd, 82);
  const int c = c_, srv = srv_;
  const int ep = s_->b().EpollCreate();
  epoll_event ev{.events = EPOLLIN | EPOLLRDHUP, .data = {.fd = srv}};
  ASSERT_EQ(s_->b().EpollCtl(ep, EPOLL_CTL_ADD, srv, &ev), 0);
  ASSERT_EQ(s_->a().Shutdown(c, SHUT_WR), 0);
  epoll_event out[2];
  ASSERT_TRUE(Until([&] { return s_->b().EpollWait(ep, out, 2) == 1; }));
  EXPECT_TRUE(out[0].events & EPOLLRDHUP);
  char buf[4];
  EXPECT_EQ(s_->b().Read(srv, buf, sizeof buf), 0);
  // Half-close: B can still send to A.
  ASSERT_EQ(s_->b().Write(srv, "ok", 2), 2);
  ASSERT_TRUE(Until([&] { return s_->a().Read(c, buf, sizeof buf) == 2; }));
  EXPECT_EQ(std::string(buf, 2), "ok");
}

TEST_F(SocketApiTest, ListenerReadableWhenConnectionWaits) {
  const int lfd = Listen(83);
  const int ep = s_->b().EpollCreate();
  epoll_event ev{.events = EPOLLIN, .data = {.fd = lfd}};
  ASSERT_EQ(s_->b().EpollCtl(ep, EPOLL_CTL_ADD, lfd, &ev), 0);
  const int c = s_->a().Socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in ra = Sockaddr(kAddrB, 83);
  ASSERT_EQ(s_->a().Connect(c, reinterpret_cast<sockaddr*>(&ra), sizeof ra), -EINPROGRESS);
  epoll_event out[2];
  ASSERT_TRUE(Until([&] { return s_->b().EpollWait(ep, out, 2) == 1; }));
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  const int srv = s_->b().Accept(lfd, reinterpret_cast<sockaddr*>(&peer), &len);
  ASSERT_GE(srv, 0);
  EXPECT_EQ(ntohl(peer.sin_addr.s_addr), kAddrA.v);
  EXPECT_EQ(s_->b().Accept(lfd, nullptr, nullptr), -EAGAIN);
  sockaddr_in local{};
  len = sizeof local;
  EXPECT_EQ(s_->b().GetSockName(srv, reinterpret_cast<sockaddr*>(&local), &len), 0);
  EXPECT_EQ(ntohs(local.sin_port), 83);
}

TEST_F(SocketApiTest, UdpEchoBetweenStacks) {
  const int b = s_->b().Socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in la = Sockaddr(Ipv4Addr::Any(), 7);
  ASSERT_EQ(s_->b().Bind(b, reinterpret_cast<sockaddr*>(&la), sizeof la), 0);
  const int a = s_->a().Socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to = Sockaddr(kAddrB, 7);
  ASSERT_EQ(s_->a().SendTo(a, "ping", 4, 0, reinterpret_cast<sockaddr*>(&to), sizeof to), 4);
  char buf[16];
  sockaddr_in from{};
  socklen_t len = sizeof from;
  ssize_t n = -1;
  ASSERT_TRUE(Until([&] {
    n = s_->b().RecvFrom(b, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    return n >= 0;
  }));
  EXPECT_EQ(n, 4);
  ASSERT_EQ(s_->b().SendTo(b, buf, 4, 0, reinterpret_cast<sockaddr*>(&from), len), 4);
  ASSERT_TRUE(Until([&] { return s_->a().Read(a, buf, sizeof buf) == 4; }));
  EXPECT_EQ(std::string(buf, 4), "ping");
}

}  // namespace
}  // namespace ustack::sim
