// The fixture of the dual-backend API tests: ApiTest runs each TEST_P once on ustack and once
// on the Linux kernel (see api_backend.h), with helpers that set up listeners and connected
// pairs the same way on both. Each test file instantiates its suite with
//   INSTANTIATE_TEST_SUITE_P(Backends, Suite, ::testing::Values("ustack", "kernel"),
//                            BackendName);
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/ioctl.h>

#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "api_backend.h"

namespace ustack::api {

inline const sockaddr* Sa(const sockaddr_in& s) { return reinterpret_cast<const sockaddr*>(&s); }
inline sockaddr* Sa(sockaddr_in* s) { return reinterpret_cast<sockaddr*>(s); }

inline sockaddr_in AnyAddr(uint16_t port) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  s.sin_addr.s_addr = htonl(INADDR_ANY);
  s.sin_port = htons(port);
  return s;
}

class ApiTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    b_ = GetParam() == "ustack" ? MakeUstackBackend() : MakeKernelBackend();
    ASSERT_NE(b_, nullptr);
  }
  void TearDown() override { b_.reset(); }

  bool kernel() const { return GetParam() == "kernel"; }
  Host& cl() { return b_->client(); }
  Host& sv() { return b_->server(); }
  Backend& net() { return *b_; }
  bool Until(const std::function<bool()>& pred, Duration limit = Duration::Seconds(2)) {
    return b_->Until(pred, limit);
  }

  // A wait that began at `start` took `d`: exactly on ustack's simulated clock; on the kernel
  // up to one scheduler tick less (socket timeouts count in jiffies, the first one partial) and
  // not much more.
  void ExpectWaited(Instant start, Duration d) {
    const Duration took = net().Now() - start;
    const Duration slack = kernel() ? Duration::Millis(5) : Duration::Nanos(0);
    EXPECT_GE(took.nanos(), (d - slack).nanos());
    EXPECT_LT(took.nanos(), (d + Duration::Millis(500)).nanos());
  }
  // The local port of fd on host h.
  static uint16_t PortOf(Host& h, int fd) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    EXPECT_EQ(h.GetSockName(fd, Sa(&a), &len), 0);
    return ntohs(a.sin_port);
  }
  // A TCP listener on the server host at an ephemeral port (bind to port 0), returned in *port.
  int Listener(uint16_t* port, int backlog = 16) {
    const int fd = sv().Socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_GE(fd, 0);
    const sockaddr_in any = AnyAddr(0);
    EXPECT_EQ(sv().Bind(fd, Sa(any), sizeof any), 0);
    EXPECT_EQ(sv().Listen(fd, backlog), 0);
    *port = PortOf(sv(), fd);
    EXPECT_NE(*port, 0);
    return fd;
  }
  // A server port that nothing listens on: a bound, not listening socket holds it.
  uint16_t ClosedPort() {
    const int fd = sv().Socket(AF_INET, SOCK_STREAM, 0);
    const sockaddr_in any = AnyAddr(0);
    EXPECT_EQ(sv().Bind(fd, Sa(any), sizeof any), 0);
    return PortOf(sv(), fd);
  }
  // A connected TCP pair {client fd, server fd}, both blocking, the listener left open.
  std::pair<int, int> Pair() {
    uint16_t port = 0;
    const int lfd = Listener(&port);
    return PairVia(lfd, port);
  }
  std::pair<int, int> PairVia(int lfd, uint16_t port) {
    const int c = cl().Socket(AF_INET, SOCK_STREAM, 0);
    const sockaddr_in to = net().ServerAddr(port);
    EXPECT_EQ(cl().Connect(c, Sa(to), sizeof to), 0);  // blocking: runs the network
    int s = -EAGAIN;  // the server may see the handshake's last ACK a little later
    EXPECT_TRUE(Until([&] { return (s = sv().Accept4(lfd, nullptr, nullptr, 0)) != -EAGAIN; }));
    EXPECT_GE(s, 0);
    return {c, s};
  }
  // A UDP socket on host h bound to an ephemeral port (returned in *port).
  int Udp(Host& h, uint16_t* port) {
    const int fd = h.Socket(AF_INET, SOCK_DGRAM, 0);
    const sockaddr_in any = AnyAddr(0);
    EXPECT_EQ(h.Bind(fd, Sa(any), sizeof any), 0);
    *port = PortOf(h, fd);
    return fd;
  }
  static int SetNonblocking(Host& h, int fd) { return h.Fcntl(fd, F_SETFL, O_NONBLOCK); }
  // Bytes readable now on fd (FIONREAD).
  static int Readable(Host& h, int fd) {
    int n = -1;
    EXPECT_EQ(h.Ioctl(fd, FIONREAD, &n), 0);
    return n;
  }
  // Waits until fd on h has at least n bytes to read.
  bool WaitReadable(Host& h, int fd, int n = 1) {
    return Until([&] { return Readable(h, fd) >= n; });
  }

  std::unique_ptr<Backend> b_;
};

inline std::string BackendName(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

}  // namespace ustack::api
