// kqueue over socketpair ends (ustack only: Linux has no kqueue): EVFILT_READ reports the
// readable byte count and EV_EOF once the other end shut writing or closed, EVFILT_WRITE the
// room left and EV_EOF once the other end is gone; EV_CLEAR waits for the next change.
#include <gtest/gtest.h>

#include "buf/test_eal.h"
#include "sim_harness.h"
#include "socket/kqueue.h"

namespace ustack::sim {
namespace {

rte_mempool* Pool() {
  static PacketPool pool("pair_kq_pool", 1023);  // test fixture state
  return pool.get();
}

KEvent Change(uintptr_t ident, int16_t filter, uint16_t flags) {
  KEvent k{};
  k.ident = ident;
  k.filter = filter;
  k.flags = flags;
  return k;
}

TEST(SocketpairKqueueTest, ReadWriteFiltersAndEof) {
  ASSERT_TRUE(InitTestEal());
  TwoStacks s(Pool(), 3, Impairment{});
  SocketApi& api = s.a();
  int p[2];
  ASSERT_EQ(api.Socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p), 0);
  const int kq = api.Kqueue();
  const KEvent changes[2] = {Change(static_cast<uintptr_t>(p[1]), kEvFiltRead, kEvAdd | kEvClear),
                             Change(static_cast<uintptr_t>(p[0]), kEvFiltWrite, kEvAdd)};
  ASSERT_EQ(api.Kevent(kq, changes, 2, nullptr, 0, nullptr), 0);
  KEvent out[4];
  const timespec zero{0, 0};
  ASSERT_EQ(api.Kevent(kq, nullptr, 0, out, 4, &zero), 1);  // writable, nothing to read
  EXPECT_EQ(out[0].filter, kEvFiltWrite);
  EXPECT_EQ(out[0].data, PairSock::kCapacity);
  ASSERT_EQ(api.Write(p[0], "hello", 5), 5);
  int n = api.Kevent(kq, nullptr, 0, out, 4, &zero);
  ASSERT_EQ(n, 2);
  const KEvent& rd = out[0].filter == kEvFiltRead ? out[0] : out[1];
  EXPECT_EQ(rd.ident, static_cast<uintptr_t>(p[1]));
  EXPECT_EQ(rd.data, 5);
  EXPECT_EQ(rd.flags & kEvEof, 0);
  ASSERT_EQ(api.Kevent(kq, nullptr, 0, out, 4, &zero), 1);  // EV_CLEAR: read not again
  EXPECT_EQ(out[0].filter, kEvFiltWrite);
  ASSERT_EQ(api.Shutdown(p[0], SHUT_WR), 0);
  n = api.Kevent(kq, nullptr, 0, out, 4, &zero);
  bool saw_eof = false;
  for (int i = 0; i < n; ++i) {
    if (out[i].filter == kEvFiltRead) saw_eof = (out[i].flags & kEvEof) != 0;
  }
  EXPECT_TRUE(saw_eof);
  ASSERT_EQ(api.Close(p[1]), 0);  // the reader is gone: the writer sees EOF
  ASSERT_EQ(api.Kevent(kq, nullptr, 0, out, 4, &zero), 1);
  EXPECT_EQ(out[0].filter, kEvFiltWrite);
  EXPECT_NE(out[0].flags & kEvEof, 0);
  EXPECT_EQ(out[0].data, 0);
}

}  // namespace
}  // namespace ustack::sim
