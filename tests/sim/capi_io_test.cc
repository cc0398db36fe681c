// The POSIX calls the C API adds to SocketApi, over two simulated stacks: poll, select,
// ioctl, fcntl, readv/writev, sendmsg/recvmsg, dup/dup2, blocking calls that drive the loop
// (with SO_RCVTIMEO / SO_SNDTIMEO and EINTR when it stops), and wrong arguments giving the
// same return values and errno as Linux.
#include <fcntl.h>
#include <limits.h>
#include <sys/ioctl.h>

#include <cstring>
#include <string>

#include "capi_fixture.h"

namespace ustack::sim {
namespace {

using CapiIoTest = CapiSimTest;

TEST_F(CapiIoTest, PollReportsReadinessInvalidAndIgnoredFds) {
  const int lfd = Listen(90);
  const auto conn = Connected(lfd, 90);
  [[maybe_unused]] const int c = conn.first, srv = conn.second;
  const int fresh = b().Socket(AF_INET, SOCK_STREAM, 0);
  pollfd p[4] = {
      {srv, POLLIN | POLLOUT, 0}, {fresh, POLLIN | POLLOUT, 0}, {999, POLLIN, 0}, {-1, POLLIN, 0}};
  ASSERT_EQ(b().Poll(p, 4, 0), 3);
  EXPECT_EQ(p[0].revents, POLLOUT);
  EXPECT_EQ(p[1].revents, POLLOUT | POLLHUP);  // an unconnected TCP socket, as on Linux
  EXPECT_EQ(p[2].revents, POLLNVAL);
  EXPECT_EQ(p[3].revents, 0);
  ASSERT_EQ(a().Write(c, "hi", 2), 2);
  pollfd in{srv, POLLIN | POLLRDNORM, 0};
  ASSERT_TRUE(Until([&] { return b().Poll(&in, 1, 0) == 1; }));
  EXPECT_EQ(in.revents, POLLIN | POLLRDNORM);
  ASSERT_EQ(a().Shutdown(c, SHUT_WR), 0);
  in.events = POLLRDHUP;
  ASSERT_TRUE(Until([&] { return b().Poll(&in, 1, 0) == 1; }));
  EXPECT_EQ(in.revents, POLLRDHUP);
  EXPECT_EQ(b().Poll(nullptr, 1, 0), -EFAULT);
}

TEST_F(CapiIoTest, PollAndSelectTimeoutsDriveTheLoop) {
  const int lfd = Listen(91);
  const auto conn = Connected(lfd, 91);
  [[maybe_unused]] const int c = conn.first, srv = conn.second;
  EnableBlocking();
  pollfd in{srv, POLLIN, 0};
  Instant start = t_;
  EXPECT_EQ(b().Poll(&in, 1, 20), 0);
  EXPECT_GE(t_ - start, Duration::Millis(20));
  EXPECT_LT(t_ - start, Duration::Millis(21));
  ASSERT_EQ(a().Write(c, "x", 1), 1);
  EXPECT_EQ(b().Poll(&in, 1, -1), 1);  // waits for the byte
  char buf[4];
  ASSERT_EQ(b().Read(srv, buf, sizeof buf), 1);
  fd_set r;
  FD_ZERO(&r);
  FD_SET(srv, &r);
  timeval tv{0, 5000};
  start = t_;
  EXPECT_EQ(b().Select(srv + 1, &r, nullptr, nullptr, &tv), 0);
  EXPECT_GE(t_ - start, Duration::Millis(5));
  EXPECT_FALSE(FD_ISSET(srv, &r));
  ASSERT_EQ(a().Write(c, "y", 1), 1);
  FD_SET(srv, &r);
  EXPECT_EQ(b().Select(srv + 1, &r, nullptr, nullptr, nullptr), 1);
  EXPECT_TRUE(FD_ISSET(srv, &r));
  stop_ = true;
  ASSERT_EQ(b().Read(srv, buf, sizeof buf), 1);
  EXPECT_EQ(b().Poll(&in, 1, -1), -EINTR);
}

TEST_F(CapiIoTest, SelectReadWriteSetsAndErrors) {
  const int lfd = Listen(92);
  const auto conn = Connected(lfd, 92);
  [[maybe_unused]] const int c = conn.first, srv = conn.second;
  fd_set r, w;
  FD_ZERO(&r);
  FD_ZERO(&w);
  FD_SET(srv, &r);
  FD_SET(srv, &w);
  FD_SET(lfd, &r);
  ASSERT_EQ(b().Select(std::max(srv, lfd) + 1, &r, &w, nullptr, nullptr), 1);
  EXPECT_FALSE(FD_ISSET(srv, &r));
  EXPECT_FALSE(FD_ISSET(lfd, &r));
  EXPECT_TRUE(FD_ISSET(srv, &w));
  ASSERT_EQ(a().Write(c, "z", 1), 1);
  ASSERT_TRUE(Until([&] {
    FD_ZERO(&r);
    FD_SET(srv, &r);
    timeval zero{0, 0};
    return b().Select(srv + 1, &r, nullptr, nullptr, &zero) == 1;
  }));
  FD_ZERO(&r);
  FD_SET(900, &r);
  EXPECT_EQ(b().Select(901, &r, nullptr, nullptr, nullptr), -EBADF);
  EXPECT_EQ(b().Select(-1, nullptr, nullptr, nullptr, nullptr), -EINVAL);
  timeval bad{0, 1000000};
  EXPECT_EQ(b().Select(1, nullptr, nullptr, nullptr, &bad), -EINVAL);
}

TEST_F(CapiIoTest, IoctlAndFcntl) {
  const int lfd = Listen(93);
  const auto conn = Connected(lfd, 93);
  [[maybe_unused]] const int c = conn.first, srv = conn.second;
  int n = -1;
  ASSERT_EQ(b().Ioctl(srv, FIONREAD, &n), 0);
  EXPECT_EQ(n, 0);
  ASSERT_EQ(a().Write(c, "12345", 5), 5);
  ASSERT_TRUE(Until([&] { return b().Ioctl(srv, FIONREAD, &n) == 0 && n == 5; }));
  EXPECT_EQ(b().Ioctl(lfd, FIONREAD, &n), -EINVAL);  // a listener, as Linux
  EXPECT_EQ(b().Ioctl(999, FIONREAD, &n), -EBADF);
  EXPECT_EQ(b().Ioctl(srv, FIONREAD, nullptr), -EFAULT);
  EXPECT_EQ(b().Ioctl(srv, TIOCGWINSZ, &n), -ENOTTY);

  const int fd = b().Socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_EQ(b().Fcntl(fd, F_GETFL, 0), O_RDWR);
  int on = 1;
  ASSERT_EQ(b().Ioctl(fd, FIONBIO, &on), 0);
  EXPECT_EQ(b().Fcntl(fd, F_GETFL, 0), O_RDWR | O_NONBLOCK);
  ASSERT_EQ(b().Fcntl(fd, F_SETFL, 0), 0);
  EXPECT_EQ(b().Fcntl(fd, F_GETFL, 0), O_RDWR);
  const int nb = b().Socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  EXPECT_EQ(b().Fcntl(nb, F_GETFL, 0), O_RDWR | O_NONBLOCK);
  EXPECT_EQ(b().Fcntl(fd, F_GETLK, 0), -EINVAL);
  EXPECT_EQ(b().Fcntl(999, F_GETFL, 0), -EBADF);
  EXPECT_EQ(b().Fcntl(fd, F_DUPFD, 50), 50);
  EXPECT_EQ(b().Fcntl(50, F_GETFL, 0), O_RDWR);  // the dup shares the description
}

TEST_F(CapiIoTest, ReadvWritevAndMsgCalls) {
  const int lfd = Listen(94);
  const auto conn = Connected(lfd, 94);
  [[maybe_unused]] const int c = conn.first, srv = conn.second;
  char p1[] = "abc", p2[] = "", p3[] = "defgh";
  iovec out[3] = {{p1, 3}, {p2, 0}, {p3, 5}};
  ASSERT_EQ(a().WriteV(c, out, 3), 8);
  ASSERT_TRUE(Until([&] {
    int n = 0;
    return b().Ioctl(srv, FIONREAD, &n) == 0 && n == 8;
  }));
  char r1[2], r2[10];
  iovec in[2] = {{r1, 2}, {r2, 10}};
  ASSERT_EQ(b().ReadV(srv, in, 2), 8);
  EXPECT_EQ(std::string(r1, 2), "ab");
  EXPECT_EQ(std::string(r2, 6), "cdefgh");
  EXPECT_EQ(b().ReadV(srv, in, -1), -EINVAL);
  EXPECT_EQ(b().ReadV(srv, in, IOV_MAX + 1), -EINVAL);
  EXPECT_EQ(b().WriteV(999, out, 1), -EBADF);
  EXPECT_EQ(b().ReadV(srv, in, 2), -EAGAIN);

  // UDP: sendmsg with a destination, recvmsg with the source address.
  const int ub = b().Socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in bb = Addr(kAddrB, 7000);
  ASSERT_EQ(b().Bind(ub, Sa(bb), sizeof bb), 0);
  const int ua = a().Socket(AF_INET, SOCK_DGRAM, 0);
  msghdr m{};
  m.msg_name = &bb;
  m.msg_namelen = sizeof bb;
  m.msg_iov = out;
  m.msg_iovlen = 3;
  ASSERT_EQ(a().SendMsg(ua, &m, 0), 8);
  sockaddr_in from{};
  msghdr rm{};
  rm.msg_name = &from;
  rm.msg_namelen = sizeof from;
  rm.msg_iov = in;
  rm.msg_iovlen = 2;
  ssize_t got = -1;
  ASSERT_TRUE(Until([&] { return (got = b().RecvMsg(ub, &rm, 0)) != -EAGAIN; }));
  EXPECT_EQ(got, 8);
  EXPECT_EQ(from.sin_addr.s_addr, htonl(kAddrA.v));
  EXPECT_EQ(rm.msg_namelen, sizeof from);
  EXPECT_EQ(b().SendMsg(ub, nullptr, 0), -EFAULT);
}

TEST_F(CapiIoTest, DupSharesTheSocket) {
  const int lfd = Listen(95);
  const auto conn = Connected(lfd, 95);
  [[maybe_unused]] const int c = conn.first, srv = conn.second;
  const int d = a().Dup(c);
  ASSERT_GT(d, c);
  ASSERT_EQ(a().Close(c), 0);  // the connection stays open through d
  ASSERT_EQ(a().Write(d, "dup", 3), 3);
  char buf[8];
  ssize_t n = -1;
  ASSERT_TRUE(Until([&] { return (n = b().Read(srv, buf, sizeof buf)) != -EAGAIN; }));
  EXPECT_EQ(n, 3);
  const int other = a().Socket(AF_INET, SOCK_DGRAM, 0);
  EXPECT_EQ(a().Dup2(d, other), other);  // closes the UDP socket, then shares d
  int type = 0;
  socklen_t len = sizeof type;
  ASSERT_EQ(a().GetSockOpt(other, SOL_SOCKET, SO_TYPE, &type, &len), 0);
  EXPECT_EQ(type, SOCK_STREAM);
  EXPECT_EQ(a().Dup2(d, d), d);
  EXPECT_EQ(a().Dup2(d, 1), -EBADF);  // fds 0-2 are the process's
  EXPECT_EQ(a().Dup2(999, 60), -EBADF);
  EXPECT_EQ(a().Dup(999), -EBADF);
  ASSERT_EQ(a().Close(d), 0);
  ASSERT_EQ(a().Close(other), 0);  // last reference: the connection closes
  ASSERT_TRUE(Until([&] { return b().Read(srv, buf, sizeof buf) == 0; }));
}

TEST_F(CapiIoTest, BlockingCallsDriveTheLoopAndTimeOut) {
  EnableBlocking();
  const int lfd = b().Socket(AF_INET, SOCK_STREAM, 0);  // blocking
  sockaddr_in any = Addr(Ipv4Addr::Any(), 96);
  ASSERT_EQ(b().Bind(lfd, Sa(any), sizeof any), 0);
  ASSERT_EQ(b().Listen(lfd, 4), 0);
  const int c = a().Socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in ra = Addr(kAddrB, 96);
  ASSERT_EQ(a().Connect(c, Sa(ra), sizeof ra), 0);  // waits for the handshake
  const int srv = b().Accept(lfd, nullptr, nullptr);
  ASSERT_GE(srv, 0);
  ASSERT_EQ(a().Write(c, "ping", 4), 4);
  char buf[8];
  ASSERT_EQ(b().Read(srv, buf, sizeof buf), 4);  // waits for the data
  timeval tv{0, 30000};
  ASSERT_EQ(b().SetSockOpt(srv, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  timeval got{};
  socklen_t len = sizeof got;
  ASSERT_EQ(b().GetSockOpt(srv, SOL_SOCKET, SO_RCVTIMEO, &got, &len), 0);
  EXPECT_EQ(got.tv_usec, 30000);
  const Instant start = t_;
  EXPECT_EQ(b().Read(srv, buf, sizeof buf), -EAGAIN);
  EXPECT_GE(t_ - start, Duration::Millis(30));
  EXPECT_LT(t_ - start, Duration::Millis(31));
  EXPECT_EQ(b().RecvFrom(srv, buf, sizeof buf, MSG_DONTWAIT, nullptr, nullptr), -EAGAIN);
  ASSERT_EQ(b().SetSockOpt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  EXPECT_EQ(b().Accept(lfd, nullptr, nullptr), -EAGAIN);  // accept honours SO_RCVTIMEO too
}

TEST_F(CapiIoTest, ConnectToClosedPortBlockingAndStopping) {
  EnableBlocking();
  const int c = a().Socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in ra = Addr(kAddrB, 9);
  EXPECT_EQ(a().Connect(c, Sa(ra), sizeof ra), -ECONNREFUSED);
  const int lfd = b().Socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in any = Addr(Ipv4Addr::Any(), 97);
  ASSERT_EQ(b().Bind(lfd, Sa(any), sizeof any), 0);
  ASSERT_EQ(b().Listen(lfd, 4), 0);
  stop_ = true;
  EXPECT_EQ(b().Accept(lfd, nullptr, nullptr), -EINTR);
}

TEST_F(CapiIoTest, WrongArgumentsAndStatesGiveLinuxErrors) {
  const int u = b().Socket(AF_INET, SOCK_DGRAM, 0);
  const int t = b().Socket(AF_INET, SOCK_STREAM, 0);
  const int ep = b().EpollCreate();
  const int kq = b().Kqueue();
  sockaddr_in any = Addr(Ipv4Addr::Any(), 98);
  EXPECT_EQ(b().Bind(t, Sa(any), sizeof any - 1), -EINVAL);
  EXPECT_EQ(b().Bind(t, nullptr, sizeof any), -EINVAL);
  EXPECT_EQ(b().Listen(u, 4), -EOPNOTSUPP);
  EXPECT_EQ(b().Accept(u, nullptr, nullptr), -EOPNOTSUPP);
  EXPECT_EQ(b().Accept4(t, nullptr, nullptr, 0x1234), -EINVAL);
  EXPECT_EQ(b().Accept(t, nullptr, nullptr), -EINVAL);  // not listening
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  EXPECT_EQ(b().GetPeerName(t, reinterpret_cast<sockaddr*>(&peer), &len), -ENOTCONN);
  EXPECT_EQ(b().Shutdown(t, 7), -EINVAL);
  EXPECT_EQ(b().Shutdown(t, SHUT_RDWR), -ENOTCONN);
  timeval bad{1, 1000000};
  EXPECT_EQ(b().SetSockOpt(t, SOL_SOCKET, SO_RCVTIMEO, &bad, sizeof bad), -EDOM);
  EXPECT_EQ(b().SetSockOpt(t, SOL_SOCKET, SO_SNDTIMEO, &bad, 4), -EINVAL);
  int v = 0;
  socklen_t vlen = sizeof v;
  EXPECT_EQ(b().GetSockOpt(ep, SOL_SOCKET, SO_TYPE, &v, &vlen), -ENOTSOCK);
  EXPECT_EQ(b().GetSockOpt(kq, SOL_SOCKET, SO_TYPE, &v, &vlen), -ENOTSOCK);
  epoll_event ev{.events = EPOLLIN, .data = {.fd = kq}};
  EXPECT_EQ(b().EpollCtl(ep, EPOLL_CTL_ADD, kq, &ev), -EPERM);
  ev.events = EPOLLIN | EPOLLEXCLUSIVE;
  EXPECT_EQ(b().EpollCtl(ep, EPOLL_CTL_ADD, t, &ev), 0);  // accepted with ADD
  EXPECT_EQ(b().EpollCtl(ep, EPOLL_CTL_MOD, t, &ev), -EINVAL);
  EXPECT_EQ(b().EpollWait(kq, &ev, 1, 0), -EINVAL);
  char buf[4];
  EXPECT_EQ(b().RecvFrom(t, buf, sizeof buf, MSG_PEEK, nullptr, nullptr), -ENOTCONN);
  EXPECT_EQ(b().RecvFrom(t, buf, sizeof buf, MSG_OOB, nullptr, nullptr), -EOPNOTSUPP);
  EXPECT_EQ(b().SendTo(u, buf, sizeof buf, 0, nullptr, 0), -EDESTADDRREQ);
}

}  // namespace
}  // namespace ustack::sim
