// Fixture for the C API semantics tests (capi_*_test.cc): two simulated stacks whose clock
// advances in fixed steps, so that the SocketApi of either side can be given a poll_once
// hook (one step of the whole simulation) and its blocking calls and wait timeouts run the
// simulation exactly as the C API's run loop runs the real stack.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <utility>

#include "buf/test_eal.h"
#include "sim_harness.h"

namespace ustack::sim {

class CapiSimTest : public ::testing::Test {
 protected:
  static constexpr Duration kStep = Duration::Micros(50);

  static rte_mempool* Pool() {
    static PacketPool pool("capi_pool", 8191);  // test fixture state
    return pool.get();
  }
  static sockaddr_in Addr(Ipv4Addr a, uint16_t port) { return Sockaddr(a, port); }
  static const sockaddr* Sa(const sockaddr_in& s) { return reinterpret_cast<const sockaddr*>(&s); }

  void SetUp() override {
    ASSERT_TRUE(InitTestEal());
    Impairment clean;
    clean.delay = Duration::Micros(20);
    s_ = std::make_unique<TwoStacks>(Pool(), 91, clean);
    t_ = s_->now();
    a().set_now(t_);
    b().set_now(t_);
  }
  void TearDown() override {
    if (s_) {
      s_->a().set_poll_once(nullptr);
      s_->b().set_poll_once(nullptr);
    }
  }

  SocketApi& a() { return s_->a(); }
  SocketApi& b() { return s_->b(); }

  // One step of the simulation: both stacks poll at the next instant.
  bool Step() {
    t_ += kStep;
    a().set_now(t_);
    b().set_now(t_);
    s_->stack_a().Poll(t_);
    s_->stack_b().Poll(t_);
    ++steps_;
    return !stop_;
  }
  // Makes blocking calls of both sides run the simulation.
  void EnableBlocking() {
    a().set_poll_once([this] { return Step(); });
    b().set_poll_once([this] { return Step(); });
  }
  bool Until(const std::function<bool()>& pred, Duration limit = Duration::Seconds(5)) {
    const Instant end = t_ + limit;
    while (t_ < end) {
      Step();
      if (pred()) return true;
    }
    return false;
  }
  int Listen(uint16_t port) {
    const int fd = b().Socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in any = Addr(Ipv4Addr::Any(), port);
    EXPECT_EQ(b().Bind(fd, Sa(any), sizeof any), 0);
    EXPECT_EQ(b().Listen(fd, 16), 0);
    return fd;
  }
  // Connects A to B:port (non-blocking) and accepts on B; returns {client, server}.
  std::pair<int, int> Connected(int lfd, uint16_t port) {
    const int c = a().Socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in ra = Addr(kAddrB, port);
    EXPECT_EQ(a().Connect(c, Sa(ra), sizeof ra), -EINPROGRESS);
    int srv = -1;
    EXPECT_TRUE(Until([&] {
      if (srv < 0) srv = b().Accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK);
      return srv >= 0;
    }));
    EXPECT_TRUE(Until([&] { return a().Connect(c, Sa(ra), sizeof ra) == -EISCONN; }));
    return {c, srv};
  }

  std::unique_ptr<TwoStacks> s_;
  Instant t_;
  uint64_t steps_ = 0;
  bool stop_ = false;  // makes Step report a stopping loop
};

}  // namespace ustack::sim
