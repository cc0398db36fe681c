// poll and select on both backends: the revents of fresh, listening, connected, half-closed
// and reset sockets, POLLNVAL and ignored entries, select's sets, timeouts and errors.
#include "api_fixture.h"

namespace ustack::api {
namespace {

using ApiPollTest = ApiTest;

TEST_P(ApiPollTest, ReventsOfEachSocketState) {
  uint16_t port = 0;
  const int lfd = Listener(&port);
  const auto [c, s] = PairVia(lfd, port);
  const int fresh = sv().Socket(AF_INET, SOCK_STREAM, 0);
  const int gone = sv().Socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(sv().Close(gone), 0);
  pollfd p[5] = {{s, POLLIN | POLLOUT, 0},
                 {fresh, POLLIN | POLLOUT, 0},
                 {lfd, POLLIN | POLLOUT, 0},
                 {gone, POLLIN, 0},
                 {-1, POLLIN, 0}};
  ASSERT_EQ(sv().Poll(p, 5, 0), 3);
  EXPECT_EQ(p[0].revents, POLLOUT);
  EXPECT_EQ(p[1].revents, POLLOUT | POLLHUP);  // unconnected TCP
  EXPECT_EQ(p[2].revents, 0);
  EXPECT_EQ(p[3].revents, POLLNVAL);
  EXPECT_EQ(p[4].revents, 0);
  ASSERT_EQ(cl().Write(c, "hi", 2), 2);
  ASSERT_TRUE(WaitReadable(sv(), s, 2));
  pollfd in{s, POLLIN | POLLRDNORM | POLLOUT, 0};
  ASSERT_EQ(sv().Poll(&in, 1, 0), 1);
  EXPECT_EQ(in.revents, POLLIN | POLLRDNORM | POLLOUT);
  ASSERT_EQ(cl().Shutdown(c, SHUT_WR), 0);
  in.events = POLLIN | POLLRDHUP;
  ASSERT_TRUE(Until([&] { return sv().Poll(&in, 1, 0) == 1 && (in.revents & POLLRDHUP); }));
  EXPECT_EQ(in.revents, POLLIN | POLLRDHUP);
}

TEST_P(ApiPollTest, ResetConnectionPollsErrAndHup) {
  const auto [c, s] = Pair();
  const linger abort_close{1, 0};
  ASSERT_EQ(cl().SetSockOpt(c, SOL_SOCKET, SO_LINGER, &abort_close, sizeof abort_close), 0);
  ASSERT_EQ(cl().Close(c), 0);
  pollfd p{s, POLLIN | POLLOUT | POLLRDHUP, 0};
  ASSERT_TRUE(Until([&] { return sv().Poll(&p, 1, 0) == 1 && (p.revents & POLLERR); }));
  EXPECT_EQ(p.revents, POLLIN | POLLOUT | POLLRDHUP | POLLERR | POLLHUP);
}

TEST_P(ApiPollTest, PollTimeoutAndErrors) {
  const auto [c, s] = Pair();
  pollfd p{s, POLLIN, 0};
  const Instant start = net().Now();
  EXPECT_EQ(sv().Poll(&p, 1, 20), 0);
  ExpectWaited(start, Duration::Millis(20));
  EXPECT_EQ(sv().Poll(nullptr, 0, 0), 0);
  ASSERT_EQ(cl().Write(c, "x", 1), 1);
  EXPECT_EQ(sv().Poll(&p, 1, -1), 1);  // waits for the byte
}

TEST_P(ApiPollTest, SelectSetsTimeoutAndErrors) {
  const auto [c, s] = Pair();
  fd_set r, w;
  FD_ZERO(&r);
  FD_ZERO(&w);
  FD_SET(s, &r);
  FD_SET(s, &w);
  timeval zero{0, 0};
  ASSERT_EQ(sv().Select(s + 1, &r, &w, nullptr, &zero), 1);
  EXPECT_FALSE(FD_ISSET(s, &r));
  EXPECT_TRUE(FD_ISSET(s, &w));
  FD_ZERO(&r);
  FD_SET(s, &r);
  timeval tv{0, 20000};
  const Instant start = net().Now();
  EXPECT_EQ(sv().Select(s + 1, &r, nullptr, nullptr, &tv), 0);
  ExpectWaited(start, Duration::Millis(20));
  EXPECT_FALSE(FD_ISSET(s, &r));
  ASSERT_EQ(cl().Write(c, "x", 1), 1);
  ASSERT_TRUE(WaitReadable(sv(), s));
  FD_SET(s, &r);
  FD_ZERO(&w);
  FD_SET(s, &w);
  ASSERT_EQ(sv().Select(s + 1, &r, &w, nullptr, nullptr), 2);  // one fd, counted per set
  EXPECT_TRUE(FD_ISSET(s, &r));
  const int gone = sv().Socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(sv().Close(gone), 0);
  FD_ZERO(&r);
  FD_SET(gone, &r);
  EXPECT_EQ(sv().Select(gone + 1, &r, nullptr, nullptr, &zero), -EBADF);
  EXPECT_EQ(sv().Select(-1, nullptr, nullptr, nullptr, &zero), -EINVAL);
  timeval bad{0, -1};
  EXPECT_EQ(sv().Select(0, nullptr, nullptr, nullptr, &bad), -EINVAL);
}

TEST_P(ApiPollTest, SelectSeesEndOfStreamAsReadable) {
  const auto [c, s] = Pair();
  ASSERT_EQ(cl().Close(c), 0);
  fd_set r;
  FD_ZERO(&r);
  FD_SET(s, &r);
  ASSERT_EQ(sv().Select(s + 1, &r, nullptr, nullptr, nullptr), 1);
  char buf[4];
  EXPECT_EQ(sv().Read(s, buf, sizeof buf), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiPollTest, ::testing::Values("ustack", "kernel"), BackendName);

}  // namespace
}  // namespace ustack::api
