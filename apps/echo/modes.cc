// ustack-echo's bulk, idle and hold modes, see modes.h.
#include "modes.h"

#include "echo.h"

#include <malloc.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <vector>

namespace ustack::echo {
namespace {

constexpr Duration kConnectTimeout = Duration::Seconds(10);

// A connected socket with TCP_MAXSEG applied before the handshake (when mss > 0), or -errno.
co::Task<int> ConnectWithMss(co::Scheduler& sched, sockaddr_in addr, int mss) {
  co::IoBackend& b = sched.backend();
  const int fd = b.Socket(SOCK_STREAM);
  if (fd < 0) co_return fd;
  if (mss > 0) {
    const int rc = b.SetIntOption(fd, IPPROTO_TCP, TCP_MAXSEG, mss);
    if (rc < 0) {
      sched.Close(fd);
      co_return rc;
    }
  }
  const int rc = co_await co::WithTimeout(co::Connect(fd, addr), kConnectTimeout);
  if (rc < 0) {
    sched.Close(fd);
    co_return rc;
  }
  co_return fd;
}

Duration Median(std::vector<Duration> v) {
  if (v.empty()) return Duration();
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

// One request/reply of msg.size() bytes; its round trip, or a negative errno as nanos.
co::Task<int> RoundTrip(int fd, std::span<const uint8_t> msg, std::vector<uint8_t>& reply) {
  const ssize_t w = co_await co::WriteAll(fd, msg);
  if (w < 0) co_return static_cast<int>(w);
  const ssize_t n = co_await co::ReadExactly(fd, reply);
  if (n < 0) co_return static_cast<int>(n);
  if (n != static_cast<ssize_t>(reply.size()) ||
      !std::equal(reply.begin(), reply.end(), msg.begin())) {
    co_return -EPROTO;
  }
  co_return 0;
}

co::Task<int> TimedRounds(co::Scheduler& sched, int fd, uint32_t size, uint32_t count,
                          std::vector<Duration>* times) {
  std::vector<uint8_t> msg(size);
  for (size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<uint8_t>('a' + i % 26);
  std::vector<uint8_t> reply(size);
  for (uint32_t i = 0; i < count; ++i) {
    const Instant start = sched.backend().Now();
    const int rc = co_await RoundTrip(fd, msg, reply);
    if (rc < 0) co_return rc;
    times->push_back(sched.backend().Now() - start);
  }
  co_return 0;
}

// Opens connections first, first + stride, ... below o.conns, into fds[i].
co::Task<void> OpenSome(co::Scheduler& sched, const HoldOptions& o, uint32_t first, uint32_t stride,
                        std::vector<int>* fds) {
  for (uint32_t i = first; i < o.conns; i += stride) {
    sockaddr_in a = o.addr;
    a.sin_port = htons(static_cast<uint16_t>(ntohs(o.addr.sin_port) + i % o.ports));
    (*fds)[i] = co_await co::WithTimeout(co::ConnectTcp(sched, a), o.connect_timeout);
  }
}

double Seconds(Duration d) { return static_cast<double>(d.nanos()) / 1e9; }

}  // namespace

co::Task<void> RunBulk(co::Scheduler& sched, BulkOptions o, BulkStats* st) {
  const int fd = co_await ConnectWithMss(sched, o.addr, o.mss);
  if (fd < 0) {
    st->error = fd;
    co_return;
  }
  std::vector<uint8_t> chunk(o.chunk);
  for (size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<uint8_t>(i * 7);
  co::IoBackend& b = sched.backend();
  const Instant start = b.Now();
  // The first 8 bytes of the stream tell the sink how many bytes follow them.
  uint8_t header[8];
  std::memcpy(header, &o.bytes, sizeof header);
  const ssize_t h = co_await co::WriteAll(fd, header);
  if (h < 0) {
    st->error = static_cast<int>(h);
    sched.Close(fd);
    co_return;
  }
  while (st->sent < o.bytes) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk.size(), o.bytes - st->sent));
    const ssize_t w = co_await co::Write(fd, std::span<const uint8_t>(chunk.data(), n));
    if (w < 0) {
      st->error = static_cast<int>(w);
      sched.Close(fd);
      co_return;
    }
    st->sent += static_cast<uint64_t>(w);
  }
  uint8_t count[8];
  const ssize_t n = co_await co::ReadExactly(fd, count);
  st->elapsed = b.Now() - start;
  if (n != static_cast<ssize_t>(sizeof count)) {
    st->error = n < 0 ? static_cast<int>(n) : -EPROTO;
  } else {
    std::memcpy(&st->server_count, count, sizeof count);
    if (st->server_count != st->sent) st->error = -EPROTO;
  }
  sched.Close(fd);
}

std::string BulkJson(const BulkOptions& o, const BulkStats& s, const char* stack) {
  const double secs = Seconds(s.elapsed);
  char out[512];
  std::snprintf(out, sizeof out,
                "{\"mode\":\"bulk\",\"stack\":\"%s\",\"bytes\":%" PRIu64 ",\"sent\":%" PRIu64
                ",\"server_count\":%" PRIu64
                ",\"seconds\":%.6f,\"gbps\":%.4f,\"mss\":%d,\"chunk\":%u,\"error\":%d}\n",
                stack, o.bytes, s.sent, s.server_count, secs,
                secs > 0 ? static_cast<double>(s.server_count) * 8 / secs / 1e9 : 0.0, o.mss,
                o.chunk, s.error);
  return out;
}

co::Task<void> RunIdle(co::Scheduler& sched, IdleOptions o, IdleStats* st) {
  const int fd = co_await co::WithTimeout(co::ConnectTcp(sched, o.addr), kConnectTimeout);
  if (fd < 0) {
    st->error = fd;
    co_return;
  }
  std::vector<Duration> warm, first, after;
  int rc = co_await TimedRounds(sched, fd, o.size, o.warmup, &warm);
  if (rc == 0) {
    if (o.mark) o.mark("idle_start");
    co_await co::Sleep(o.idle);
    if (o.mark) o.mark("idle_end");
    rc = co_await TimedRounds(sched, fd, o.size, 1, &first);
  }
  if (rc == 0) rc = co_await TimedRounds(sched, fd, o.size, o.after, &after);
  st->error = rc;
  st->warm_median = Median(warm);
  st->first = first.empty() ? Duration() : first.front();
  st->after_median = Median(after);
  sched.Close(fd);
}

std::string IdleJson(const IdleOptions& o, const IdleStats& s, const char* stack) {
  char out[512];
  std::snprintf(out, sizeof out,
                "{\"mode\":\"idle\",\"stack\":\"%s\",\"idle_s\":%.3f,\"first_us\":%.2f,"
                "\"warm_median_us\":%.2f,\"after_median_us\":%.2f,\"error\":%d}\n",
                stack, Seconds(o.idle), Micros(s.first), Micros(s.warm_median),
                Micros(s.after_median), s.error);
  return out;
}

co::Task<void> RunHold(co::Scheduler& sched, HoldOptions o, HoldStats* st) {
  std::vector<int> fds(o.conns, -1);
  // The first connection also resolves the server's address and waits for the link: it is
  // not timed.
  co_await OpenSome(sched, o, 0, o.conns, &fds);
  const uint32_t workers = std::max<uint32_t>(1, std::min(o.concurrency, o.conns));
  std::vector<co::Task<void>> openers;
  openers.reserve(workers);
  const Instant start = sched.backend().Now();
  for (uint32_t w = 0; w < workers; ++w) {
    openers.push_back(OpenSome(sched, o, 1 + w, workers, &fds));
  }
  co_await co::WhenAll(std::move(openers));
  st->open_time = sched.backend().Now() - start;
  for (const int fd : fds) {
    if (fd >= 0) {
      ++st->ok;
    } else {
      ++st->failed;
      if (st->first_error == 0) st->first_error = fd;
    }
  }
  if (o.mark) o.mark("established");
  co_await co::Sleep(o.hold);
  for (const int fd : fds) {
    if (fd >= 0) sched.Close(fd);
  }
}

std::string HoldJson(const HoldOptions& o, const HoldStats& s, const char* stack) {
  const double secs = Seconds(s.open_time);
  char out[512];
  std::snprintf(out, sizeof out,
                "{\"mode\":\"hold\",\"stack\":\"%s\",\"conns\":%u,\"ports\":%u,"
                "\"concurrency\":%u,\"ok\":%u,\"failed\":%u,\"first_error\":%d,"
                "\"open_s\":%.4f,\"opens_per_s\":%.1f}\n",
                stack, o.conns, o.ports, o.concurrency, s.ok, s.failed, s.first_error, secs,
                secs > 0 && s.ok > 1 ? (s.ok - 1) / secs : 0.0);
  return out;
}

MemoryUse ReadMemoryUse() {
  MemoryUse m;
  const struct mallinfo2 mi = mallinfo2();
  m.heap_bytes = mi.uordblks + mi.hblkhd;  // small blocks in use + mmap'd large blocks
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    unsigned long long size = 0, resident = 0;
    if (std::fscanf(f, "%llu %llu", &size, &resident) == 2) {
      m.rss_bytes = resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    }
    std::fclose(f);
  }
  return m;
}

}  // namespace ustack::echo
