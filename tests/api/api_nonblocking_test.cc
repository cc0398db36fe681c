// Non-blocking sockets on both backends: EAGAIN and EINPROGRESS, connect completion seen
// through poll and epoll with SO_ERROR, a second connect() reporting the result, a full send
// buffer, and the O_NONBLOCK / FD_CLOEXEC flags of socket(), accept4(), fcntl and ioctl.
#include <vector>

#include "api_fixture.h"

namespace ustack::api {
namespace {

using ApiNonblockingTest = ApiTest;

TEST_P(ApiNonblockingTest, EmptyCallsGiveEagain) {
  uint16_t port = 0;
  const int lfd = Listener(&port);
  ASSERT_EQ(SetNonblocking(sv(), lfd), 0);
  EXPECT_EQ(sv().Accept(lfd), -EAGAIN);
  const auto [c, s] = PairVia(lfd, port);
  ASSERT_EQ(SetNonblocking(sv(), s), 0);
  char buf[8];
  EXPECT_EQ(sv().Read(s, buf, sizeof buf), -EAGAIN);
  EXPECT_EQ(sv().Recv(s, buf, sizeof buf, MSG_PEEK), -EAGAIN);
  iovec iov{buf, sizeof buf};
  EXPECT_EQ(sv().ReadV(s, &iov, 1), -EAGAIN);
  (void)c;
}

TEST_P(ApiNonblockingTest, ConnectCompletesThroughPoll) {
  uint16_t port = 0;
  const int lfd = Listener(&port);
  const int c = cl().Socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  const sockaddr_in to = net().ServerAddr(port);
  EXPECT_EQ(cl().Connect(c, Sa(to), sizeof to), -EINPROGRESS);
  pollfd p{c, POLLOUT, 0};
  ASSERT_EQ(cl().Poll(&p, 1, 2000), 1);
  EXPECT_EQ(p.revents, POLLOUT);
  int err = -1;
  EXPECT_EQ(cl().GetInt(c, SOL_SOCKET, SO_ERROR, &err), 0);
  EXPECT_EQ(err, 0);
  // Linux: the next connect() reports the completed connection once, then EISCONN.
  EXPECT_EQ(cl().Connect(c, Sa(to), sizeof to), 0);
  EXPECT_EQ(cl().Connect(c, Sa(to), sizeof to), -EISCONN);
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  EXPECT_EQ(cl().GetPeerName(c, Sa(&peer), &len), 0);
  EXPECT_EQ(ntohs(peer.sin_port), port);
  EXPECT_GE(sv().Accept(lfd), 0);
}

TEST_P(ApiNonblockingTest, RefusedConnectShowsThroughEpollAndSoError) {
  const uint16_t port = ClosedPort();
  const int c = cl().Socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  const int ep = cl().EpollCreate();
  epoll_event ev{};
  ev.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
  ev.data.fd = c;
  ASSERT_EQ(cl().EpollCtl(ep, EPOLL_CTL_ADD, c, &ev), 0);
  const sockaddr_in to = net().ServerAddr(port);
  EXPECT_EQ(cl().Connect(c, Sa(to), sizeof to), -EINPROGRESS);
  epoll_event out[2];
  ASSERT_EQ(cl().EpollWait(ep, out, 2, 2000), 1);
  EXPECT_EQ(out[0].events, EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLRDHUP);
  int err = -1;
  EXPECT_EQ(cl().GetInt(c, SOL_SOCKET, SO_ERROR, &err), 0);
  EXPECT_EQ(err, ECONNREFUSED);
  EXPECT_EQ(cl().GetInt(c, SOL_SOCKET, SO_ERROR, &err), 0);
  EXPECT_EQ(err, 0);  // reading SO_ERROR clears it
}

TEST_P(ApiNonblockingTest, SecondConnectReportsRefusal) {
  const uint16_t port = ClosedPort();
  const int c = cl().Socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  const sockaddr_in to = net().ServerAddr(port);
  EXPECT_EQ(cl().Connect(c, Sa(to), sizeof to), -EINPROGRESS);
  pollfd p{c, POLLOUT, 0};
  ASSERT_EQ(cl().Poll(&p, 1, 2000), 1);
  EXPECT_EQ(p.revents, POLLOUT | POLLERR | POLLHUP);
  EXPECT_EQ(cl().Connect(c, Sa(to), sizeof to), -ECONNREFUSED);
}

TEST_P(ApiNonblockingTest, FullSendBufferGivesEagainUntilPeerReads) {
  uint16_t port = 0;
  const int lfd = Listener(&port);
  ASSERT_EQ(sv().SetInt(lfd, SOL_SOCKET, SO_RCVBUF, 32 * 1024), 0);
  const auto conn = PairVia(lfd, port);
  const int c = conn.first, s = conn.second;  // lambdas cannot capture bindings (clang 14)
  ASSERT_EQ(cl().SetInt(c, SOL_SOCKET, SO_SNDBUF, 32 * 1024), 0);
  ASSERT_EQ(SetNonblocking(cl(), c), 0);
  std::vector<char> chunk(64 * 1024, 'z');
  size_t sent = 0;
  pollfd p{c, POLLOUT, 0};
  // Write until the peer's window and our buffer are full and stay full.
  ASSERT_TRUE(Until([&] {
    ssize_t n = 0;
    while ((n = cl().Write(c, chunk.data(), chunk.size())) > 0) sent += static_cast<size_t>(n);
    EXPECT_EQ(n, -EAGAIN);
    net().Settle();
    return cl().Poll(&p, 1, 0) == 0;
  }));
  EXPECT_EQ(cl().Write(c, chunk.data(), 1), -EAGAIN);
  // The peer reads everything: writable again.
  std::vector<char> sink(1 << 20);
  size_t got = 0;
  ASSERT_TRUE(Until([&] {
    const ssize_t r = sv().Recv(s, sink.data(), sink.size(), MSG_DONTWAIT);
    if (r > 0) got += static_cast<size_t>(r);
    return got == sent;
  }));
  EXPECT_EQ(cl().Poll(&p, 1, 2000), 1);
  EXPECT_EQ(p.revents, POLLOUT);
}

TEST_P(ApiNonblockingTest, SocketAndAcceptFlags) {
  const int nb = cl().Socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  EXPECT_EQ(cl().Fcntl(nb, F_GETFL, 0), O_RDWR | O_NONBLOCK);
  EXPECT_EQ(cl().Fcntl(nb, F_GETFD, 0), FD_CLOEXEC);
  const int plain = cl().Socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_EQ(cl().Fcntl(plain, F_GETFL, 0), O_RDWR);
  EXPECT_EQ(cl().Fcntl(plain, F_GETFD, 0), 0);
  int on = 1;
  EXPECT_EQ(cl().Ioctl(plain, FIONBIO, &on), 0);
  EXPECT_EQ(cl().Fcntl(plain, F_GETFL, 0), O_RDWR | O_NONBLOCK);
  EXPECT_EQ(cl().Ioctl(plain, FIOCLEX, nullptr), 0);
  EXPECT_EQ(cl().Fcntl(plain, F_GETFD, 0), FD_CLOEXEC);
  EXPECT_EQ(cl().Fcntl(plain, F_SETFD, 0), 0);
  EXPECT_EQ(cl().Fcntl(plain, F_GETFD, 0), 0);
  // A dup shares O_NONBLOCK (one open file) but not FD_CLOEXEC (per descriptor).
  EXPECT_EQ(cl().Fcntl(nb, F_SETFD, FD_CLOEXEC), 0);
  const int d = cl().Dup(nb);
  EXPECT_EQ(cl().Fcntl(d, F_GETFD, 0), 0);
  EXPECT_EQ(cl().Fcntl(d, F_SETFL, 0), 0);
  EXPECT_EQ(cl().Fcntl(nb, F_GETFL, 0), O_RDWR);
  const int dc = cl().Fcntl(nb, F_DUPFD_CLOEXEC, 0);
  EXPECT_EQ(cl().Fcntl(dc, F_GETFD, 0), FD_CLOEXEC);

  uint16_t port = 0;
  const int lfd = Listener(&port);
  ASSERT_EQ(SetNonblocking(sv(), lfd), 0);
  const sockaddr_in to = net().ServerAddr(port);
  int conns[3];
  for (int& k : conns) {
    k = cl().Socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(cl().Connect(k, Sa(to), sizeof to), 0);
  }
  int a1 = -1;
  ASSERT_TRUE(Until([&] { return (a1 = sv().Accept4(lfd, nullptr, nullptr, 0)) >= 0; }));
  EXPECT_EQ(sv().Fcntl(a1, F_GETFL, 0), O_RDWR);  // O_NONBLOCK is not inherited
  int a2 = -1;
  ASSERT_TRUE(Until([&] {
    return (a2 = sv().Accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0;
  }));
  EXPECT_EQ(sv().Fcntl(a2, F_GETFL, 0), O_RDWR | O_NONBLOCK);
  EXPECT_EQ(sv().Fcntl(a2, F_GETFD, 0), FD_CLOEXEC);
  EXPECT_EQ(sv().Accept4(lfd, nullptr, nullptr, 0x4000), -EINVAL);
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  int a3 = -1;
  ASSERT_TRUE(Until([&] { return (a3 = sv().Accept4(lfd, Sa(&peer), &len, 0)) >= 0; }));
  EXPECT_EQ(len, sizeof peer);
  EXPECT_EQ(peer.sin_family, AF_INET);
  EXPECT_EQ(sv().Accept(lfd), -EAGAIN);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiNonblockingTest, ::testing::Values("ustack", "kernel"),
                         BackendName);

}  // namespace
}  // namespace ustack::api
