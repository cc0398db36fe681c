// Socket options on both backends: defaults, round trips, inheritance by accepted sockets,
// Linux's value rules (SO_RCVBUF doubling, TCP_MAXSEG and keepalive ranges, SO_LINGER's
// struct), and the errors for bad lengths, levels, names and pointers.
#include <netinet/tcp.h>

#include "api_fixture.h"

namespace ustack::api {
namespace {

using ApiOptionsTest = ApiTest;

// Sets an int option to v and reads it back.
int RoundTrip(Host& h, int fd, int level, int name, int v) {
  EXPECT_EQ(h.SetInt(fd, level, name, v), 0) << "level " << level << " name " << name;
  int got = -12345;
  EXPECT_EQ(h.GetInt(fd, level, name, &got), 0);
  return got;
}

TEST_P(ApiOptionsTest, TcpDefaults) {
  const int fd = cl().Socket(AF_INET, SOCK_STREAM, 0);
  struct Want {
    int level, name, value;
  };
  const Want wants[] = {
      {SOL_SOCKET, SO_REUSEADDR, 0},     {SOL_SOCKET, SO_REUSEPORT, 0},
      {SOL_SOCKET, SO_KEEPALIVE, 0},     {SOL_SOCKET, SO_TYPE, SOCK_STREAM},
      {SOL_SOCKET, SO_DOMAIN, AF_INET},  {SOL_SOCKET, SO_PROTOCOL, IPPROTO_TCP},
      {SOL_SOCKET, SO_ERROR, 0},         {SOL_SOCKET, SO_ACCEPTCONN, 0},
      {IPPROTO_TCP, TCP_NODELAY, 0},     {IPPROTO_TCP, TCP_CORK, 0},
      {IPPROTO_TCP, TCP_KEEPIDLE, 7200}, {IPPROTO_TCP, TCP_KEEPINTVL, 75},
      {IPPROTO_TCP, TCP_KEEPCNT, 9},     {IPPROTO_TCP, TCP_USER_TIMEOUT, 0},
      {IPPROTO_TCP, TCP_MAXSEG, 536},
  };
  for (const Want& w : wants) {
    int v = -1;
    EXPECT_EQ(cl().GetInt(fd, w.level, w.name, &v), 0) << w.level << "/" << w.name;
    EXPECT_EQ(v, w.value) << w.level << "/" << w.name;
  }
  int v = 0;
  EXPECT_EQ(cl().GetInt(fd, SOL_SOCKET, SO_RCVBUF, &v), 0);
  EXPECT_GT(v, 0);
  linger l{7, 7};
  socklen_t len = sizeof l;
  EXPECT_EQ(cl().GetSockOpt(fd, SOL_SOCKET, SO_LINGER, &l, &len), 0);
  EXPECT_EQ(len, sizeof l);
  EXPECT_EQ(l.l_onoff, 0);
  EXPECT_EQ(l.l_linger, 0);
}

TEST_P(ApiOptionsTest, TcpRoundTrips) {
  const int fd = cl().Socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_EQ(RoundTrip(cl(), fd, SOL_SOCKET, SO_REUSEADDR, 1), 1);
  EXPECT_EQ(RoundTrip(cl(), fd, SOL_SOCKET, SO_REUSEPORT, 1), 1);
  EXPECT_EQ(RoundTrip(cl(), fd, SOL_SOCKET, SO_KEEPALIVE, 5), 1);  // booleans read back as 1
  EXPECT_EQ(RoundTrip(cl(), fd, SOL_SOCKET, SO_KEEPALIVE, 0), 0);
  EXPECT_EQ(RoundTrip(cl(), fd, SOL_SOCKET, SO_RCVBUF, 10000), 20000);  // Linux doubles it
  EXPECT_EQ(RoundTrip(cl(), fd, SOL_SOCKET, SO_SNDBUF, 10000), 20000);
  EXPECT_EQ(RoundTrip(cl(), fd, SOL_SOCKET, SO_RCVBUF, 1), 2304);  // Linux's minimum
  EXPECT_EQ(RoundTrip(cl(), fd, SOL_SOCKET, SO_SNDBUF, 1), 4608);
  EXPECT_EQ(RoundTrip(cl(), fd, IPPROTO_TCP, TCP_NODELAY, 1), 1);
  EXPECT_EQ(RoundTrip(cl(), fd, IPPROTO_TCP, TCP_CORK, 1), 1);
  EXPECT_EQ(RoundTrip(cl(), fd, IPPROTO_TCP, TCP_KEEPIDLE, 30), 30);
  EXPECT_EQ(RoundTrip(cl(), fd, IPPROTO_TCP, TCP_KEEPINTVL, 5), 5);
  EXPECT_EQ(RoundTrip(cl(), fd, IPPROTO_TCP, TCP_KEEPCNT, 3), 3);
  EXPECT_EQ(RoundTrip(cl(), fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 1500), 1500);
  EXPECT_EQ(RoundTrip(cl(), fd, IPPROTO_TCP, TCP_MAXSEG, 1000), 1000);
  const linger on{1, 5};
  ASSERT_EQ(cl().SetSockOpt(fd, SOL_SOCKET, SO_LINGER, &on, sizeof on), 0);
  linger got{};
  socklen_t len = sizeof got;
  ASSERT_EQ(cl().GetSockOpt(fd, SOL_SOCKET, SO_LINGER, &got, &len), 0);
  EXPECT_EQ(got.l_onoff, 1);
  EXPECT_EQ(got.l_linger, 5);
}

TEST_P(ApiOptionsTest, LinuxRangesGiveEinval) {
  const int fd = cl().Socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_EQ(cl().SetInt(fd, IPPROTO_TCP, TCP_MAXSEG, 10), -EINVAL);
  EXPECT_EQ(cl().SetInt(fd, IPPROTO_TCP, TCP_MAXSEG, 40000), -EINVAL);
  EXPECT_EQ(cl().SetInt(fd, IPPROTO_TCP, TCP_KEEPIDLE, 0), -EINVAL);
  EXPECT_EQ(cl().SetInt(fd, IPPROTO_TCP, TCP_KEEPINTVL, 32768), -EINVAL);
  EXPECT_EQ(cl().SetInt(fd, IPPROTO_TCP, TCP_KEEPCNT, 128), -EINVAL);
  EXPECT_EQ(cl().SetInt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, -1), -EINVAL);
}

TEST_P(ApiOptionsTest, AcceptedSocketInheritsListenerOptions) {
  uint16_t port = 0;
  const int lfd = Listener(&port);
  int acceptconn = 0;
  EXPECT_EQ(sv().GetInt(lfd, SOL_SOCKET, SO_ACCEPTCONN, &acceptconn), 0);
  EXPECT_EQ(acceptconn, 1);
  ASSERT_EQ(sv().SetInt(lfd, IPPROTO_TCP, TCP_NODELAY, 1), 0);
  ASSERT_EQ(sv().SetInt(lfd, SOL_SOCKET, SO_KEEPALIVE, 1), 0);
  ASSERT_EQ(sv().SetInt(lfd, IPPROTO_TCP, TCP_KEEPIDLE, 42), 0);
  ASSERT_EQ(sv().SetInt(lfd, IPPROTO_TCP, TCP_USER_TIMEOUT, 900), 0);
  const auto [c, s] = PairVia(lfd, port);
  int v = 0;
  EXPECT_EQ(sv().GetInt(s, IPPROTO_TCP, TCP_NODELAY, &v), 0);
  EXPECT_EQ(v, 1);
  EXPECT_EQ(sv().GetInt(s, SOL_SOCKET, SO_KEEPALIVE, &v), 0);
  EXPECT_EQ(v, 1);
  EXPECT_EQ(sv().GetInt(s, IPPROTO_TCP, TCP_KEEPIDLE, &v), 0);
  EXPECT_EQ(v, 42);
  EXPECT_EQ(sv().GetInt(s, IPPROTO_TCP, TCP_USER_TIMEOUT, &v), 0);
  EXPECT_EQ(v, 900);
  EXPECT_EQ(sv().GetInt(s, SOL_SOCKET, SO_ACCEPTCONN, &v), 0);
  EXPECT_EQ(v, 0);
  EXPECT_EQ(cl().GetInt(c, IPPROTO_TCP, TCP_MAXSEG, &v), 0);
  EXPECT_GT(v, 500);  // the path's MSS: loopback's and the simulated link's differ
}

// TCP_QUICKACK (RFC 1122 4.2.3.2 leaves ACK delay to the receiver): set on a connected
// socket it reads back as on; Linux keeps it on while no delayed-ACK pattern emerges.
TEST_P(ApiOptionsTest, QuickAckReadsBackOn) {
  const auto [c, s] = Pair();
  (void)c;
  EXPECT_EQ(RoundTrip(sv(), s, IPPROTO_TCP, TCP_QUICKACK, 1), 1);
}

TEST_P(ApiOptionsTest, BadArguments) {
  const int fd = cl().Socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  int v = 0;
  socklen_t len = sizeof v;
  EXPECT_EQ(cl().SetSockOpt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 2), -EINVAL);
  EXPECT_EQ(cl().SetSockOpt(fd, IPPROTO_TCP, TCP_NODELAY, &one, 0), -EINVAL);
  EXPECT_EQ(cl().SetSockOpt(fd, SOL_SOCKET, SO_REUSEADDR, nullptr, sizeof one), -EFAULT);
  const linger l{1, 1};
  EXPECT_EQ(cl().SetSockOpt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l - 1), -EINVAL);
  EXPECT_EQ(cl().SetSockOpt(fd, 12345, 1, &one, sizeof one), -ENOPROTOOPT);
  EXPECT_EQ(cl().GetSockOpt(fd, 12345, 1, &v, &len), -EOPNOTSUPP);
  EXPECT_EQ(cl().SetSockOpt(fd, IPPROTO_TCP, 9999, &one, sizeof one), -ENOPROTOOPT);
  EXPECT_EQ(cl().GetSockOpt(fd, SOL_SOCKET, 9999, &v, &len), -ENOPROTOOPT);
  EXPECT_EQ(cl().GetSockOpt(fd, SOL_SOCKET, SO_TYPE, &v, nullptr), -EFAULT);
  EXPECT_EQ(cl().SetSockOpt(999, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), -EBADF);
  EXPECT_EQ(cl().GetSockOpt(999, SOL_SOCKET, SO_TYPE, &v, &len), -EBADF);
  const int ep = cl().EpollCreate();
  EXPECT_EQ(cl().SetSockOpt(ep, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), -ENOTSOCK);
  EXPECT_EQ(cl().GetSockOpt(ep, SOL_SOCKET, SO_TYPE, &v, &len), -ENOTSOCK);
}

TEST_P(ApiOptionsTest, ShortGetsockoptLengthTruncates) {
  const int fd = cl().Socket(AF_INET, SOCK_STREAM, 0);
  unsigned char buf[8] = {0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee};
  socklen_t len = 2;
  ASSERT_EQ(cl().GetSockOpt(fd, SOL_SOCKET, SO_TYPE, buf, &len), 0);
  EXPECT_EQ(len, 2u);
  EXPECT_EQ(buf[0], SOCK_STREAM);
  EXPECT_EQ(buf[2], 0xee);  // nothing written past the length
  len = 4;
  ASSERT_EQ(cl().GetSockOpt(fd, SOL_SOCKET, SO_LINGER, buf, &len), 0);
  EXPECT_EQ(len, 4u);
  EXPECT_EQ(buf[4], 0xee);
}

TEST_P(ApiOptionsTest, UdpOptions) {
  const int u = cl().Socket(AF_INET, SOCK_DGRAM, 0);
  const int one = 1;
  EXPECT_EQ(RoundTrip(cl(), u, SOL_SOCKET, SO_REUSEADDR, 1), 1);
  int v = 0;
  EXPECT_EQ(cl().GetInt(u, SOL_SOCKET, SO_TYPE, &v), 0);
  EXPECT_EQ(v, SOCK_DGRAM);
  EXPECT_EQ(cl().GetInt(u, SOL_SOCKET, SO_PROTOCOL, &v), 0);
  EXPECT_EQ(v, IPPROTO_UDP);
  EXPECT_EQ(cl().SetSockOpt(u, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), -ENOPROTOOPT);
  socklen_t len = sizeof v;
  EXPECT_EQ(cl().GetSockOpt(u, IPPROTO_TCP, TCP_NODELAY, &v, &len), -EOPNOTSUPP);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiOptionsTest, ::testing::Values("ustack", "kernel"),
                         BackendName);

}  // namespace
}  // namespace ustack::api
