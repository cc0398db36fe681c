// Test harness (header-only, tests only): two TcpLayers in one process joined by an in-test
// IpOutput that captures segments as Packets. The test owns the clock (`now`) and delivery,
// so it can drop, hold, reorder, duplicate or corrupt segments. Every failure message should
// carry the seed (SCOPED_TRACE in the fixture does that).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/checksum.h"
#include "base/random.h"
#include "base/timer_wheel.h"
#include "buf/packet.h"
#include "buf/test_eal.h"
#include "net/ip_output.h"
#include "tcp/connection.h"
#include "tcp/tcp.h"
#include "wire/tcp.h"

namespace ustack::test {

struct Captured {
  Packet pkt;
  Ipv4Addr src;
  Ipv4Addr dst;
  uint8_t tos = 0;  // IP TOS byte (ECN field in the low two bits)
};

// The parsed header and payload of a captured segment, for assertions.
struct SegInfo {
  TcpRepr hdr;
  std::vector<uint8_t> payload;
  bool has(uint8_t f) const { return (hdr.flags & f) != 0; }
};

inline SegInfo Inspect(const Packet& p) {
  std::vector<uint8_t> bytes(p.length());
  p.CopyOut(0, bytes);
  SegInfo info;
  auto v = TcpView::Parse(bytes);
  EXPECT_TRUE(v.has_value());
  if (!v) return info;
  auto r = TcpRepr::Parse(*v);
  EXPECT_TRUE(r.has_value());
  if (r) info.hdr = *r;
  info.payload.assign(bytes.begin() + static_cast<long>(v->header_length()), bytes.end());
  return info;
}

class TestIp final : public IpOutput {
 public:
  TestIp(rte_mempool* pool, Ipv4Addr addr) : pool_(pool), addr_(addr) {}
  Packet AllocTx() override { return fail_alloc ? Packet() : Packet::Alloc(pool_); }
  bool SendIpv4(Packet l4, Ipv4Addr src, Ipv4Addr dst, uint8_t protocol,
                const Ipv4SendOptions& opts, Instant) override {
    EXPECT_EQ(protocol, kIpProtoTcp);
    out.push_back(Captured{std::move(l4), src.IsAny() ? addr_ : src, dst, opts.tos});
    return true;
  }
  uint16_t MaxTransportSize(Ipv4Addr) const override { return static_cast<uint16_t>(mtu - 20); }
  uint16_t ReducePathMtu(Ipv4Addr, uint16_t m, Instant) override {
    mtu = std::min<int>(mtu, m);
    return static_cast<uint16_t>(mtu - 20);
  }
  void AdviseDeliveryProblem(Ipv4Addr dst, Instant now) override { advice.push_back({dst, now}); }
  void Push(Instant) override { ++pushes; }
  bool BuffersTight() const override { return buffers_tight; }
  Ipv4Addr SourceFor(Ipv4Addr) const override { return addr_; }
  bool IsLocal(Ipv4Addr a) const override { return a == addr_; }

  struct Advice {
    Ipv4Addr dst;
    Instant at;
  };
  std::deque<Captured> out;
  std::vector<Advice> advice;  // negative advice received (RFC 9293 3.8.3)
  bool fail_alloc = false;
  int pushes = 0;              // Push() calls (early output)
  bool buffers_tight = false;  // what BuffersTight() reports (memory pressure)
  int mtu = 1500;

 private:
  rte_mempool* pool_;
  Ipv4Addr addr_;
};

struct Host {
  Host(rte_mempool* pool, Ipv4Addr a, const TcpConfig& cfg, uint64_t seed, Instant start)
      : addr(a), ip(pool, a), wheel(start), rnd(seed), tcp(ip, wheel, rnd, cfg) {}
  Ipv4Addr addr;
  TestIp ip;
  TimerWheel wheel;
  Random rnd;
  TcpLayer tcp;
};

struct RecordingSink final : EventSink {
  void OnEvents(uint32_t e) override {
    last = e;
    ++calls;
  }
  uint32_t last = 0;
  int calls = 0;
};

// One emitted segment, as logged by Sim.
struct LogEntry {
  char from;  // 'a' or 'b'
  Instant at;
  SegInfo seg;
};

inline constexpr unsigned kTestPoolSize = 16384;

inline PacketPool& TestPool() {
  static PacketPool pool("tcp_test_pool", kTestPoolSize);
  return pool;
}

// A hand-made segment with a valid checksum.
inline Captured Craft(Ipv4Addr src, Ipv4Addr dst, const TcpRepr& r,
                      const std::vector<uint8_t>& payload = {}) {
  std::vector<uint8_t> b(r.HeaderLength());
  EXPECT_TRUE(r.Emit(b));
  b.insert(b.end(), payload.begin(), payload.end());
  FillTcpChecksumV4(b, src, dst);
  return Captured{Packet::FromBytes(TestPool().get(), b), src, dst};
}

class Sim {
 public:
  Sim(uint64_t seed_in, const TcpConfig& cfg_a, const TcpConfig& cfg_b)
      : seed(seed_in),
        a(TestPool().get(), Ipv4Addr::Of(10, 0, 0, 1), cfg_a, seed * 2 + 1, now),
        b(TestPool().get(), Ipv4Addr::Of(10, 0, 0, 2), cfg_b, seed * 2 + 2, now),
        rnd(seed) {}

  // Return false to drop a segment (it may also be modified, or copied into `held`).
  using Filter = std::function<bool(char from, Captured& c, const SegInfo& s)>;

  void FlushAll() {
    a.tcp.Flush(now);
    b.tcp.Flush(now);
  }

  // Delivers a captured segment to the host it is addressed to.
  void Deliver(Captured& c) {
    Host& to = c.dst == a.addr ? a : b;
    Ipv4Info info;
    info.src = c.src;
    info.dst = c.dst;
    info.protocol = kIpProtoTcp;
    info.ttl = 64;
    info.tos = c.tos;
    EXPECT_EQ(to.tcp.OnIpv4(c.pkt, info, now), Delivery::kConsumed);
  }

  // Flushes both sides and delivers segments until nothing is in flight.
  int Pump(int max_rounds = 100000) {
    int delivered = 0;
    for (int round = 0; round < max_rounds; ++round) {
      FlushAll();
      std::deque<Captured> from_a = std::move(a.ip.out);
      std::deque<Captured> from_b = std::move(b.ip.out);
      a.ip.out.clear();
      b.ip.out.clear();
      if (from_a.empty() && from_b.empty()) break;
      delivered += Route('a', from_a);
      delivered += Route('b', from_b);
    }
    return delivered;
  }

  void Advance(Duration d) {
    now += d;
    a.wheel.Advance(now);
    b.wheel.Advance(now);
    Pump();
  }

  // Steps the clock through `d` in `step`s.
  void Run(Duration d, Duration step = Duration::Millis(1)) {
    const Instant end = now + d;
    while (now < end) Advance(step);
  }

  // Steps the clock until pred() holds or `limit` passes.
  bool RunUntil(const std::function<bool()>& pred, Duration limit,
                Duration step = Duration::Millis(1)) {
    const Instant end = now + limit;
    Pump();
    while (!pred()) {
      if (now >= end) return false;
      Advance(step);
    }
    return true;
  }

  std::string Trace() const { return "seed " + std::to_string(seed); }

  uint64_t seed;
  Instant now = Instant::FromNanos(1'000'000'000);
  Host a;
  Host b;
  Random rnd;  // for impairments in tests
  Filter filter;
  std::vector<LogEntry> log;

 private:
  int Route(char from, std::deque<Captured>& q) {
    int n = 0;
    for (Captured& c : q) {
      SegInfo s = Inspect(c.pkt);
      log.push_back(LogEntry{from, now, s});
      if (filter && !filter(from, c, s)) continue;
      if (!c.pkt) continue;
      Deliver(c);
      ++n;
    }
    return n;
  }
};

inline std::vector<uint8_t> Pattern(size_t n, uint64_t seed) {
  Random r(seed);
  std::vector<uint8_t> v(n);
  for (auto& x : v) x = static_cast<uint8_t>(r.Next32());
  return v;
}

// Reads everything readable from c into out; returns bytes read.
inline size_t Drain(TcpConnection* c, std::vector<uint8_t>& out, Instant now) {
  size_t total = 0;
  uint8_t buf[4096];
  while (true) {
    auto r = c->Recv(buf, now);
    if (!r.ok() || *r == 0) break;
    out.insert(out.end(), buf, buf + *r);
    total += *r;
  }
  return total;
}

inline Connection* AsConn(TcpConnection* c) { return static_cast<Connection*>(c); }

// A test fixture with two hosts; tests set cfg_a/cfg_b before calling Start().
class TcpSimTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitTestEal()); }
  // Every mbuf must be back in the pool once both stacks are gone: no leaks.
  void TearDown() override {
    trace_.reset();
    sim.reset();
    EXPECT_EQ(TestPool().available(), kTestPoolSize);
  }
  void Start(uint64_t seed = 1) {
    trace_.reset();
    sim.reset();
    sim = std::make_unique<Sim>(seed, cfg_a, cfg_b);
    trace_ = std::make_unique<::testing::ScopedTrace>(__FILE__, __LINE__, sim->Trace());
  }
  // Listen on b:port, connect from a, run the handshake, accept.
  void Establish(uint16_t port = 80) {
    auto l = sim->b.tcp.Listen(Ipv4Addr::Any(), port, 16, &lsink);
    ASSERT_TRUE(l.ok());
    listener = *l;
    auto c = sim->a.tcp.Connect(Ipv4Addr::Any(), 0, sim->b.addr, port, &csink, sim->now);
    ASSERT_TRUE(c.ok());
    client = *c;
    sim->Pump();
    server = sim->b.tcp.Accept(listener, &ssink);
    ASSERT_NE(server, nullptr);
    ASSERT_EQ(client->state(), TcpState::kEstablished);
    ASSERT_EQ(server->state(), TcpState::kEstablished);
  }

  TcpConfig cfg_a;
  TcpConfig cfg_b;
  std::unique_ptr<Sim> sim;
  RecordingSink lsink, csink, ssink;
  TcpListener* listener = nullptr;
  TcpConnection* client = nullptr;
  TcpConnection* server = nullptr;

 private:
  std::unique_ptr<::testing::ScopedTrace> trace_;
};

}  // namespace ustack::test
