// Wrong arguments on both backends give the same return value and errno: EBADF, ENOTSOCK,
// EINVAL for bad lengths and states, EAFNOSUPPORT, ENOTCONN, EISCONN, EPIPE, EADDRINUSE
// (bind rules with SO_REUSEADDR), EOPNOTSUPP for listen/accept on UDP, EFAULT.
#include <vector>

#include "api_fixture.h"

namespace ustack::api {
namespace {

using ApiErrorsTest = ApiTest;

TEST_P(ApiErrorsTest, BadDescriptor) {
  Host& h = cl();
  char buf[4];
  sockaddr_in a = AnyAddr(0);
  socklen_t len = sizeof a;
  int v = 0;
  EXPECT_EQ(h.Read(999, buf, sizeof buf), -EBADF);
  EXPECT_EQ(h.Write(999, buf, sizeof buf), -EBADF);
  EXPECT_EQ(h.Recv(999, buf, sizeof buf, 0), -EBADF);
  EXPECT_EQ(h.Send(999, buf, sizeof buf, 0), -EBADF);
  EXPECT_EQ(h.Bind(999, Sa(a), sizeof a), -EBADF);
  EXPECT_EQ(h.Listen(999, 1), -EBADF);
  EXPECT_EQ(h.Accept(999), -EBADF);
  EXPECT_EQ(h.Connect(999, Sa(a), sizeof a), -EBADF);
  EXPECT_EQ(h.Shutdown(999, SHUT_RD), -EBADF);
  EXPECT_EQ(h.Close(999), -EBADF);
  EXPECT_EQ(h.GetSockName(999, Sa(&a), &len), -EBADF);
  EXPECT_EQ(h.GetPeerName(999, Sa(&a), &len), -EBADF);
  EXPECT_EQ(h.Fcntl(999, F_GETFL, 0), -EBADF);
  EXPECT_EQ(h.Ioctl(999, FIONREAD, &v), -EBADF);
  EXPECT_EQ(h.Dup(999), -EBADF);
  const int fd = h.Socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(h.Close(fd), 0);
  EXPECT_EQ(h.Close(fd), -EBADF);
}

TEST_P(ApiErrorsTest, NotASocket) {
  Host& h = cl();
  const int ep = h.EpollCreate();
  sockaddr_in a = AnyAddr(0);
  socklen_t len = sizeof a;
  EXPECT_EQ(h.Bind(ep, Sa(a), sizeof a), -ENOTSOCK);
  EXPECT_EQ(h.Listen(ep, 1), -ENOTSOCK);
  EXPECT_EQ(h.Accept(ep), -ENOTSOCK);
  EXPECT_EQ(h.Connect(ep, Sa(a), sizeof a), -ENOTSOCK);
  EXPECT_EQ(h.Shutdown(ep, SHUT_RD), -ENOTSOCK);
  EXPECT_EQ(h.GetSockName(ep, Sa(&a), &len), -ENOTSOCK);
  EXPECT_EQ(h.Send(ep, "x", 1, 0), -ENOTSOCK);
}

TEST_P(ApiErrorsTest, BadAddressesAndFamilies) {
  Host& h = cl();
  EXPECT_EQ(h.Socket(AF_INET6 + 1000, SOCK_STREAM, 0), -EAFNOSUPPORT);
  EXPECT_EQ(h.Socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), -EPROTONOSUPPORT);
  const int fd = h.Socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = AnyAddr(0);
  EXPECT_EQ(h.Bind(fd, Sa(a), sizeof a - 1), -EINVAL);
  EXPECT_EQ(h.Connect(fd, Sa(a), sizeof a - 1), -EINVAL);
  sockaddr_in six = AnyAddr(0);
  six.sin_family = AF_INET6;
  EXPECT_EQ(h.Bind(fd, Sa(six), sizeof six), -EAFNOSUPPORT);
  EXPECT_EQ(h.Connect(fd, Sa(six), sizeof six), -EAFNOSUPPORT);
  sockaddr_in foreign = AnyAddr(0);
  foreign.sin_addr.s_addr = htonl(0xC6336401);  // 198.51.100.1: not ours
  EXPECT_EQ(h.Bind(fd, Sa(foreign), sizeof foreign), -EADDRNOTAVAIL);
  ASSERT_EQ(h.Bind(fd, Sa(a), sizeof a), 0);
  EXPECT_EQ(h.Bind(fd, Sa(a), sizeof a), -EINVAL);  // bound already
  sockaddr_in got{};
  socklen_t len = sizeof got;
  ASSERT_EQ(h.GetSockName(fd, Sa(&got), &len), 0);
  EXPECT_NE(got.sin_port, 0);  // bind to port 0 picks one at once
  EXPECT_EQ(h.GetSockName(fd, nullptr, &len), -EFAULT);
}

TEST_P(ApiErrorsTest, StateErrors) {
  const auto [c, s] = Pair();
  Host& h = cl();
  char buf[4];
  sockaddr_in a{};
  socklen_t len = sizeof a;
  const int fresh = h.Socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_EQ(h.Read(fresh, buf, sizeof buf), -ENOTCONN);
  EXPECT_EQ(h.Write(fresh, "x", 1), -EPIPE);  // Linux: a never-connected socket
  EXPECT_EQ(h.GetPeerName(fresh, Sa(&a), &len), -ENOTCONN);
  EXPECT_EQ(h.Shutdown(fresh, SHUT_RDWR), -ENOTCONN);
  EXPECT_EQ(h.Accept(fresh), -EINVAL);
  const sockaddr_in to = net().ServerAddr(PortOf(sv(), s));
  EXPECT_EQ(h.Connect(c, Sa(to), sizeof to), -EISCONN);
  EXPECT_EQ(h.Listen(c, 1), -EINVAL);
  EXPECT_EQ(h.Accept(c), -EINVAL);
  EXPECT_EQ(h.Shutdown(c, 7), -EINVAL);
  uint16_t port = 0;
  const int lfd = Listener(&port);
  EXPECT_EQ(sv().Read(lfd, buf, sizeof buf), -ENOTCONN);
  EXPECT_EQ(sv().Write(lfd, "x", 1), -EPIPE);
  EXPECT_EQ(sv().Connect(lfd, Sa(to), sizeof to), -EISCONN);
  EXPECT_EQ(sv().Listen(lfd, 4), 0);  // listening again only changes the backlog
}

TEST_P(ApiErrorsTest, UdpRefusesStreamCalls) {
  uint16_t port = 0;
  const int u = Udp(sv(), &port);
  EXPECT_EQ(sv().Listen(u, 1), -EOPNOTSUPP);
  EXPECT_EQ(sv().Accept(u), -EOPNOTSUPP);
  EXPECT_EQ(sv().Shutdown(u, SHUT_RD), -ENOTCONN);
  EXPECT_EQ(sv().Send(u, "x", 1, 0), -EDESTADDRREQ);
  const sockaddr_in to = net().ServerAddr(9);
  ASSERT_EQ(sv().Connect(u, Sa(to), sizeof to), 0);
  EXPECT_EQ(sv().Shutdown(u, SHUT_RDWR), 0);  // a connected UDP socket may
}

TEST_P(ApiErrorsTest, AddressInUseFollowsReuseRules) {
  uint16_t port = 0;
  const int lfd = Listener(&port);
  const sockaddr_in at = AnyAddr(port);
  const int b1 = sv().Socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_EQ(sv().Bind(b1, Sa(at), sizeof at), -EADDRINUSE);
  ASSERT_EQ(sv().SetInt(b1, SOL_SOCKET, SO_REUSEADDR, 1), 0);
  EXPECT_EQ(sv().Bind(b1, Sa(at), sizeof at), -EADDRINUSE);  // the holder listens
  // Two sockets that both allow reuse may share a port while neither listens; the first
  // to listen wins it.
  const int r1 = sv().Socket(AF_INET, SOCK_STREAM, 0);
  const int r2 = sv().Socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(sv().SetInt(r1, SOL_SOCKET, SO_REUSEADDR, 1), 0);
  ASSERT_EQ(sv().SetInt(r2, SOL_SOCKET, SO_REUSEADDR, 1), 0);
  const sockaddr_in any = AnyAddr(0);
  ASSERT_EQ(sv().Bind(r1, Sa(any), sizeof any), 0);
  const sockaddr_in shared = AnyAddr(PortOf(sv(), r1));
  ASSERT_EQ(sv().Bind(r2, Sa(shared), sizeof shared), 0);
  const int r3 = sv().Socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_EQ(sv().Bind(r3, Sa(shared), sizeof shared), -EADDRINUSE);  // r3 does not allow it
  EXPECT_EQ(sv().Listen(r1, 4), 0);
  EXPECT_EQ(sv().Listen(r2, 4), -EADDRINUSE);
  // Closing the listener frees its port.
  ASSERT_EQ(sv().Close(lfd), 0);
  const int b2 = sv().Socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_EQ(sv().Bind(b2, Sa(at), sizeof at), 0);
  EXPECT_EQ(sv().Listen(b2, 4), 0);
}

// RFC 9293 3.6.1: the side that closes first keeps the connection in TIME-WAIT, and (Linux's
// bind rules) the port stays in use for bind() unless both the old socket (here inherited from
// the listener) and the new one set SO_REUSEADDR.
TEST_P(ApiErrorsTest, TimeWaitHoldsThePortUnlessBothSetReuseAddr) {
  for (const bool old_reuse : {false, true}) {
    SCOPED_TRACE(old_reuse ? "listener with SO_REUSEADDR" : "listener without SO_REUSEADDR");
    const int lfd = sv().Socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(sv().SetInt(lfd, SOL_SOCKET, SO_REUSEADDR, old_reuse ? 1 : 0), 0);
    const sockaddr_in any = AnyAddr(0);
    ASSERT_EQ(sv().Bind(lfd, Sa(any), sizeof any), 0);
    ASSERT_EQ(sv().Listen(lfd, 4), 0);
    const uint16_t port = PortOf(sv(), lfd);
    const auto [c, s] = PairVia(lfd, port);
    ASSERT_EQ(sv().Close(s), 0);  // the server closes first: its side ends in TIME-WAIT
    net().Settle();
    ASSERT_EQ(cl().Close(c), 0);
    net().Settle();
    ASSERT_EQ(sv().Close(lfd), 0);
    const sockaddr_in at = AnyAddr(port);
    const int n = sv().Socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(sv().Bind(n, Sa(at), sizeof at), -EADDRINUSE);
    ASSERT_EQ(sv().SetInt(n, SOL_SOCKET, SO_REUSEADDR, 1), 0);
    if (old_reuse) {
      EXPECT_EQ(sv().Bind(n, Sa(at), sizeof at), 0);
      EXPECT_EQ(sv().Listen(n, 4), 0);  // a TIME-WAIT connection never listens
    } else {
      EXPECT_EQ(sv().Bind(n, Sa(at), sizeof at), -EADDRINUSE);
    }
    ASSERT_EQ(sv().Close(n), 0);
  }
}

TEST_P(ApiErrorsTest, NullBuffersAndCounts) {
  const auto [c, s] = Pair();
  ASSERT_EQ(cl().Write(c, "abc", 3), 3);
  ASSERT_TRUE(WaitReadable(sv(), s, 3));
  EXPECT_EQ(sv().Read(s, nullptr, 3), -EFAULT);
  EXPECT_EQ(sv().Read(s, nullptr, 0), 0);
  iovec iov{nullptr, 0};
  EXPECT_EQ(sv().ReadV(s, &iov, -1), -EINVAL);
  std::vector<iovec> many(2000, iov);
  EXPECT_EQ(sv().ReadV(s, many.data(), static_cast<int>(many.size())), -EINVAL);
  EXPECT_EQ(sv().RecvMsg(s, nullptr, 0), -EFAULT);
  EXPECT_EQ(cl().Write(c, nullptr, 1), -EFAULT);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiErrorsTest, ::testing::Values("ustack", "kernel"),
                         BackendName);

}  // namespace
}  // namespace ustack::api
