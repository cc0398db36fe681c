// shutdown() on both backends: SHUT_WR sends end of stream and makes writes fail with EPIPE
// while reading goes on, SHUT_RD ends reading, SHUT_RDWR both; a listener shut for reading
// stops listening (accept fails EINVAL, connects are refused); close with unread data resets the
// peer.
#include "api_fixture.h"

namespace ustack::api {
namespace {

using ApiShutdownTest = ApiTest;

TEST_P(ApiShutdownTest, ShutWrEndsTheStreamButNotReading) {
  const auto [c, s] = Pair();
  ASSERT_EQ(cl().Write(c, "last", 4), 4);
  ASSERT_EQ(cl().Shutdown(c, SHUT_WR), 0);
  EXPECT_EQ(cl().Write(c, "x", 1), -EPIPE);
  EXPECT_EQ(cl().Shutdown(c, SHUT_WR), 0);  // again: no error
  char buf[8];
  EXPECT_EQ(sv().Read(s, buf, sizeof buf), 4);
  EXPECT_EQ(sv().Read(s, buf, sizeof buf), 0);
  ASSERT_EQ(sv().Write(s, "back", 4), 4);
  EXPECT_EQ(cl().Read(c, buf, sizeof buf), 4);
  pollfd p{c, POLLIN | POLLOUT | POLLRDHUP, 0};
  ASSERT_EQ(cl().Poll(&p, 1, 0), 1);
  EXPECT_EQ(p.revents, POLLOUT);
}

TEST_P(ApiShutdownTest, ShutRdmakesReadsReturnEndOfStream) {
  const auto [c, s] = Pair();
  ASSERT_EQ(sv().Shutdown(s, SHUT_RD), 0);
  char buf[8];
  EXPECT_EQ(sv().Read(s, buf, sizeof buf), 0);  // at once, although blocking
  pollfd p{s, POLLIN | POLLOUT | POLLRDHUP, 0};
  ASSERT_EQ(sv().Poll(&p, 1, 0), 1);
  EXPECT_EQ(p.revents, POLLIN | POLLOUT | POLLRDHUP);
  ASSERT_EQ(sv().Write(s, "ok", 2), 2);  // writing is unaffected
  EXPECT_EQ(cl().Read(c, buf, sizeof buf), 2);
}

TEST_P(ApiShutdownTest, ShutRdwrClosesBothDirections) {
  const auto [c, s] = Pair();
  ASSERT_EQ(sv().Shutdown(s, SHUT_RDWR), 0);
  char buf[8];
  EXPECT_EQ(sv().Read(s, buf, sizeof buf), 0);
  EXPECT_EQ(sv().Write(s, "x", 1), -EPIPE);
  EXPECT_EQ(cl().Read(c, buf, sizeof buf), 0);  // the peer sees end of stream
  pollfd p{s, POLLIN | POLLOUT | POLLRDHUP, 0};
  ASSERT_EQ(sv().Poll(&p, 1, 0), 1);
  EXPECT_EQ(p.revents & (POLLIN | POLLOUT | POLLRDHUP), POLLIN | POLLOUT | POLLRDHUP);
}

TEST_P(ApiShutdownTest, ListenerShutForReadingStopsListening) {
  uint16_t port = 0;
  const int lfd = Listener(&port);
  EXPECT_EQ(sv().Shutdown(lfd, SHUT_WR), 0);  // no effect on a listener
  int v = 0;
  EXPECT_EQ(sv().GetInt(lfd, SOL_SOCKET, SO_ACCEPTCONN, &v), 0);
  EXPECT_EQ(v, 1);
  EXPECT_EQ(sv().Shutdown(lfd, SHUT_RD), 0);
  EXPECT_EQ(sv().GetInt(lfd, SOL_SOCKET, SO_ACCEPTCONN, &v), 0);
  EXPECT_EQ(v, 0);
  EXPECT_EQ(sv().Accept(lfd), -EINVAL);
  const int c = cl().Socket(AF_INET, SOCK_STREAM, 0);
  const sockaddr_in to = net().ServerAddr(port);
  EXPECT_EQ(cl().Connect(c, Sa(to), sizeof to), -ECONNREFUSED);
}

TEST_P(ApiShutdownTest, CloseWithUnreadDataResetsThePeer) {
  const auto [c, s] = Pair();
  ASSERT_EQ(cl().Write(c, "unread", 6), 6);
  ASSERT_TRUE(WaitReadable(sv(), s, 6));
  ASSERT_EQ(sv().Close(s), 0);  // RFC 9293 3.10.4 / RFC 2525 2.17: RST, not FIN
  char buf[8];
  EXPECT_EQ(cl().Read(c, buf, sizeof buf), -ECONNRESET);
  EXPECT_EQ(cl().Write(c, "x", 1), -EPIPE);
}

// RFC 1122 4.2.2.13: data arriving after close() is answered with a RST (the bytes can never
// be read): the writer's next write fails with EPIPE; its read still says end of stream.
TEST_P(ApiShutdownTest, DataAfterCloseResetsTheWriter) {
  const auto [c, s] = Pair();
  ASSERT_EQ(sv().Close(s), 0);
  char buf[8];
  EXPECT_EQ(cl().Read(c, buf, sizeof buf), 0);  // the FIN
  EXPECT_EQ(cl().Write(c, "hello", 5), 5);      // accepted locally, refused by the peer
  net().Settle();
  EXPECT_EQ(cl().Read(c, buf, sizeof buf), 0);
  EXPECT_EQ(cl().Write(c, "hello", 5), -EPIPE);
}

// The same after shutdown(SHUT_RDWR), as Linux: the socket that refused the data reads
// ECONNRESET.
TEST_P(ApiShutdownTest, DataAfterShutRdwrResetsBothEnds) {
  const auto [c, s] = Pair();
  ASSERT_EQ(sv().Shutdown(s, SHUT_RDWR), 0);
  char buf[8];
  EXPECT_EQ(cl().Read(c, buf, sizeof buf), 0);
  EXPECT_EQ(cl().Write(c, "hello", 5), 5);
  net().Settle();
  EXPECT_EQ(cl().Write(c, "hello", 5), -EPIPE);
  EXPECT_EQ(sv().Read(s, buf, sizeof buf), -ECONNRESET);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiShutdownTest, ::testing::Values("ustack", "kernel"),
                         BackendName);

}  // namespace
}  // namespace ustack::api
