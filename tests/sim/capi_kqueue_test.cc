// kqueue semantics of SocketApi over two simulated stacks, as FreeBSD defines them: filter
// data (accept-queue length, readable and writable bytes), EV_EOF, level and EV_CLEAR
// triggering, EV_ONESHOT, EV_DISPATCH, EV_ENABLE/DISABLE, EV_RECEIPT and per-change EV_ERROR,
// EVFILT_TIMER and EVFILT_USER, argument errors, and timeouts that drive the loop.
#include <climits>

#include "capi_fixture.h"
#include "socket/kqueue.h"

namespace ustack::sim {
namespace {

KEvent Change(uintptr_t ident, int16_t filter, uint16_t flags, uint32_t fflags = 0,
              int64_t data = 0, void* udata = nullptr) {
  KEvent k{};
  k.ident = ident;
  k.filter = filter;
  k.flags = flags;
  k.fflags = fflags;
  k.data = data;
  k.udata = udata;
  return k;
}

constexpr timespec kZero{0, 0};

class KqueueTest : public CapiSimTest {
 protected:
  int Apply(SocketApi& api, int kq, const KEvent& ch) {
    return api.Kevent(kq, &ch, 1, nullptr, 0, &kZero);
  }
  int Poll(SocketApi& api, int kq) { return api.Kevent(kq, nullptr, 0, out_, 8, &kZero); }
  KEvent out_[8];
};

TEST_F(KqueueTest, ListenerDataIsAcceptQueueLength) {
  const int lfd = Listen(80);
  const int kq = b().Kqueue();
  int tag = 0;
  ASSERT_EQ(Apply(b(), kq, Change(lfd, kEvFiltRead, kEvAdd, 0, 0, &tag)), 0);
  EXPECT_EQ(Poll(b(), kq), 0);
  sockaddr_in ra = Addr(kAddrB, 80);
  for (int i = 0; i < 2; ++i) {
    const int c = a().Socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(a().Connect(c, Sa(ra), sizeof ra), -EINPROGRESS);
  }
  ASSERT_TRUE(Until([&] { return Poll(b(), kq) == 1 && out_[0].data == 2; }));
  EXPECT_EQ(out_[0].ident, static_cast<uintptr_t>(lfd));
  EXPECT_EQ(out_[0].filter, kEvFiltRead);
  EXPECT_EQ(out_[0].udata, &tag);
  EXPECT_EQ(out_[0].flags & kEvEof, 0);
  ASSERT_GE(b().Accept(lfd, nullptr, nullptr), 0);
  ASSERT_EQ(Poll(b(), kq), 1);
  EXPECT_EQ(out_[0].data, 1);
  ASSERT_GE(b().Accept(lfd, nullptr, nullptr), 0);
  EXPECT_EQ(Poll(b(), kq), 0);
}

TEST_F(KqueueTest, ReadDataIsByteCountAndPeerFinSetsEof) {
  const int lfd = Listen(81);
  const auto conn = Connected(lfd, 81);
  [[maybe_unused]] const int c = conn.first, srv = conn.second;
  const int kq = b().Kqueue();
  ASSERT_EQ(Apply(b(), kq, Change(srv, kEvFiltRead, kEvAdd)), 0);
  ASSERT_EQ(Apply(b(), kq, Change(srv, kEvFiltWrite, kEvAdd)), 0);
  ASSERT_EQ(Poll(b(), kq), 1);  // writable only
  EXPECT_EQ(out_[0].filter, kEvFiltWrite);
  EXPECT_GT(out_[0].data, 0);
  ASSERT_EQ(Apply(b(), kq, Change(srv, kEvFiltWrite, kEvDelete)), 0);
  ASSERT_EQ(a().Write(c, "hello", 5), 5);
  ASSERT_TRUE(Until([&] { return Poll(b(), kq) == 1; }));
  EXPECT_EQ(out_[0].data, 5);
  EXPECT_EQ(out_[0].flags & kEvEof, 0);
  ASSERT_EQ(a().Shutdown(c, SHUT_WR), 0);
  ASSERT_TRUE(Until([&] { return Poll(b(), kq) == 1 && (out_[0].flags & kEvEof); }));
  EXPECT_EQ(out_[0].data, 5);  // EOF is flagged while data is still unread
  char buf[8];
  EXPECT_EQ(b().Read(srv, buf, sizeof buf), 5);
  ASSERT_EQ(Poll(b(), kq), 1);
  EXPECT_EQ(out_[0].data, 0);
  EXPECT_NE(out_[0].flags & kEvEof, 0);
}

TEST_F(KqueueTest, LevelRepeatsClearWaitsForChange) {
  const int lfd = Listen(82);
  const auto conn = Connected(lfd, 82);
  [[maybe_unused]] const int c = conn.first, srv = conn.second;
  const int lt = b().Kqueue();
  const int et = b().Kqueue();
  ASSERT_EQ(Apply(b(), lt, Change(srv, kEvFiltRead, kEvAdd)), 0);
  ASSERT_EQ(Apply(b(), et, Change(srv, kEvFiltRead, kEvAdd | kEvClear)), 0);
  ASSERT_EQ(a().Write(c, "ab", 2), 2);
  ASSERT_TRUE(Until([&] { return Poll(b(), lt) == 1; }));
  EXPECT_EQ(Poll(b(), lt), 1);  // still readable: reported again
  EXPECT_EQ(Poll(b(), et), 1);
  EXPECT_EQ(Poll(b(), et), 0);  // nothing changed since
  ASSERT_EQ(a().Write(c, "c", 1), 1);
  ASSERT_TRUE(Until([&] { return Poll(b(), et) == 1; }));
  EXPECT_EQ(out_[0].data, 3);
  char buf[8];
  EXPECT_EQ(b().Read(srv, buf, sizeof buf), 3);
  EXPECT_EQ(Poll(b(), lt), 0);
}

TEST_F(KqueueTest, OneshotDeletesDispatchDisablesUntilEnabled) {
  const int lfd = Listen(83);
  const auto conn = Connected(lfd, 83);
  [[maybe_unused]] const int c = conn.first, srv = conn.second;
  const int kq = b().Kqueue();
  ASSERT_EQ(Apply(b(), kq, Change(srv, kEvFiltRead, kEvAdd | kEvOneshot)), 0);
  ASSERT_EQ(a().Write(c, "x", 1), 1);
  ASSERT_TRUE(Until([&] { return Poll(b(), kq) == 1; }));
  EXPECT_NE(out_[0].flags & kEvOneshot, 0);
  EXPECT_EQ(Poll(b(), kq), 0);
  EXPECT_EQ(Apply(b(), kq, Change(srv, kEvFiltRead, kEvDelete)), -ENOENT);  // already gone

  ASSERT_EQ(Apply(b(), kq, Change(srv, kEvFiltRead, kEvAdd | kEvDispatch)), 0);
  ASSERT_EQ(Poll(b(), kq), 1);
  EXPECT_EQ(Poll(b(), kq), 0);  // disabled after delivery
  ASSERT_EQ(Apply(b(), kq, Change(srv, kEvFiltRead, kEvEnable)), 0);
  EXPECT_EQ(Poll(b(), kq), 1);
  ASSERT_EQ(Apply(b(), kq, Change(srv, kEvFiltRead, kEvDisable)), 0);
  EXPECT_EQ(Poll(b(), kq), 0);
  ASSERT_EQ(Apply(b(), kq, Change(srv, kEvFiltRead, kEvAdd)), 0);  // adding enables
  EXPECT_EQ(Poll(b(), kq), 1);
}

TEST_F(KqueueTest, ReceiptAndErrorsArePerChange) {
  const int fd = b().Socket(AF_INET, SOCK_STREAM, 0);
  const int ep = b().EpollCreate();
  const int kq = b().Kqueue();
  KEvent ch[5] = {
      Change(fd, kEvFiltRead, kEvAdd | kEvReceipt),  // fine: receipt with data 0
      Change(999, kEvFiltRead, kEvAdd),              // no such fd
      Change(fd, kEvFiltWrite, kEvDelete),           // not registered
      Change(fd, 42, kEvAdd),                        // unknown filter
      Change(ep, kEvFiltRead, kEvAdd),               // an fd, but not a socket
  };
  ASSERT_EQ(b().Kevent(kq, ch, 5, out_, 8, &kZero), 5);
  const int64_t want[5] = {0, EBADF, ENOENT, EINVAL, EINVAL};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(out_[i].flags, kEvError) << i;
    EXPECT_EQ(out_[i].data, want[i]) << i;
    EXPECT_EQ(out_[i].ident, ch[i].ident) << i;
  }
  // Without room in the event list the first error fails the call.
  EXPECT_EQ(b().Kevent(kq, &ch[1], 1, nullptr, 0, &kZero), -EBADF);
  EXPECT_EQ(b().Kevent(fd, nullptr, 0, out_, 8, &kZero), -EBADF);  // not a kqueue
  EXPECT_EQ(b().Kevent(1000, nullptr, 0, out_, 8, &kZero), -EBADF);
  EXPECT_EQ(b().Kevent(kq, nullptr, -1, out_, 8, &kZero), -EINVAL);
  EXPECT_EQ(b().Kevent(kq, nullptr, 1, out_, 8, &kZero), -EFAULT);
  const timespec bad{0, 1000000000};
  EXPECT_EQ(b().Kevent(kq, nullptr, 0, out_, 8, &bad), -EINVAL);
}

TEST_F(KqueueTest, CloseRemovesTheFdsFilters) {
  const int lfd = Listen(84);
  const auto conn = Connected(lfd, 84);
  [[maybe_unused]] const int c = conn.first, srv = conn.second;
  const int kq = b().Kqueue();
  ASSERT_EQ(Apply(b(), kq, Change(srv, kEvFiltWrite, kEvAdd)), 0);
  const int dup = b().Dup(srv);
  ASSERT_GE(dup, 0);
  ASSERT_EQ(Apply(b(), kq, Change(dup, kEvFiltWrite, kEvAdd)), 0);
  ASSERT_EQ(Poll(b(), kq), 2);  // one socket, two fds: two knotes
  ASSERT_EQ(b().Close(srv), 0);
  ASSERT_EQ(Poll(b(), kq), 1);
  EXPECT_EQ(out_[0].ident, static_cast<uintptr_t>(dup));
  EXPECT_EQ(Apply(b(), kq, Change(srv, kEvFiltWrite, kEvDelete)), -EBADF);
  ASSERT_EQ(b().Close(dup), 0);
  EXPECT_EQ(Poll(b(), kq), 0);
  EXPECT_EQ(b().Close(kq), 0);
}

TEST_F(KqueueTest, TimerCountsExpirationsInMilliseconds) {
  const int kq = b().Kqueue();
  int tag = 0;
  ASSERT_EQ(Apply(b(), kq, Change(7, kEvFiltTimer, kEvAdd, 0, 10, &tag)), 0);
  ASSERT_EQ(Apply(b(), kq, Change(8, kEvFiltTimer, kEvAdd | kEvOneshot, kNoteUseconds, 500)), 0);
  EXPECT_EQ(Apply(b(), kq, Change(9, kEvFiltTimer, kEvAdd, 0, -1)), -EINVAL);
  const Instant start = t_;
  EXPECT_EQ(Poll(b(), kq), 0);
  ASSERT_TRUE(Until([&] { return t_ - start >= Duration::Micros(600); }));
  ASSERT_EQ(Poll(b(), kq), 1);  // the 500 us one-shot
  EXPECT_EQ(out_[0].ident, 8u);
  EXPECT_EQ(out_[0].data, 1);
  ASSERT_TRUE(Until([&] { return t_ - start >= Duration::Millis(35); }));
  ASSERT_EQ(Poll(b(), kq), 1);
  EXPECT_EQ(out_[0].ident, 7u);
  EXPECT_EQ(out_[0].filter, kEvFiltTimer);
  EXPECT_EQ(out_[0].data, 3);  // 10, 20 and 30 ms passed
  EXPECT_EQ(out_[0].udata, &tag);
  EXPECT_EQ(Poll(b(), kq), 0);
  EXPECT_EQ(Apply(b(), kq, Change(8, kEvFiltTimer, kEvDelete)), -ENOENT);
}

TEST_F(KqueueTest, UserEventTriggersWithFflags) {
  const int kq = b().Kqueue();
  ASSERT_EQ(Apply(b(), kq, Change(42, kEvFiltUser, kEvAdd | kEvClear)), 0);
  EXPECT_EQ(Poll(b(), kq), 0);
  ASSERT_EQ(Apply(b(), kq, Change(42, kEvFiltUser, 0, kNoteTrigger | kNoteFfCopy | 5)), 0);
  ASSERT_EQ(Poll(b(), kq), 1);
  EXPECT_EQ(out_[0].ident, 42u);
  EXPECT_EQ(out_[0].filter, kEvFiltUser);
  EXPECT_EQ(out_[0].fflags, 5u);
  EXPECT_EQ(Poll(b(), kq), 0);  // EV_CLEAR reset the trigger
  ASSERT_EQ(Apply(b(), kq, Change(42, kEvFiltUser, 0, kNoteFfOr | 2)), 0);
  EXPECT_EQ(Poll(b(), kq), 0);  // fflags changed, but no trigger
  ASSERT_EQ(Apply(b(), kq, Change(42, kEvFiltUser, 0, kNoteTrigger)), 0);
  ASSERT_EQ(Poll(b(), kq), 1);
  EXPECT_EQ(out_[0].fflags, 2u);
  EXPECT_EQ(Apply(b(), kq, Change(43, kEvFiltUser, 0, kNoteTrigger)), -ENOENT);
}

TEST_F(KqueueTest, TimeoutDrivesTheLoop) {
  const int lfd = Listen(85);
  const auto conn = Connected(lfd, 85);
  [[maybe_unused]] const int c = conn.first, srv = conn.second;
  const int kq = b().Kqueue();
  ASSERT_EQ(Apply(b(), kq, Change(srv, kEvFiltRead, kEvAdd)), 0);
  // Without a hook a wait cannot run the loop: it returns what is ready now.
  const timespec ten_ms{0, 10000000};
  EXPECT_EQ(b().Kevent(kq, nullptr, 0, out_, 8, &ten_ms), 0);
  EnableBlocking();
  Instant start = t_;
  EXPECT_EQ(b().Kevent(kq, nullptr, 0, out_, 8, &ten_ms), 0);
  EXPECT_GE(t_ - start, Duration::Millis(10));
  ASSERT_EQ(a().Write(c, "late", 4), 4);
  start = t_;
  ASSERT_EQ(b().Kevent(kq, nullptr, 0, out_, 8, nullptr), 1);  // waits as long as needed
  EXPECT_EQ(out_[0].data, 4);
  EXPECT_LT(t_ - start, Duration::Millis(5));
  stop_ = true;  // a stopping loop ends a wait with EINTR
  char buf[8];
  ASSERT_EQ(b().Read(srv, buf, sizeof buf), 4);
  EXPECT_EQ(b().Kevent(kq, nullptr, 0, out_, 8, nullptr), -EINTR);
}

}  // namespace
}  // namespace ustack::sim
