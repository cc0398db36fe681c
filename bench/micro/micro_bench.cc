// Micro-benchmarks (Google Benchmark): the per-packet building blocks of ustack, in ns per
// operation. Not tests: they assert nothing and only report. Run: build/bin/ustack-micro-bench
#include <benchmark/benchmark.h>
#include <netinet/tcp.h>

#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/checksum.h"
#include "base/checksum_impl.h"
#include "base/random.h"
#include "base/timer_wheel.h"
#include "buf/packet.h"
#include "buf/test_eal.h"
#include "sim_harness.h"
#include "tcp/send_buffer.h"
#include "ustack/co_ustack.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

namespace ustack {
namespace {

std::vector<uint8_t> RandomBytes(size_t n, uint64_t seed) {
  Random r(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(r.Next32());
  return v;
}

void BM_Checksum(benchmark::State& state) {
  const auto data = RandomBytes(static_cast<size_t>(state.range(0)), 1);
  for (auto _ : state) benchmark::DoNotOptimize(InternetChecksum(data));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Checksum)->Arg(20)->Arg(64)->Arg(1460)->Arg(9000);

// A segment's payload copied from the send buffer into the frame and summed in one pass
// (ChecksumCopy). The destination starts where a TCP payload does in an mbuf (54 bytes of
// headers after a 64-byte aligned headroom), so it is not aligned.
void BM_ChecksumCopy(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  const auto data = RandomBytes(n, 1);
  std::vector<uint8_t> frame(n + 64);
  for (auto _ : state) {
    benchmark::DoNotOptimize(ChecksumCopy(frame.data() + 54, data, 0));
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_ChecksumCopy)->Arg(64)->Arg(1460)->Arg(9000);

// The same in two passes, as EmitSegment did before ChecksumCopy: memcpy, then ChecksumAdd.
void BM_ChecksumMemcpyThenAdd(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  const auto data = RandomBytes(n, 1);
  std::vector<uint8_t> frame(n + 64);
  for (auto _ : state) {
    std::memcpy(frame.data() + 54, data.data(), n);
    benchmark::DoNotOptimize(ChecksumAdd(0, {frame.data() + 54, n}));
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_ChecksumMemcpyThenAdd)->Arg(64)->Arg(1460)->Arg(9000);

// Each kernel this CPU runs (checksum_impl.h; 0 portable, then avx2, avx512bw), sum and
// copy+sum: the figures behind the run-time choice of ActiveChecksumImpl.
void BM_ChecksumKernel(benchmark::State& state) {
  const auto impls = AvailableChecksumImpls();
  const auto k = static_cast<size_t>(state.range(0));
  if (k >= impls.size()) {
    state.SkipWithError("kernel not available on this CPU");
    return;
  }
  const auto n = static_cast<size_t>(state.range(1));
  const bool copy = state.range(2) != 0;
  const auto data = RandomBytes(n, 1);
  std::vector<uint8_t> frame(n + 64);
  state.SetLabel(std::string(impls[k].name) + (copy ? " copy" : " sum"));
  for (auto _ : state) {
    if (copy) {
      benchmark::DoNotOptimize(impls[k].copy(frame.data() + 54, data.data(), n));
      benchmark::ClobberMemory();
    } else {
      benchmark::DoNotOptimize(impls[k].sum(data.data(), n));
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(1));
}
BENCHMARK(BM_ChecksumKernel)->ArgsProduct({{0, 1, 2}, {64, 1460, 9000}, {0, 1}});

// A data segment header as it arrives: timestamps and one SACK block.
std::vector<uint8_t> SampleTcpHeader() {
  TcpRepr r;
  r.src_port = 40000;
  r.dst_port = 80;
  r.seq = 123456;
  r.ack = 654321;
  r.flags = 0x18;
  r.window = 512;
  r.options.timestamps = TcpTimestamps{1000, 2000};
  r.options.sack_count = 1;
  r.options.sack[0] = {5000, 6000};
  std::vector<uint8_t> buf(r.HeaderLength());
  r.Emit(buf);
  return buf;
}

void BM_TcpHeaderParse(benchmark::State& state) {
  const auto bytes = SampleTcpHeader();
  for (auto _ : state) {
    auto v = TcpView::Parse(bytes);
    auto r = TcpRepr::Parse(*v);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_TcpHeaderParse);

void BM_TcpHeaderBuild(benchmark::State& state) {
  const auto bytes = SampleTcpHeader();
  const TcpRepr r = *TcpRepr::Parse(*TcpView::Parse(bytes));
  std::array<uint8_t, 60> out{};
  for (auto _ : state) {
    r.Emit(out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_TcpHeaderBuild);

void BM_Ipv4HeaderParseAndBuild(benchmark::State& state) {
  Ipv4Repr r;
  r.src = Ipv4Addr::Of(198, 18, 0, 1);
  r.dst = Ipv4Addr::Of(198, 18, 0, 2);
  r.protocol = 6;
  r.payload_len = 1460;
  std::array<uint8_t, 1480> buf{};
  for (auto _ : state) {
    r.Emit(buf);
    auto parsed = Ipv4Repr::Parse(buf);
    benchmark::DoNotOptimize(parsed);
  }
}
BENCHMARK(BM_Ipv4HeaderParseAndBuild);

void BM_TimerArmCancel(benchmark::State& state) {
  TimerWheel wheel(Instant::FromNanos(0));
  Timer t([](void*, Instant) {}, nullptr);
  int64_t i = 0;
  for (auto _ : state) {
    wheel.Arm(&t, Instant::FromNanos(0) + Duration::Millis(200 + (++i & 63)));
    wheel.Cancel(&t);
  }
}
BENCHMARK(BM_TimerArmCancel);

void BM_TimerArmExpire(benchmark::State& state) {
  Instant now = Instant::FromNanos(0);
  TimerWheel wheel(now);
  int fired = 0;
  std::vector<std::unique_ptr<Timer>> timers;
  for (int i = 0; i < 1024; ++i) {
    timers.push_back(
        std::make_unique<Timer>([](void* p, Instant) { ++*static_cast<int*>(p); }, &fired));
  }
  for (auto _ : state) {
    for (auto& t : timers) wheel.Arm(t.get(), now + Duration::Millis(1));
    now += Duration::Millis(1);
    wheel.Advance(now);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 1024);
}
BENCHMARK(BM_TimerArmExpire);

void BM_SendBufferAppendCopyDiscard(benchmark::State& state) {
  SendBuffer sb(256 * 1024);
  const auto data = RandomBytes(1448, 2);
  std::array<uint8_t, 1448> out{};
  for (auto _ : state) {
    sb.Append(data);
    sb.CopyOut(0, out);
    sb.Discard(1448);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 1448);
}
BENCHMARK(BM_SendBufferAppendCopyDiscard);

// The whole stack: one 1448-byte write on stack A, through Ethernet, IPv4 and TCP on both
// stacks (zero-delay SimLink), read on stack B, with the ACK going back.
void BM_StackSegmentAtoB(benchmark::State& state) {
  InitTestEal();
  static PacketPool pool("bench_pool", 8191);  // benchmark fixture state
  sim::TwoStacks s(pool.get(), 1, Impairment{});
  const int lfd = s.b().Socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(5001);
  s.b().Bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  s.b().Listen(lfd, 4);
  const int c = s.a().Socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  s.a().SetSockOpt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  a.sin_addr.s_addr = htonl(sim::kAddrB.v);
  s.a().Connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a);
  int srv = -1;
  s.RunUntil([&] { return (srv = s.b().Accept(lfd, nullptr, nullptr)) >= 0; },
             Duration::Seconds(5));
  const auto data = RandomBytes(1448, 3);
  std::array<uint8_t, 4096> in{};
  for (auto _ : state) {
    s.a().Write(c, data.data(), data.size());
    size_t got = 0;
    s.RunUntil(
        [&] {
          const ssize_t r = s.b().Read(srv, in.data(), in.size());
          if (r > 0) got += static_cast<size_t>(r);
          return got >= data.size();
        },
        Duration::Seconds(5));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 1448);
}
BENCHMARK(BM_StackSegmentAtoB);

// The request/response path of ustack-echo with one connection (scenario rr_latency), on
// both ends at once: the client writes 64 bytes, the server's epoll reports the socket
// readable, it reads and writes the bytes back, the client's epoll reports them and it
// reads. Each step polls both stacks once and advances the clock by 1 us, as a busy poll
// loop would (no jump to the next timer), so the work per round trip is deterministic:
// `valgrind --tool=callgrind --toggle-collect='*EchoPair::RoundTrip*'` counts exactly the
// instructions of the calls to RoundTrip.
class EchoPair {
 public:
  explicit EchoPair(rte_mempool* pool) : s_(pool, 1, Impairment{}), msg_(RandomBytes(64, 4)) {
    SocketApi& a = s_.a();
    SocketApi& b = s_.b();
    const int lfd = b.Socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr = sim::Sockaddr(sim::kAddrB, 7);
    b.Bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    b.Listen(lfd, 4);
    client_ = a.Socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    a.SetSockOpt(client_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    a.Connect(client_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    s_.RunUntil([&] { return (server_ = b.Accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK)) >= 0; },
                Duration::Seconds(5));
    b.SetSockOpt(server_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    epoll_a_ = a.EpollCreate();
    epoll_b_ = b.EpollCreate();
    epoll_event ev{};
    ev.events = EPOLLIN;
    a.EpollCtl(epoll_a_, EPOLL_CTL_ADD, client_, &ev);
    b.EpollCtl(epoll_b_, EPOLL_CTL_ADD, server_, &ev);
    now_ = s_.now();
  }

  bool connected() const { return server_ >= 0; }

  // One request and its reply; returns the poll steps it took.
  __attribute__((noinline)) int RoundTrip() {
    SocketApi& a = s_.a();
    SocketApi& b = s_.b();
    a.Write(client_, msg_.data(), msg_.size());
    size_t got = 0;
    int steps = 0;
    while (got < msg_.size() && steps < 1000) {
      ++steps;
      now_ += Duration::Micros(1);
      a.set_now(now_);
      b.set_now(now_);
      s_.stack_a().Poll(now_);
      s_.stack_b().Poll(now_);
      if (b.EpollWait(epoll_b_, events_.data(), static_cast<int>(events_.size())) > 0) {
        const ssize_t n = b.Read(server_, buf_.data(), buf_.size());
        if (n > 0) b.Write(server_, buf_.data(), static_cast<size_t>(n));
      }
      if (a.EpollWait(epoll_a_, events_.data(), static_cast<int>(events_.size())) > 0) {
        const ssize_t n = a.Read(client_, buf_.data(), buf_.size());
        if (n > 0) got += static_cast<size_t>(n);
      }
    }
    return steps;
  }

 private:
  sim::TwoStacks s_;
  std::vector<uint8_t> msg_;
  int client_ = -1;
  int server_ = -1;
  int epoll_a_ = -1;
  int epoll_b_ = -1;
  Instant now_;
  std::array<uint8_t, 2048> buf_{};
  std::array<epoll_event, 8> events_{};
};

// Runs `one` (an operation through two stacks that returns how many simulation steps it
// took, 0 when it did not complete) per iteration; reports items and the steps per item.
template <typename Fn>
void RunCountingSteps(benchmark::State& state, Fn one, const char* failure) {
  int64_t steps = 0;
  for (auto _ : state) {
    const int n = one();
    if (n == 0) {
      state.SkipWithError(failure);
      return;
    }
    steps += n;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["steps"] =
      benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kAvgIterations);
}

void BM_EchoRoundTrip(benchmark::State& state) {
  InitTestEal();
  static PacketPool pool("bench_pool_rr", 8191);  // benchmark fixture state
  EchoPair pair(pool.get());
  if (!pair.connected()) {
    state.SkipWithError("no connection");
    return;
  }
  RunCountingSteps(
      state, [&] { return pair.RoundTrip(); }, "no echo");
}
BENCHMARK(BM_EchoRoundTrip);

// BM_EchoRoundTrip with the server written as ustack-echo's: a coroutine per connection on a
// co::Scheduler over the UstackBackend (Read, then Write of what was read), polled once per
// step after the stacks. The client is EchoPair's. The difference to BM_EchoRoundTrip is
// what the coroutine layer costs per request beyond a plain epoll loop.
co::Task<void> CoroEchoConnection(int fd) {
  std::vector<uint8_t> buf(2048);
  for (;;) {
    const ssize_t n = co_await co::Read(fd, buf);
    if (n <= 0) co_return;
    ssize_t w = 0;
    for (size_t done = 0; done < static_cast<size_t>(n) && w >= 0;) {
      w = co_await co::Write(
          fd, std::span<const uint8_t>(buf.data() + done, static_cast<size_t>(n) - done));
      if (w > 0) done += static_cast<size_t>(w);
    }
    if (w < 0) co_return;
  }
}

co::Task<void> CoroEchoServer(co::Scheduler& sched, int lfd) {
  co::Context* ctx = co_await co::CurrentContext{};
  for (;;) {
    const int fd = co_await co::Accept(lfd);
    if (fd < 0) co_return;
    int one = 1;
    sched.backend().SetIntOption(fd, IPPROTO_TCP, TCP_NODELAY, one);
    sched.Spawn(CoroEchoConnection(fd), ctx);
  }
}

class CoroEchoPair {
 public:
  explicit CoroEchoPair(rte_mempool* pool)
      : s_(pool, 1, Impairment{}), backend_(s_.b()), sched_(backend_), msg_(RandomBytes(64, 5)) {
    SocketApi& a = s_.a();
    const sockaddr_in addr = sim::Sockaddr(sim::kAddrB, 7);
    const int lfd = co::ListenOn(sched_, SOCK_STREAM, addr);
    sched_.Spawn(CoroEchoServer(sched_, lfd));
    client_ = a.Socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    a.SetSockOpt(client_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    a.Connect(client_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    epoll_a_ = a.EpollCreate();
    epoll_event ev{};
    ev.events = EPOLLIN;
    a.EpollCtl(epoll_a_, EPOLL_CTL_ADD, client_, &ev);
    now_ = s_.now();
    for (int i = 0; i < 100; ++i) Step();  // handshake and accept
  }

  // One request and its reply; returns the poll steps it took.
  __attribute__((noinline)) int RoundTrip() {
    SocketApi& a = s_.a();
    a.Write(client_, msg_.data(), msg_.size());
    size_t got = 0;
    int steps = 0;
    while (got < msg_.size() && steps < 1000) {
      ++steps;
      Step();
      if (a.EpollWait(epoll_a_, events_.data(), static_cast<int>(events_.size())) > 0) {
        const ssize_t n = a.Read(client_, buf_.data(), buf_.size());
        if (n > 0) got += static_cast<size_t>(n);
      }
    }
    return got == msg_.size() ? steps : 0;
  }

 private:
  void Step() {
    now_ += Duration::Micros(1);
    s_.a().set_now(now_);
    s_.b().set_now(now_);
    s_.stack_a().Poll(now_);
    s_.stack_b().Poll(now_);
    sched_.Poll(Duration());
  }

  sim::TwoStacks s_;
  co::UstackBackend backend_;
  co::Scheduler sched_;
  std::vector<uint8_t> msg_;
  int client_ = -1;
  int epoll_a_ = -1;
  Instant now_;
  std::array<uint8_t, 2048> buf_{};
  std::array<epoll_event, 8> events_{};
};

void BM_CoroEchoRoundTrip(benchmark::State& state) {
  InitTestEal();
  static PacketPool pool("bench_pool_co", 8191);  // benchmark fixture state
  CoroEchoPair pair(pool.get());
  RunCountingSteps(
      state, [&] { return pair.RoundTrip(); }, "no echo");
}
BENCHMARK(BM_CoroEchoRoundTrip);

// One short HTTP-like connection (scenario 4, `Connection: close`) through both stacks, as
// ustack-load and ustack-httpd make it: the client connects (non-blocking, epoll for
// EPOLLOUT), writes a 78-byte request and reads the 148-byte response until end of file, then
// closes; the server accepts from epoll on its listening socket, reads the request, writes
// the response and closes first, so its end goes through TIME-WAIT (which accumulates, as on
// a busy server). Steps as in EchoPair (1 us each), and two more after the client's close so
// that its FIN and the last ACK are in the count: `--toggle-collect='*HttpClosePair::One*'`
// gives the instructions per connection (divide by the calls to SocketApi::Connect).
class HttpClosePair {
 public:
  explicit HttpClosePair(rte_mempool* pool) : s_(pool, 1, Impairment{}) {
    SocketApi& b = s_.b();
    lfd_ = b.Socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    b.SetSockOpt(lfd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    addr_ = sim::Sockaddr(sim::kAddrB, 80);
    b.Bind(lfd_, reinterpret_cast<sockaddr*>(&addr_), sizeof addr_);
    b.Listen(lfd_, 128);
    epoll_a_ = s_.a().EpollCreate();
    epoll_b_ = b.EpollCreate();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = lfd_;
    b.EpollCtl(epoll_b_, EPOLL_CTL_ADD, lfd_, &ev);
    now_ = s_.now();
  }

  // One connection from connect to both closes; returns the poll steps it took (0: failed).
  __attribute__((noinline)) int OneConnection() {
    SocketApi& a = s_.a();
    const int c = a.Socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    a.Connect(c, reinterpret_cast<sockaddr*>(&addr_), sizeof addr_);
    epoll_event ev{};
    ev.events = EPOLLOUT;
    ev.data.fd = c;
    a.EpollCtl(epoll_a_, EPOLL_CTL_ADD, c, &ev);
    bool sent = false;
    bool closed = false;
    int after_close = 0;
    int steps = 0;
    while (after_close < 2 && steps < 1000) {
      ++steps;
      Step();
      ServerEvents();
      if (closed) {
        ++after_close;
        continue;
      }
      const int n = a.EpollWait(epoll_a_, events_.data(), static_cast<int>(events_.size()));
      if (n <= 0) continue;
      if (!sent && (events_[0].events & EPOLLOUT)) {
        a.Write(c, kRequest.data(), kRequest.size());
        sent = true;
        ev.events = EPOLLIN;
        a.EpollCtl(epoll_a_, EPOLL_CTL_MOD, c, &ev);
      } else if (events_[0].events & EPOLLIN) {
        const ssize_t r = a.Read(c, buf_.data(), buf_.size());
        if (r == 0) {
          a.Close(c);
          closed = true;
        }
      }
    }
    return closed ? steps : 0;
  }

 private:
  static constexpr std::string_view kRequest =
      "GET /index.html HTTP/1.1\r\nHost: 198.18.0.2\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n";
  static constexpr std::string_view kResponse =
      "HTTP/1.1 200 OK\r\nContent-Length: 64\r\nContent-Type: text/plain\r\nConnection: "
      "close\r\n\r\n0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

  void Step() {
    now_ += Duration::Micros(1);
    s_.a().set_now(now_);
    s_.b().set_now(now_);
    s_.stack_a().Poll(now_);
    s_.stack_b().Poll(now_);
  }

  // The server: accept, read the request, answer and close.
  void ServerEvents() {
    SocketApi& b = s_.b();
    const int n =
        b.EpollWait(epoll_b_, server_events_.data(), static_cast<int>(server_events_.size()));
    for (int i = 0; i < n; ++i) {
      const int fd = server_events_[static_cast<size_t>(i)].data.fd;
      if (fd == lfd_) {
        int sfd;
        while ((sfd = b.Accept4(lfd_, nullptr, nullptr, SOCK_NONBLOCK)) >= 0) {
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.fd = sfd;
          b.EpollCtl(epoll_b_, EPOLL_CTL_ADD, sfd, &ev);
        }
      } else if (b.Read(fd, buf_.data(), buf_.size()) > 0) {
        b.Write(fd, kResponse.data(), kResponse.size());
        b.Close(fd);
      }
    }
  }

  sim::TwoStacks s_;
  sockaddr_in addr_{};
  int lfd_ = -1;
  int epoll_a_ = -1;
  int epoll_b_ = -1;
  Instant now_;
  std::array<uint8_t, 2048> buf_{};
  std::array<epoll_event, 8> events_{};
  std::array<epoll_event, 8> server_events_{};
};

void BM_HttpCloseConnection(benchmark::State& state) {
  InitTestEal();
  static PacketPool pool("bench_pool_http", 8191);  // benchmark fixture state
  HttpClosePair pair(pool.get());
  RunCountingSteps(
      state, [&] { return pair.OneConnection(); }, "connection did not complete");
}
// A fixed count: TIME-WAIT entries accumulate, so the cost per connection depends on it.
BENCHMARK(BM_HttpCloseConnection)->Iterations(2000);

// Registering a socket with an epoll instance and removing it again, as the coroutine
// backend does for every connection (Connection: close load): EPOLL_CTL_ADD + EPOLL_CTL_DEL.
void BM_EpollAddRemove(benchmark::State& state) {
  InitTestEal();
  static PacketPool pool("bench_pool_ep", 1023);  // benchmark fixture state
  sim::TwoStacks s(pool.get(), 1, Impairment{});
  SocketApi& a = s.a();
  const int ep = a.EpollCreate();
  const int fd = a.Socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT;
  for (auto _ : state) {
    ev.data.fd = fd;
    a.EpollCtl(ep, EPOLL_CTL_ADD, fd, &ev);
    a.EpollCtl(ep, EPOLL_CTL_DEL, fd, nullptr);
  }
}
BENCHMARK(BM_EpollAddRemove);

}  // namespace
}  // namespace ustack

BENCHMARK_MAIN();
