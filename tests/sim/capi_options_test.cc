// TCP socket options wired from SocketApi to TcpConnection: SO_LINGER (zero linger resets
// on close), TCP_USER_TIMEOUT, TCP_CORK, TCP_CONGESTION, TCP_INFO and the keepalive timings,
// with Linux's values, ranges and errors, inherited by accepted sockets.
#include <netinet/tcp.h>

#include <cstring>
#include <string>

#include "capi_fixture.h"

namespace ustack::sim {
namespace {

using CapiOptionsTest = CapiSimTest;

TEST_F(CapiOptionsTest, SetGetAndReachTheConnection) {
  const int lfd = Listen(100);
  const int cork = 1;
  ASSERT_EQ(b().SetSockOpt(lfd, IPPROTO_TCP, TCP_CORK, &cork, sizeof cork), 0);
  tcp_info info{};
  socklen_t len = sizeof info;
  ASSERT_EQ(b().GetSockOpt(lfd, IPPROTO_TCP, TCP_INFO, &info, &len), 0);
  EXPECT_EQ(info.tcpi_state, TCP_LISTEN);
  const auto conn = Connected(lfd, 100);
  const int c = conn.first, srv = conn.second;
  int v = 0;
  socklen_t vlen = sizeof v;
  ASSERT_EQ(b().GetSockOpt(srv, IPPROTO_TCP, TCP_CORK, &v, &vlen), 0);
  EXPECT_EQ(v, 1);  // inherited from the listener
  len = sizeof info;
  ASSERT_EQ(b().GetSockOpt(srv, IPPROTO_TCP, TCP_INFO, &info, &len), 0);
  EXPECT_EQ(len, sizeof info);
  EXPECT_EQ(info.tcpi_state, TCP_ESTABLISHED);

  const int ut = 5000;
  ASSERT_EQ(a().SetSockOpt(c, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof ut), 0);
  vlen = sizeof v;
  ASSERT_EQ(a().GetSockOpt(c, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, &vlen), 0);
  EXPECT_EQ(v, 5000);
  const int neg = -1;
  EXPECT_EQ(a().SetSockOpt(c, IPPROTO_TCP, TCP_USER_TIMEOUT, &neg, sizeof neg), -EINVAL);
  ASSERT_EQ(a().SetSockOpt(c, IPPROTO_TCP, TCP_CONGESTION, "reno", 4), 0);
  char name[16] = {};
  socklen_t nlen = sizeof name;
  ASSERT_EQ(a().GetSockOpt(c, IPPROTO_TCP, TCP_CONGESTION, name, &nlen), 0);
  EXPECT_STREQ(name, "reno");
  EXPECT_EQ(a().SetSockOpt(c, IPPROTO_TCP, TCP_CONGESTION, "bogus", 5), -ENOENT);

  const int idle = 30, zero = 0, cnt = 200;
  ASSERT_EQ(a().SetSockOpt(c, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle), 0);
  vlen = sizeof v;
  ASSERT_EQ(a().GetSockOpt(c, IPPROTO_TCP, TCP_KEEPIDLE, &v, &vlen), 0);
  EXPECT_EQ(v, 30);
  vlen = sizeof v;
  ASSERT_EQ(a().GetSockOpt(c, IPPROTO_TCP, TCP_KEEPINTVL, &v, &vlen), 0);
  EXPECT_EQ(v, 75);  // Linux's default
  EXPECT_EQ(a().SetSockOpt(c, IPPROTO_TCP, TCP_KEEPINTVL, &zero, sizeof zero), -EINVAL);
  EXPECT_EQ(a().SetSockOpt(c, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt), -EINVAL);

  linger l{1, 0};
  EXPECT_EQ(a().SetSockOpt(c, SOL_SOCKET, SO_LINGER, &l, 4), -EINVAL);
  ASSERT_EQ(a().SetSockOpt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l), 0);
  linger got{};
  socklen_t llen = sizeof got;
  ASSERT_EQ(a().GetSockOpt(c, SOL_SOCKET, SO_LINGER, &got, &llen), 0);
  EXPECT_EQ(got.l_onoff, 1);
  EXPECT_EQ(got.l_linger, 0);
  ASSERT_EQ(a().Close(c), 0);  // zero linger: RST instead of FIN
  char buf[4];
  ssize_t n = 0;
  ASSERT_TRUE(Until([&] { return (n = b().Read(srv, buf, sizeof buf)) != -EAGAIN; }));
  EXPECT_EQ(n, -ECONNRESET);
}

}  // namespace
}  // namespace ustack::sim
