// Unit tests for base/: checksum (RFC 1071, RFC 1624), Seq32, time, random, timing wheel.
#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <vector>

#include "base/byte_order.h"
#include "base/checksum.h"
#include "base/intrusive_list.h"
#include "base/random.h"
#include "base/ring_fifo.h"
#include "base/seq32.h"
#include "base/time.h"
#include "base/timer_wheel.h"

namespace ustack {
namespace {

TEST(ByteOrder, RoundTrip) {
  uint8_t b[4];
  StoreBe32(b, 0x01020304);
  EXPECT_EQ(b[0], 1);
  EXPECT_EQ(b[3], 4);
  EXPECT_EQ(LoadBe32(b), 0x01020304u);
  StoreBe16(b, 0xabcd);
  EXPECT_EQ(LoadBe16(b), 0xabcd);
}

// RFC 1071 section 3 worked example: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2.
TEST(Checksum, Rfc1071Example) {
  const std::array<uint8_t, 8> d = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(ChecksumFold(ChecksumAdd(0, d)), 0xddf2);
  EXPECT_EQ(InternetChecksum(d), static_cast<uint16_t>(~0xddf2));
}

TEST(Checksum, OddLengthAndSplitSumsAgree) {
  Random r(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<uint8_t> d(1 + r.Below(300));
    for (auto& x : d) x = static_cast<uint8_t>(r.Next32());
    const size_t cut = r.Below(d.size() + 1);
    uint64_t s = ChecksumAdd(0, std::span(d).first(cut));
    s = ChecksumAdd(s, std::span(d).subspan(cut), cut % 2 == 1);
    EXPECT_EQ(ChecksumFold(s), ChecksumFold(ChecksumAdd(0, d))) << "cut " << cut;
  }
}

// RFC 1071 section 1: the sum of 16-bit big-endian words with end-around carry, one byte
// at a time, as the reference for the word-at-a-time implementation.
uint16_t ReferenceFold(std::span<const uint8_t> d) {
  uint64_t s = 0;
  for (size_t i = 0; i < d.size(); ++i) s += i % 2 == 0 ? uint64_t{d[i]} << 8 : d[i];
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

// Every length 0..300 at every start alignment 0..7, with random bytes, all-0xff bytes (the
// most carries) and all zeros (the sum must stay 0, not become 0xffff).
TEST(Checksum, MatchesByteWiseReference) {
  constexpr uint64_t kSeed = 19;
  Random r(kSeed);
  std::vector<uint8_t> buf(320);
  for (int fill = 0; fill < 3; ++fill) {
    for (auto& x : buf) x = fill == 0 ? static_cast<uint8_t>(r.Next32()) : fill == 1 ? 0xff : 0;
    for (size_t align = 0; align < 8; ++align) {
      for (size_t len = 0; len <= 300; ++len) {
        const auto d = std::span<const uint8_t>(buf).subspan(align, len);
        ASSERT_EQ(ChecksumFold(ChecksumAdd(0, d)), ReferenceFold(d))
            << "seed " << kSeed << " fill " << fill << " align " << align << " len " << len;
        // A running sum carried in from before, and an odd-offset continuation.
        const size_t cut = len / 3;
        uint64_t s = ChecksumAdd(0x1fffe, d.first(cut));
        s = ChecksumAdd(s, d.subspan(cut), cut % 2 == 1);
        ASSERT_EQ(ChecksumFold(s), ChecksumFold(ReferenceFold(d) + uint64_t{0x1fffe}))
            << "seed " << kSeed << " fill " << fill << " align " << align << " len " << len;
      }
    }
  }
}

// The inline 20-byte checksum (IPv4 headers) agrees with the general one, including the
// all-0xff (most carries) and all-zero headers.
TEST(Checksum, TwentyByteFormMatchesGeneral) {
  constexpr uint64_t kSeed = 23;
  Random r(kSeed);
  std::array<uint8_t, 20> d{};
  for (int trial = 0; trial < 2000; ++trial) {
    for (auto& x : d) x = trial == 0 ? 0xff : trial == 1 ? 0 : static_cast<uint8_t>(r.Next32());
    ASSERT_EQ(InternetChecksum20(d.data()), InternetChecksum(d))
        << "seed " << kSeed << " trial " << trial;
  }
}

// RFC 1624 section 3: the incremental update equals a full recomputation.
TEST(Checksum, IncrementalUpdateMatchesRecompute) {
  Random r(11);
  for (int trial = 0; trial < 500; ++trial) {
    std::vector<uint8_t> d(20);
    for (auto& x : d) x = static_cast<uint8_t>(r.Next32());
    d[10] = d[11] = 0;
    const uint16_t ck = InternetChecksum(d);
    StoreBe16(&d[10], ck);
    const uint32_t old_v = LoadBe32(&d[12]);
    const uint32_t new_v = r.Next32();
    StoreBe32(&d[12], new_v);
    const uint16_t inc = ChecksumUpdate32(ck, old_v, new_v);
    StoreBe16(&d[10], 0);
    const uint16_t full = InternetChecksum(d);
    // 0x0000 and 0xffff are the same value in one's complement.
    EXPECT_TRUE(inc == full || (inc == 0xffff && full == 0) || (inc == 0 && full == 0xffff));
  }
}

TEST(Seq32, WrapAroundComparison) {
  const Seq32 a(0xfffffff0u);
  const Seq32 b = a + 0x20;
  EXPECT_EQ(b.raw(), 0x10u);
  EXPECT_TRUE(a < b);
  EXPECT_TRUE(b > a);
  EXPECT_EQ(b - a, 0x20);
  EXPECT_TRUE(SeqInRange(a + 5, a, b));
  EXPECT_FALSE(SeqInRange(b, a, b));
  EXPECT_EQ(SeqMax(a, b), b);
}

TEST(Time, Arithmetic) {
  const Instant t0 = Instant::FromNanos(1000);
  const Instant t1 = t0 + Duration::Millis(3);
  EXPECT_EQ((t1 - t0).micros(), 3000);
  EXPECT_LT(t0, t1);
  EXPECT_EQ(Earliest(t0, t1), t0);
}

TEST(Random, SeedReplays) {
  Random a(42), b(42), c(43);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.Next64(), b.Next64());
  EXPECT_NE(a.Next64(), c.Next64());
}

TEST(IntrusiveList, PushPopUnlink) {
  ListHead h;
  ListNode a, b, c;
  h.PushBack(&a);
  h.PushBack(&b);
  h.PushFront(&c);
  EXPECT_EQ(h.front(), &c);
  b.Unlink();
  EXPECT_EQ(h.PopFront(), &c);
  EXPECT_EQ(h.PopFront(), &a);
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.PopFront(), nullptr);
}

struct Fired {
  std::vector<int> order;
};

TEST(TimerWheel, FiresInDeadlineOrderAcrossTicks) {
  const Instant t0 = Instant::FromNanos(0);
  TimerWheel w(t0, Duration::Millis(1), 64);
  Fired f;
  struct Ctx {
    Fired* f;
    int id;
  };
  Ctx c1{&f, 1}, c2{&f, 2}, c3{&f, 3};
  auto cb = [](void* p, Instant) {
    auto* c = static_cast<Ctx*>(p);
    c->f->order.push_back(c->id);
  };
  Timer a(cb, &c1), b(cb, &c2), c(cb, &c3);
  w.Arm(&a, t0 + Duration::Millis(5));
  w.Arm(&b, t0 + Duration::Millis(2));
  w.Arm(&c, t0 + Duration::Millis(200));  // several rounds of a 64-slot wheel
  EXPECT_EQ(w.NextDeadline(), t0 + Duration::Millis(2));
  EXPECT_EQ(w.Advance(t0 + Duration::Millis(1)), 0u);
  EXPECT_EQ(w.Advance(t0 + Duration::Millis(3)), 1u);
  EXPECT_EQ(w.Advance(t0 + Duration::Millis(100)), 1u);
  EXPECT_TRUE(c.armed());
  EXPECT_EQ(w.Advance(t0 + Duration::Millis(199)), 0u);
  EXPECT_EQ(w.Advance(t0 + Duration::Millis(250)), 1u);
  EXPECT_EQ(f.order, (std::vector<int>{2, 1, 3}));
  EXPECT_EQ(w.NextDeadline(), Instant::Max());
}

// Many Advance calls within one tick (a busy loop): a timer due inside the current tick fires
// at the first call at or after its deadline, and one in the same slot a round later does not.
TEST(TimerWheel, FiresWithinTheCurrentTick) {
  const Instant t0 = Instant::FromNanos(0);
  TimerWheel w(t0, Duration::Millis(1), 64);
  int count = 0;
  auto cb = [](void* p, Instant) { ++*static_cast<int*>(p); };
  Timer soon(cb, &count), next_round(cb, &count);
  EXPECT_EQ(w.Advance(t0 + Duration::Micros(300)), 0u);
  w.Arm(&soon, t0 + Duration::Micros(600));
  w.Arm(&next_round, t0 + Duration::Millis(64) + Duration::Micros(600));  // same slot
  EXPECT_EQ(w.Advance(t0 + Duration::Micros(500)), 0u);
  EXPECT_EQ(w.Advance(t0 + Duration::Micros(700)), 1u);
  EXPECT_EQ(w.Advance(t0 + Duration::Micros(900)), 0u);
  EXPECT_TRUE(next_round.armed());
  EXPECT_EQ(w.NextDeadline(), t0 + Duration::Millis(64) + Duration::Micros(600));
  EXPECT_EQ(w.Advance(t0 + Duration::Millis(64) + Duration::Micros(599)), 0u);
  EXPECT_EQ(w.Advance(t0 + Duration::Millis(64) + Duration::Micros(600)), 1u);
  EXPECT_EQ(count, 2);
}

TEST(TimerWheel, CancelAndRearm) {
  const Instant t0 = Instant::FromNanos(0);
  TimerWheel w(t0);
  int count = 0;
  Timer t([](void* p, Instant) { ++*static_cast<int*>(p); }, &count);
  w.Arm(&t, t0 + Duration::Millis(10));
  w.Cancel(&t);
  EXPECT_EQ(w.Advance(t0 + Duration::Millis(20)), 0u);
  w.Arm(&t, t0 + Duration::Millis(5));  // in the past: fires on the next advance
  w.Arm(&t, t0 + Duration::Millis(30));
  EXPECT_EQ(w.Advance(t0 + Duration::Millis(29)), 0u);
  EXPECT_EQ(w.Advance(t0 + Duration::Millis(30)), 1u);
  EXPECT_EQ(count, 1);
}

TEST(RingFifo, KeepsOrderAcrossWrapAndGrowth) {
  RingFifo<int> q;
  EXPECT_TRUE(q.empty());
  int next_in = 0, next_out = 0;
  // Interleave pushes and pops so the head wraps around before and after each doubling.
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < round % 7 + 3; ++i) q.push_back(next_in++);
    for (int i = 0; i < round % 5 + 1 && !q.empty(); ++i) {
      ASSERT_EQ(q.front(), next_out);
      ASSERT_EQ(q.pop_front(), next_out++);
    }
    ASSERT_EQ(q.size(), static_cast<size_t>(next_in - next_out));
    if (!q.empty()) {
      EXPECT_EQ(q.back(), next_in - 1);
      EXPECT_EQ(q[q.size() - 1], next_in - 1);
    }
  }
  while (!q.empty()) ASSERT_EQ(q.pop_front(), next_out++);
  EXPECT_EQ(next_out, next_in);
}

TEST(RingFifo, PopAndClearReleaseHeldValues) {
  auto owned = std::make_shared<int>(7);
  RingFifo<std::shared_ptr<int>> q;
  q.push_back(owned);
  q.push_back(owned);
  EXPECT_EQ(owned.use_count(), 3);
  q.pop_front();  // the returned copy is dropped here, and the slot holds nothing
  EXPECT_EQ(owned.use_count(), 2);
  q.clear();
  EXPECT_EQ(owned.use_count(), 1);
  EXPECT_TRUE(q.empty());
  q.push_back(owned);
  EXPECT_EQ(*q.front(), 7);
}

}  // namespace
}  // namespace ustack
