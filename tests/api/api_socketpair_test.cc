// socketpair(AF_UNIX, SOCK_STREAM) on both backends (ustack: both ends inside its fd table):
// bytes both ways through read/write, readiness through poll and epoll, shutdown, close of one
// end giving end of stream (or ECONNRESET when it dropped unread bytes) and EPIPE on the other,
// a full pair, options, and the errors of the other families and types.
#include <vector>

#include "api_fixture.h"

namespace ustack::api {
namespace {

using ApiSocketpairTest = ApiTest;

TEST_P(ApiSocketpairTest, BytesFlowBothWays) {
  int sv2[2] = {-1, -1};
  ASSERT_EQ(cl().Socketpair(AF_UNIX, SOCK_STREAM, 0, sv2), 0);
  const int a = sv2[0], b = sv2[1];
  EXPECT_NE(a, b);
  ASSERT_EQ(cl().Write(a, "ping", 4), 4);
  EXPECT_EQ(Readable(cl(), b), 4);
  char buf[16];
  ASSERT_EQ(cl().Recv(b, buf, 2, MSG_PEEK), 2);
  ASSERT_EQ(cl().Read(b, buf, sizeof buf), 4);
  EXPECT_EQ(std::string(buf, 4), "ping");
  const iovec out[2] = {{const_cast<char*>("po"), 2}, {const_cast<char*>("ng"), 2}};
  ASSERT_EQ(cl().WriteV(b, out, 2), 4);
  ASSERT_EQ(cl().Recv(a, buf, sizeof buf, MSG_DONTWAIT), 4);
  EXPECT_EQ(std::string(buf, 4), "pong");
  EXPECT_EQ(cl().Recv(a, buf, sizeof buf, MSG_DONTWAIT), -EAGAIN);
  int v = 0;
  EXPECT_EQ(cl().GetInt(a, SOL_SOCKET, SO_TYPE, &v), 0);
  EXPECT_EQ(v, SOCK_STREAM);
  EXPECT_EQ(cl().GetInt(a, SOL_SOCKET, SO_DOMAIN, &v), 0);
  EXPECT_EQ(v, AF_UNIX);
  sockaddr_in name{};
  socklen_t len = sizeof name;
  EXPECT_EQ(cl().GetSockName(a, Sa(&name), &len), 0);
  EXPECT_EQ(len, sizeof(sa_family_t));  // unnamed
  EXPECT_EQ(name.sin_family, AF_UNIX);
  len = sizeof name;
  EXPECT_EQ(cl().GetPeerName(a, Sa(&name), &len), 0);
}

TEST_P(ApiSocketpairTest, ReadinessThroughPollAndEpoll) {
  int p[2];
  ASSERT_EQ(cl().Socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p), 0);
  EXPECT_EQ(cl().Fcntl(p[0], F_GETFL, 0), O_RDWR | O_NONBLOCK);
  const int ep = cl().EpollCreate();
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLET;
  ev.data.fd = p[1];
  ASSERT_EQ(cl().EpollCtl(ep, EPOLL_CTL_ADD, p[1], &ev), 0);
  epoll_event got[2];
  EXPECT_EQ(cl().EpollWait(ep, got, 2, 0), 0);
  pollfd pf{p[1], POLLIN | POLLOUT, 0};
  ASSERT_EQ(cl().Poll(&pf, 1, 0), 1);
  EXPECT_EQ(pf.revents, POLLOUT);
  ASSERT_EQ(cl().Write(p[0], "x", 1), 1);
  ASSERT_EQ(cl().EpollWait(ep, got, 2, 0), 1);
  EXPECT_EQ(got[0].events, EPOLLIN);
  EXPECT_EQ(cl().EpollWait(ep, got, 2, 0), 0);  // edge reported
  ASSERT_EQ(cl().Write(p[0], "y", 1), 1);
  EXPECT_EQ(cl().EpollWait(ep, got, 2, 0), 1);  // each write is a new edge
  ASSERT_EQ(cl().Poll(&pf, 1, 0), 1);
  EXPECT_EQ(pf.revents, POLLIN | POLLOUT);
}

TEST_P(ApiSocketpairTest, CloseGivesEndOfStreamAndEpipe) {
  int p[2];
  ASSERT_EQ(cl().Socketpair(AF_UNIX, SOCK_STREAM, 0, p), 0);
  ASSERT_EQ(cl().Write(p[1], "bye", 3), 3);
  ASSERT_EQ(cl().Close(p[1]), 0);
  pollfd pf{p[0], POLLIN | POLLOUT | POLLRDHUP, 0};
  ASSERT_EQ(cl().Poll(&pf, 1, 0), 1);
  EXPECT_EQ(pf.revents, POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
  char buf[8];
  EXPECT_EQ(cl().Read(p[0], buf, sizeof buf), 3);  // what was written stays readable
  EXPECT_EQ(cl().Read(p[0], buf, sizeof buf), 0);
  EXPECT_EQ(cl().Write(p[0], "x", 1), -EPIPE);
  sockaddr_in name{};
  socklen_t len = sizeof name;
  EXPECT_EQ(cl().GetPeerName(p[0], Sa(&name), &len), 0);  // Linux still names the peer
}

TEST_P(ApiSocketpairTest, CloseWithUnreadBytesResetsTheOtherEnd) {
  int p[2];
  ASSERT_EQ(cl().Socketpair(AF_UNIX, SOCK_STREAM, 0, p), 0);
  ASSERT_EQ(cl().Write(p[0], "lost", 4), 4);
  ASSERT_EQ(cl().Close(p[1]), 0);  // p[1] never read them
  pollfd pf{p[0], POLLIN, 0};
  ASSERT_EQ(cl().Poll(&pf, 1, 0), 1);
  EXPECT_EQ(pf.revents, POLLIN | POLLERR | POLLHUP);
  EXPECT_EQ(cl().Write(p[0], "x", 1), -EPIPE);
  char buf[8];
  EXPECT_EQ(cl().Read(p[0], buf, sizeof buf), -ECONNRESET);
  EXPECT_EQ(cl().Read(p[0], buf, sizeof buf), 0);
}

TEST_P(ApiSocketpairTest, ShutdownEachDirection) {
  int p[2];
  ASSERT_EQ(cl().Socketpair(AF_UNIX, SOCK_STREAM, 0, p), 0);
  ASSERT_EQ(cl().Shutdown(p[0], SHUT_WR), 0);
  EXPECT_EQ(cl().Write(p[0], "x", 1), -EPIPE);
  char buf[8];
  EXPECT_EQ(cl().Read(p[1], buf, sizeof buf), 0);
  pollfd pf{p[1], POLLIN | POLLRDHUP | POLLOUT, 0};
  ASSERT_EQ(cl().Poll(&pf, 1, 0), 1);
  EXPECT_EQ(pf.revents, POLLIN | POLLRDHUP | POLLOUT);
  ASSERT_EQ(cl().Write(p[1], "ok", 2), 2);  // the other direction still works
  EXPECT_EQ(cl().Read(p[0], buf, sizeof buf), 2);
  ASSERT_EQ(cl().Shutdown(p[0], SHUT_RD), 0);
  EXPECT_EQ(cl().Write(p[1], "x", 1), -EPIPE);  // nobody reads there any more
  EXPECT_EQ(cl().Read(p[0], buf, sizeof buf), 0);
  EXPECT_EQ(cl().Shutdown(p[0], 9), -EINVAL);
}

TEST_P(ApiSocketpairTest, FullPairGivesEagainAndTimeouts) {
  int p[2];
  ASSERT_EQ(cl().Socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p), 0);
  std::vector<char> chunk(64 * 1024, 'f');
  size_t sent = 0;
  ssize_t n = 0;
  while ((n = cl().Write(p[0], chunk.data(), chunk.size())) > 0) sent += static_cast<size_t>(n);
  EXPECT_EQ(n, -EAGAIN);
  EXPECT_GT(sent, 0u);
  pollfd pf{p[0], POLLOUT, 0};
  EXPECT_EQ(cl().Poll(&pf, 1, 0), 0);
  std::vector<char> sink(1 << 20);
  size_t got = 0;
  while ((n = cl().Read(p[1], sink.data(), sink.size())) > 0) got += static_cast<size_t>(n);
  EXPECT_EQ(got, sent);
  EXPECT_EQ(cl().Poll(&pf, 1, 0), 1);
  // Blocking with SO_RCVTIMEO: EAGAIN after the timeout.
  ASSERT_EQ(cl().Fcntl(p[1], F_SETFL, 0), 0);
  const timeval tv{0, 20000};
  ASSERT_EQ(cl().SetSockOpt(p[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  const Instant start = net().Now();
  EXPECT_EQ(cl().Read(p[1], sink.data(), 1), -EAGAIN);
  ExpectWaited(start, Duration::Millis(20));
}

TEST_P(ApiSocketpairTest, ErrorsMatchLinux) {
  int p[2];
  EXPECT_EQ(cl().Socketpair(AF_INET, SOCK_STREAM, 0, p), -EOPNOTSUPP);
  EXPECT_EQ(cl().Socketpair(AF_UNIX, 7, 0, p), -ESOCKTNOSUPPORT);  // no such type
  EXPECT_EQ(cl().Socketpair(AF_UNIX, 77, 0, p), -EINVAL);          // past the last type
  ASSERT_EQ(cl().Socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p), 0);
  EXPECT_EQ(cl().Fcntl(p[1], F_GETFD, 0), FD_CLOEXEC);
  EXPECT_EQ(cl().Listen(p[0], 1), -EINVAL);
  EXPECT_EQ(cl().Accept(p[0]), -EINVAL);
  const int one = 1;
  EXPECT_EQ(cl().SetSockOpt(p[0], IPPROTO_TCP, 1, &one, sizeof one), -EOPNOTSUPP);
  EXPECT_EQ(cl().SetInt(p[0], SOL_SOCKET, SO_REUSEADDR, 1), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiSocketpairTest, ::testing::Values("ustack", "kernel"),
                         BackendName);

}  // namespace
}  // namespace ustack::api
