// Receive flags on both backends: MSG_PEEK on TCP and UDP through recv, recvfrom and recvmsg
// (the bytes or the datagram stay queued, the source address is reported), MSG_DONTWAIT, and
// MSG_WAITALL (a blocking stream read waits for the whole length, end of stream or the
// receive timeout; UDP and non-blocking reads ignore it).
#include <netinet/tcp.h>

#include <string>

#include "api_fixture.h"

namespace ustack::api {
namespace {

using ApiRecvFlagsTest = ApiTest;

TEST_P(ApiRecvFlagsTest, TcpPeekLeavesBytesQueued) {
  const auto [c, s] = Pair();
  ASSERT_EQ(cl().Write(c, "hello world", 11), 11);
  ASSERT_TRUE(WaitReadable(sv(), s, 11));
  char buf[32];
  ASSERT_EQ(sv().Recv(s, buf, 5, MSG_PEEK), 5);
  EXPECT_EQ(std::string(buf, 5), "hello");
  ASSERT_EQ(sv().Recv(s, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT), 11);
  EXPECT_EQ(std::string(buf, 11), "hello world");
  EXPECT_EQ(Readable(sv(), s), 11);
  sockaddr_in from{};
  socklen_t len = sizeof from;
  ASSERT_EQ(sv().RecvFrom(s, buf, 3, MSG_PEEK, Sa(&from), &len), 3);
  iovec iov[2] = {{buf, 4}, {buf + 4, 4}};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = 2;
  ASSERT_EQ(sv().RecvMsg(s, &msg, MSG_PEEK), 8);
  EXPECT_EQ(std::string(buf, 8), "hello wo");
  ASSERT_EQ(sv().Read(s, buf, 6), 6);  // the real read starts at the first byte
  EXPECT_EQ(std::string(buf, 6), "hello ");
  ASSERT_EQ(sv().Recv(s, buf, sizeof buf, MSG_PEEK), 5);
  EXPECT_EQ(std::string(buf, 5), "world");
  ASSERT_EQ(sv().Read(s, buf, sizeof buf), 5);
  EXPECT_EQ(sv().Recv(s, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT), -EAGAIN);
}

TEST_P(ApiRecvFlagsTest, BlockingPeekWaitsForDataAndSeesEndOfStream) {
  const auto [c, s] = Pair();
  ASSERT_EQ(cl().Write(c, "x", 1), 1);
  char buf[4];
  EXPECT_EQ(sv().Recv(s, buf, sizeof buf, MSG_PEEK), 1);  // blocks until the byte arrives
  EXPECT_EQ(sv().Read(s, buf, sizeof buf), 1);
  ASSERT_EQ(cl().Shutdown(c, SHUT_WR), 0);
  EXPECT_EQ(sv().Recv(s, buf, sizeof buf, MSG_PEEK), 0);
  EXPECT_EQ(sv().Recv(s, buf, sizeof buf, 0), 0);
}

TEST_P(ApiRecvFlagsTest, UdpPeekKeepsTheDatagram) {
  uint16_t sport = 0, cport = 0;
  const int u = Udp(sv(), &sport);
  const int k = Udp(cl(), &cport);
  const sockaddr_in to = net().ServerAddr(sport);
  ASSERT_EQ(cl().SendTo(k, "first!", 6, 0, Sa(to), sizeof to), 6);
  ASSERT_EQ(cl().SendTo(k, "second", 6, 0, Sa(to), sizeof to), 6);
  char buf[16];
  sockaddr_in from{};
  socklen_t len = sizeof from;
  ssize_t n = -1;
  ASSERT_TRUE(Until([&] {
    return (n = sv().RecvFrom(u, buf, 3, MSG_PEEK | MSG_DONTWAIT, Sa(&from), &len)) != -EAGAIN;
  }));
  ASSERT_EQ(n, 3);                  // truncated to the buffer, like any datagram read
  EXPECT_EQ(Readable(sv(), u), 6);  // FIONREAD: the size of the next datagram
  EXPECT_EQ(std::string(buf, 3), "fir");
  EXPECT_EQ(len, sizeof from);
  EXPECT_EQ(ntohs(from.sin_port), cport);
  ASSERT_EQ(sv().Recv(u, buf, sizeof buf, MSG_PEEK), 6);  // the same datagram, whole
  EXPECT_EQ(std::string(buf, 6), "first!");
  pollfd p{u, POLLIN, 0};
  EXPECT_EQ(sv().Poll(&p, 1, 0), 1);
  from = {};
  len = sizeof from;
  ASSERT_EQ(sv().RecvFrom(u, buf, sizeof buf, 0, Sa(&from), &len), 6);
  EXPECT_EQ(std::string(buf, 6), "first!");
  EXPECT_EQ(ntohs(from.sin_port), cport);
  ASSERT_TRUE(Until([&] { return sv().Recv(u, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT) == 6; }));
  EXPECT_EQ(std::string(buf, 6), "second");
  iovec iov{buf, sizeof buf};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  EXPECT_EQ(sv().RecvMsg(u, &msg, 0), 6);
  EXPECT_EQ(sv().Recv(u, buf, sizeof buf, MSG_DONTWAIT), -EAGAIN);
  EXPECT_EQ(sv().Recv(u, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT), -EAGAIN);
  EXPECT_EQ(Readable(sv(), u), 0);
}

TEST_P(ApiRecvFlagsTest, WaitAllWaitsForTheWholeLength) {
  const auto [c, s] = Pair();
  ASSERT_EQ(cl().SetInt(c, IPPROTO_TCP, TCP_NODELAY, 1), 0);  // no Nagle wait for the ACK
  const timeval tv{0, 60000};
  ASSERT_EQ(sv().SetSockOpt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  ASSERT_EQ(cl().Write(c, "abcd", 4), 4);
  ASSERT_TRUE(WaitReadable(sv(), s, 4));
  char buf[16];
  // With the whole length there: returns at once.
  Instant start = net().Now();
  ASSERT_EQ(sv().Recv(s, buf, 2, MSG_WAITALL), 2);
  EXPECT_LT(net().Now() - start, Duration::Millis(30));
  // Short of it: waits until the receive timeout, then returns what there is.
  start = net().Now();
  ASSERT_EQ(sv().Recv(s, buf, 8, MSG_WAITALL), 2);
  ExpectWaited(start, Duration::Millis(60));
  EXPECT_EQ(std::string(buf, 2), "cd");
  // Data that arrives while waiting is gathered into the same call.
  ASSERT_EQ(cl().Write(c, "12", 2), 2);
  ASSERT_TRUE(WaitReadable(sv(), s, 2));
  ASSERT_EQ(cl().Write(c, "345678", 6), 6);
  ASSERT_EQ(sv().Recv(s, buf, 8, MSG_WAITALL), 8);
  EXPECT_EQ(std::string(buf, 8), "12345678");
  // Non-blocking: returns what there is.
  ASSERT_EQ(cl().Write(c, "xy", 2), 2);
  ASSERT_TRUE(WaitReadable(sv(), s, 2));
  EXPECT_EQ(sv().Recv(s, buf, 8, MSG_WAITALL | MSG_DONTWAIT), 2);
  // End of stream ends the wait.
  ASSERT_EQ(cl().Write(c, "z", 1), 1);
  ASSERT_EQ(cl().Shutdown(c, SHUT_WR), 0);
  start = net().Now();
  EXPECT_EQ(sv().Recv(s, buf, 8, MSG_WAITALL), 1);
  EXPECT_LT(net().Now() - start, Duration::Millis(30));
}

TEST_P(ApiRecvFlagsTest, UdpIgnoresWaitAll) {
  uint16_t sport = 0, cport = 0;
  const int u = Udp(sv(), &sport);
  const int k = Udp(cl(), &cport);
  const sockaddr_in to = net().ServerAddr(sport);
  ASSERT_EQ(cl().SendTo(k, "dgram", 5, 0, Sa(to), sizeof to), 5);
  char buf[64];
  EXPECT_EQ(sv().Recv(u, buf, sizeof buf, MSG_WAITALL), 5);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiRecvFlagsTest, ::testing::Values("ustack", "kernel"),
                         BackendName);

}  // namespace
}  // namespace ustack::api
