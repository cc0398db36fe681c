// ustack-echo's server and client coroutines and reports. See echo.h.
#include "echo.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <deque>

namespace ustack::echo {
namespace {

constexpr size_t kServerBuf = 64 * 1024;
constexpr Duration kGrace = Duration::Seconds(5);  // after the end, for the last replies
constexpr Duration kConnectTimeout = Duration::Seconds(5);

// Sink: the stream starts with an 8-byte count (host order) of the bytes that follow; once
// they have all been read and dropped, the count is sent back so that the client knows when
// everything arrived. Then the next transfer may start on the same connection.
co::Task<void> SinkConnection(int fd, uint32_t buf_size, ServerStats* stats) {
  std::vector<uint8_t> buf(std::max<uint32_t>(buf_size, 8));
  for (;;) {
    uint8_t header[8];
    const ssize_t h = co_await co::ReadExactly(fd, header);
    if (h != static_cast<ssize_t>(sizeof header)) {
      if (h < 0 && h != -ECONNRESET && h != -ECANCELED) ++stats->errors;
      co_return;  // end of stream (or a broken one)
    }
    uint64_t want = 0;
    std::memcpy(&want, header, sizeof want);
    uint64_t got = 0;
    while (got < want) {
      const size_t len = static_cast<size_t>(std::min<uint64_t>(buf.size(), want - got));
      const ssize_t n = co_await co::Read(fd, std::span<uint8_t>(buf.data(), len));
      if (n <= 0) {
        if (n < 0 && n != -ECONNRESET && n != -ECANCELED) ++stats->errors;
        co_return;
      }
      got += static_cast<uint64_t>(n);
      stats->bytes += static_cast<uint64_t>(n);
    }
    std::memcpy(header, &got, sizeof got);
    if (co_await co::WriteAll(fd, header) < 0) {
      ++stats->errors;
      co_return;
    }
  }
}

co::Task<void> ServeConnection(co::Scheduler& sched, int fd, ServerOptions opts,
                               ServerStats* stats) {
  ++stats->open;
  if (opts.sink) {
    co_await SinkConnection(fd, opts.buf, stats);
    --stats->open;
    sched.Close(fd);
    co_return;
  }
  std::vector<uint8_t> buf(opts.buf);
  for (;;) {
    const ssize_t n = co_await co::Read(fd, buf);
    if (n <= 0) {
      if (n < 0 && n != -ECONNRESET && n != -ECANCELED) ++stats->errors;
      break;
    }
    stats->bytes += static_cast<uint64_t>(n);
    // co::WriteAll's loop written out here: it is a coroutine of its own, which would cost a
    // frame allocation per request on either stack.
    ssize_t w = 0;
    for (size_t done = 0; done < static_cast<size_t>(n) && w >= 0;) {
      w = co_await co::Write(
          fd, std::span<const uint8_t>(buf.data() + done, static_cast<size_t>(n) - done));
      if (w > 0) done += static_cast<size_t>(w);
    }
    if (w < 0) {
      if (w != -ECONNRESET && w != -EPIPE && w != -ECANCELED) ++stats->errors;
      break;
    }
  }
  --stats->open;
  sched.Close(fd);
}

co::Task<int> ServeUdp(co::Scheduler& sched, int fd, ServerStats* stats) {
  std::vector<uint8_t> buf(kServerBuf);
  for (;;) {
    sockaddr_in from = {};
    const ssize_t n = co_await co::UdpRecvFrom(fd, buf, &from);
    if (n == -ECANCELED) break;
    if (n < 0) {
      ++stats->errors;
      continue;
    }
    ++stats->datagrams;
    stats->bytes += static_cast<uint64_t>(n);
    const ssize_t w = co_await co::UdpSendTo(
        fd, std::span<const uint8_t>(buf.data(), static_cast<size_t>(n)), from);
    if (w == -ECANCELED) break;
    if (w < 0) ++stats->errors;
  }
  sched.Close(fd);
  co_return 0;
}

void FillMessage(std::vector<uint8_t>& msg) {
  for (size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<uint8_t>('a' + i % 26);
}

// One TCP connection: `pipeline` requests in flight, replies in order.
co::Task<void> TcpConnection(co::Scheduler& sched, int fd, const ClientOptions& o, Instant end,
                             ClientStats* st) {
  co::IoBackend& b = sched.backend();
  std::vector<uint8_t> msg(o.size);
  FillMessage(msg);
  std::vector<uint8_t> reply(o.size);
  std::deque<Instant> sent;
  // co::WriteAll's and co::ReadExactly's loops written out here: each is a coroutine of its
  // own, which would cost a frame allocation per request on either stack.
  while (b.Now() < end || !sent.empty()) {
    while (sent.size() < o.pipeline && b.Now() < end) {
      ssize_t w = 0;
      for (size_t done = 0; done < msg.size() && w >= 0;) {
        w = co_await co::Write(fd, std::span<const uint8_t>(msg).subspan(done));
        if (w > 0) done += static_cast<size_t>(w);
      }
      if (w < 0) {
        ++st->errors;
        sched.Close(fd);
        co_return;
      }
      sent.push_back(b.Now());
    }
    if (sent.empty()) break;
    ssize_t n = 0;
    for (size_t got = 0; got < reply.size();) {
      n = co_await co::Read(fd, std::span<uint8_t>(reply).subspan(got));
      if (n <= 0) break;
      got += static_cast<size_t>(n);
      n = static_cast<ssize_t>(got);
    }
    if (n != static_cast<ssize_t>(reply.size()) || reply != msg) {
      ++st->errors;
      break;
    }
    const Instant now = b.Now();
    st->latency.Add(now - sent.front());
    sent.pop_front();
    ++st->requests;
  }
  sched.Close(fd);
}

// One UDP socket: `pipeline` slots, each with one datagram in flight carrying its sequence
// number (slot = seq % pipeline) in the first 8 bytes.
co::Task<void> UdpSocket(co::Scheduler& sched, int fd, const ClientOptions& o, Instant end,
                         ClientStats* st) {
  co::IoBackend& b = sched.backend();
  struct Slot {
    uint64_t seq = 0;
    Instant sent;
    bool in_flight = false;
  };
  std::vector<Slot> slots(o.pipeline);
  std::vector<uint8_t> msg(std::max<uint32_t>(o.size, 8));
  FillMessage(msg);
  std::vector<uint8_t> buf(msg.size() + 64);
  auto send = [&](size_t i, uint64_t seq) -> co::Task<bool> {
    std::memcpy(msg.data(), &seq, sizeof seq);
    slots[i] = Slot{seq, b.Now(), true};
    co_return co_await co::UdpSendTo(fd, msg, o.addr) >= 0;
  };
  bool ok = true;
  for (size_t i = 0; i < slots.size() && ok; ++i) ok = co_await send(i, i);
  while (ok && b.Now() < end) {
    const ssize_t n = co_await co::WithTimeout(co::UdpRecvFrom(fd, buf), o.udp_timeout);
    if (n == -ETIMEDOUT) {
      for (size_t i = 0; i < slots.size() && ok; ++i) {
        if (!slots[i].in_flight) continue;
        ++st->lost;
        ok = co_await send(i, slots[i].seq + slots.size());
      }
      continue;
    }
    uint64_t seq = 0;
    if (n != static_cast<ssize_t>(msg.size())) {
      ++st->errors;
      if (n < 0) break;
      continue;
    }
    std::memcpy(&seq, buf.data(), sizeof seq);
    Slot& s = slots[seq % slots.size()];
    if (!s.in_flight || s.seq != seq) continue;  // a late reply to a datagram counted lost
    st->latency.Add(b.Now() - s.sent);
    ++st->requests;
    ok = co_await send(seq % slots.size(), seq + slots.size());
  }
  if (!ok) ++st->errors;
  sched.Close(fd);
}

// Accepts on one listening socket until cancelled, serving each connection in a child task.
co::Task<void> AcceptLoop(co::Scheduler& sched, int lfd, ServerOptions opts, ServerStats* stats) {
  co::Context* ctx = co_await co::CurrentContext{};
  for (;;) {
    const int fd = co_await co::Accept(lfd);
    if (fd == -ECANCELED || fd == -EBADF) break;
    if (fd < 0) {
      ++stats->errors;
      if (fd == -EMFILE || fd == -ENFILE) co_await co::Sleep(Duration::Millis(10));
      continue;
    }
    sched.backend().SetIntOption(fd, IPPROTO_TCP, TCP_NODELAY, 1);
    ++stats->connections;
    sched.Spawn(ServeConnection(sched, fd, opts, stats), ctx);
  }
  sched.Close(lfd);
}

}  // namespace

co::Task<int> RunServer(co::Scheduler& sched, ServerOptions opts, ServerStats* stats) {
  if (opts.udp) {
    const int fd = co::ListenOn(sched, SOCK_DGRAM, opts.addr);
    if (fd < 0) co_return fd;
    co_return co_await ServeUdp(sched, fd, stats);
  }
  std::vector<int> lfds;
  for (uint32_t i = 0; i < std::max<uint32_t>(opts.ports, 1); ++i) {
    sockaddr_in a = opts.addr;
    a.sin_port = htons(static_cast<uint16_t>(ntohs(opts.addr.sin_port) + i));
    const int lfd = co::ListenOn(sched, SOCK_STREAM, a, 4096);
    if (lfd < 0) {
      for (const int fd : lfds) sched.Close(fd);
      co_return lfd;
    }
    lfds.push_back(lfd);
  }
  co::Context* ctx = co_await co::CurrentContext{};
  for (size_t i = 1; i < lfds.size(); ++i)
    sched.Spawn(AcceptLoop(sched, lfds[i], opts, stats), ctx);
  co_await AcceptLoop(sched, lfds[0], opts, stats);
  co_return 0;
}

co::Task<int> OpenUdp(co::Scheduler& sched) { co_return sched.backend().Socket(SOCK_DGRAM); }

co::Task<void> RunClient(co::Scheduler& sched, ClientOptions opts, ClientStats* stats) {
  // Open every connection first, so that set-up (handshakes, ARP, SYN retransmissions) is
  // not part of the measured interval.
  std::vector<co::Task<int>> opens;
  opens.reserve(opts.conns);
  for (uint32_t i = 0; i < opts.conns; ++i) {
    opens.push_back(opts.udp ? OpenUdp(sched)
                             : co::WithTimeout(co::ConnectTcp(sched, opts.addr), kConnectTimeout));
  }
  const std::vector<int> fds = co_await co::WhenAll(std::move(opens));
  const Instant start = sched.backend().Now();
  const Instant end = start + opts.duration;
  std::vector<co::Task<void>> conns;
  conns.reserve(opts.conns);
  for (const int fd : fds) {
    if (fd < 0) {
      ++stats->connect_errors;
      continue;
    }
    ++stats->conns_ok;
    conns.push_back(opts.udp ? UdpSocket(sched, fd, opts, end, stats)
                             : TcpConnection(sched, fd, opts, end, stats));
  }
  co_await co::WithDeadline(co::WhenAll(std::move(conns)), end + kGrace);
  stats->elapsed = std::min(sched.backend().Now(), end) - start;
}

std::string TextReport(const ClientOptions& o, const ClientStats& s, const char* stack) {
  const double secs = static_cast<double>(s.elapsed.nanos()) / 1e9;
  char out[1024];
  std::snprintf(out, sizeof out,
                "stack %s, %s, %u conns x pipeline %u, %u-byte messages, %.2f s\n"
                "requests %" PRIu64
                " (%.0f/s)\n"
                "latency us: p50 %.2f p99 %.2f p99.9 %.2f"
                " mean %.1f\n"
                "errors %" PRIu64 " connect_errors %" PRIu64 " lost %" PRIu64 " conns_ok %u\n",
                stack, o.udp ? "udp" : "tcp", o.conns, o.pipeline, o.size, secs, s.requests,
                secs > 0 ? static_cast<double>(s.requests) / secs : 0.0,
                Micros(s.latency.Percentile(0.5)), Micros(s.latency.Percentile(0.99)),
                Micros(s.latency.Percentile(0.999)), s.latency.MeanNanos() / 1e3, s.errors,
                s.connect_errors, s.lost, s.conns_ok);
  return out;
}

std::string JsonReport(const ClientOptions& o, const ClientStats& s, const char* stack) {
  const double secs = static_cast<double>(s.elapsed.nanos()) / 1e9;
  char out[1024];
  std::snprintf(out, sizeof out,
                "{\"stack\":\"%s\",\"proto\":\"%s\",\"conns\":%u,\"pipeline\":%u,\"size\":%u,"
                "\"duration_s\":%.3f,\"requests\":%" PRIu64
                ",\"rps\":%.1f,\"p50_us\":%.2f"
                ",\"p99_us\":%.2f,\"p999_us\":%.2f,\"mean_us\":%.2f,"
                "\"errors\":%" PRIu64 ",\"connect_errors\":%" PRIu64 ",\"lost\":%" PRIu64
                ",\"conns_ok\":%u}\n",
                stack, o.udp ? "udp" : "tcp", o.conns, o.pipeline, o.size, secs, s.requests,
                secs > 0 ? static_cast<double>(s.requests) / secs : 0.0,
                Micros(s.latency.Percentile(0.5)), Micros(s.latency.Percentile(0.99)),
                Micros(s.latency.Percentile(0.999)), s.latency.MeanNanos() / 1e3, s.errors,
                s.connect_errors, s.lost, s.conns_ok);
  return out;
}

}  // namespace ustack::echo
