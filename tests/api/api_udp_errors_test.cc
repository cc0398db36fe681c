// ICMP errors for UDP sockets on both backends (RFC 1122 4.1.3.3: UDP MUST pass ICMP errors to
// the application), as Linux reports them without IP_RECVERR: a connected socket that sent to
// a closed port gets ECONNREFUSED once, from the next receive, send or SO_ERROR, and polls
// POLLERR until then; an unconnected socket ignores the error.
#include <sys/time.h>

#include "api_fixture.h"

namespace ustack::api {
namespace {

using ApiUdpErrorsTest = ApiTest;

// A UDP port on the server that nothing is bound to.
uint16_t ClosedUdpPort(Host& h) {
  const int fd = h.Socket(AF_INET, SOCK_DGRAM, 0);
  const sockaddr_in any = AnyAddr(0);
  EXPECT_EQ(h.Bind(fd, Sa(any), sizeof any), 0);
  sockaddr_in a{};
  socklen_t len = sizeof a;
  EXPECT_EQ(h.GetSockName(fd, Sa(&a), &len), 0);
  EXPECT_EQ(h.Close(fd), 0);
  return ntohs(a.sin_port);
}

short Revents(Host& h, int fd) {
  pollfd p{fd, POLLIN | POLLOUT, 0};
  EXPECT_GE(h.Poll(&p, 1, 0), 0);
  return p.revents;
}

TEST_P(ApiUdpErrorsTest, ConnectedSocketGetsPortUnreachableOnce) {
  const sockaddr_in to = net().ServerAddr(ClosedUdpPort(sv()));
  const int c = cl().Socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  ASSERT_EQ(cl().Connect(c, Sa(to), sizeof to), 0);
  ASSERT_EQ(cl().Send(c, "x", 1, 0), 1);
  ASSERT_TRUE(Until([&] { return (Revents(cl(), c) & POLLERR) != 0; }));
  EXPECT_EQ(Revents(cl(), c), POLLOUT | POLLERR);
  char buf[8];
  EXPECT_EQ(cl().Recv(c, buf, sizeof buf, 0), -ECONNREFUSED);  // before any datagram
  EXPECT_EQ(cl().Recv(c, buf, sizeof buf, 0), -EAGAIN);        // reported once
  EXPECT_EQ(Revents(cl(), c), POLLOUT);
  // The next send reports it instead of sending.
  ASSERT_EQ(cl().Send(c, "x", 1, 0), 1);
  ASSERT_TRUE(Until([&] { return (Revents(cl(), c) & POLLERR) != 0; }));
  EXPECT_EQ(cl().Send(c, "x", 1, 0), -ECONNREFUSED);
  EXPECT_EQ(Revents(cl(), c), POLLOUT);
  // And SO_ERROR reads (and clears) it.
  ASSERT_EQ(cl().Send(c, "x", 1, 0), 1);
  ASSERT_TRUE(Until([&] { return (Revents(cl(), c) & POLLERR) != 0; }));
  int err = -1;
  EXPECT_EQ(cl().GetInt(c, SOL_SOCKET, SO_ERROR, &err), 0);
  EXPECT_EQ(err, ECONNREFUSED);
  EXPECT_EQ(cl().GetInt(c, SOL_SOCKET, SO_ERROR, &err), 0);
  EXPECT_EQ(err, 0);
  EXPECT_EQ(cl().Recv(c, buf, sizeof buf, 0), -EAGAIN);
}

TEST_P(ApiUdpErrorsTest, BlockingReceiveEndsWithTheError) {
  const sockaddr_in to = net().ServerAddr(ClosedUdpPort(sv()));
  const int c = cl().Socket(AF_INET, SOCK_DGRAM, 0);
  const timeval tv{2, 0};  // a bound on the test, never reached
  ASSERT_EQ(cl().SetSockOpt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  ASSERT_EQ(cl().Connect(c, Sa(to), sizeof to), 0);
  ASSERT_EQ(cl().Send(c, "x", 1, 0), 1);
  char buf[8];
  EXPECT_EQ(cl().Recv(c, buf, sizeof buf, 0), -ECONNREFUSED);
}

TEST_P(ApiUdpErrorsTest, UnconnectedSocketIgnoresPortUnreachable) {
  const sockaddr_in to = net().ServerAddr(ClosedUdpPort(sv()));
  const int u = cl().Socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  ASSERT_EQ(cl().SendTo(u, "x", 1, 0, Sa(to), sizeof to), 1);
  net().Settle();
  EXPECT_EQ(Revents(cl(), u), POLLOUT);
  char buf[8];
  EXPECT_EQ(cl().Recv(u, buf, sizeof buf, 0), -EAGAIN);
  EXPECT_EQ(cl().SendTo(u, "x", 1, 0, Sa(to), sizeof to), 1);
  net().Settle();
  int err = -1;
  EXPECT_EQ(cl().GetInt(u, SOL_SOCKET, SO_ERROR, &err), 0);
  EXPECT_EQ(err, 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiUdpErrorsTest, ::testing::Values("ustack", "kernel"),
                         BackendName);

}  // namespace
}  // namespace ustack::api
