// HTTP load coroutines and reports, see http_load.h.
#include "load/http_load.h"

#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cinttypes>
#include <cstdio>
#include <vector>

#include "http/app_stack.h"
#include "load/http_response.h"

namespace ustack::load {
namespace {

constexpr size_t kReadBuffer = 16 * 1024;
constexpr Duration kGrace = Duration::Seconds(2);   // after the end, for answers in flight
constexpr Duration kBackoff = Duration::Millis(1);  // after an error, before trying again

// What one connection coroutine shares with the others.
struct Run {
  co::Scheduler& sched;
  const HttpLoadOptions& opts;
  HttpLoadStats* stats;
  std::span<const uint8_t> request;
  Instant end;
};

enum class Failure : uint8_t { kNone, kStatus, kLength, kProtocol, kIo };

void Count(HttpLoadStats* st, Failure f) {
  switch (f) {
    case Failure::kNone:
      return;
    case Failure::kStatus:
      ++st->status_errors;
      break;
    case Failure::kLength:
      ++st->length_errors;
      break;
    case Failure::kProtocol:
      ++st->protocol_errors;
      break;
    case Failure::kIo:
      ++st->io_errors;
      break;
  }
  ++st->errors;
}

// One connection coroutine: requests back to back until the end. `fd` is an open kept-alive
// connection, or -1 (connect first). Written as one coroutine with plain loops, so that a
// request costs no coroutine frame (no allocation).
co::Task<void> Worker(const Run& run, int fd) {
  co::IoBackend& b = run.sched.backend();
  HttpLoadStats* st = run.stats;
  std::vector<uint8_t> buf(kReadBuffer);
  HttpResponseReader reader;
  while (b.Now() < run.end) {
    Failure fail = Failure::kNone;
    const Instant t0 = b.Now();
    if (fd < 0) {
      fd = b.Socket(SOCK_STREAM);
      const int rc = fd < 0 ? fd : co_await co::Connect(fd, run.opts.addr);
      if (rc < 0) {
        if (fd >= 0) run.sched.Close(fd);
        fd = -1;
        if (rc == -ECANCELED || b.Now() >= run.end) break;
        ++st->connect_errors;
        ++st->errors;
        co_await co::Sleep(kBackoff);
        continue;
      }
      b.SetIntOption(fd, IPPROTO_TCP, TCP_NODELAY, 1);
      ++st->connections;
    }
    // The request, then the response.
    for (size_t off = 0; off < run.request.size() && fail == Failure::kNone;) {
      const ssize_t n = co_await co::Write(fd, run.request.subspan(off));
      if (n < 0) fail = Failure::kIo;
      off += n > 0 ? static_cast<size_t>(n) : 0;
    }
    reader.Reset();
    HttpResponseReader::Result r = HttpResponseReader::Result::kNeedMore;
    size_t leftover = 0;
    while (fail == Failure::kNone && r == HttpResponseReader::Result::kNeedMore) {
      const ssize_t n = co_await co::Read(fd, buf);
      if (n <= 0) {
        fail = n == 0 ? Failure::kProtocol : Failure::kIo;
        break;
      }
      size_t used = 0;
      r = reader.Feed(std::span<const uint8_t>(buf.data(), static_cast<size_t>(n)), &used);
      leftover = static_cast<size_t>(n) - used;
    }
    const Instant t1 = b.Now();
    if (fail == Failure::kNone) {
      const auto& resp = reader.response();
      if (r != HttpResponseReader::Result::kDone || leftover > 0) {
        fail = Failure::kProtocol;  // malformed, or bytes nobody asked for
      } else if (resp.status != 200) {
        fail = Failure::kStatus;
      } else if (run.opts.expect_length >= 0 &&
                 resp.content_length != static_cast<uint64_t>(run.opts.expect_length)) {
        fail = Failure::kLength;
      }
    }
    bool reuse = fail == Failure::kNone && !run.opts.close && !reader.response().close;
    if (fail == Failure::kNone && run.opts.close) {
      // Wait for the server's FIN, so that the server holds TIME_WAIT, not us.
      const ssize_t n = co_await co::Read(fd, buf);
      if (n != 0) fail = n > 0 ? Failure::kProtocol : Failure::kIo;
    }
    if (t1 > run.end || (fail == Failure::kIo && b.Now() >= run.end)) break;  // out of time
    Count(st, fail);
    if (fail == Failure::kNone) {
      ++st->requests;
      st->latency.Add(t1 - t0);
      if (!run.opts.close && reader.response().close) ++st->reconnects;
    }
    if (!reuse) {
      run.sched.Close(fd);
      fd = -1;
    }
    if (fail != Failure::kNone) co_await co::Sleep(kBackoff);
  }
  if (fd >= 0) run.sched.Close(fd);
}

}  // namespace

co::Task<void> RunHttpLoad(co::Scheduler& sched, const HttpLoadOptions& opts,
                           HttpLoadStats* stats) {
  std::string req =
      "GET " + opts.path + " HTTP/1.1\r\nHost: " + opts.host + "\r\nUser-Agent: ustack-load\r\n";
  if (opts.close) req += "Connection: close\r\n";
  req += "\r\n";
  // One connection first, outside the measurement: resolves the server's link address
  // (ARP), so that the first requests do not wait for it (or for SYNs dropped meanwhile).
  const int warm = co_await co::WithTimeout(co::ConnectTcp(sched, opts.addr), opts.connect_timeout);
  if (warm >= 0) sched.Close(warm);
  // Keep-alive: open every connection first, so that set-up is not measured.
  std::vector<int> fds(opts.conns, -1);
  if (!opts.close) {
    std::vector<co::Task<int>> opens;
    opens.reserve(opts.conns);
    for (uint32_t i = 0; i < opts.conns; ++i) {
      opens.push_back(co::WithTimeout(co::ConnectTcp(sched, opts.addr), opts.connect_timeout));
    }
    fds = co_await co::WhenAll(std::move(opens));
    for (int fd : fds) {
      if (fd >= 0) {
        ++stats->conns_ok;
        ++stats->connections;
      } else {
        ++stats->connect_errors;
        ++stats->errors;
      }
    }
  }
  const Instant start = sched.backend().Now();
  const Run run{sched, opts, stats,
                std::span(reinterpret_cast<const uint8_t*>(req.data()), req.size()),
                start + opts.duration};
  std::vector<co::Task<void>> workers;
  workers.reserve(opts.conns);
  for (int fd : fds) {
    if (opts.close || fd >= 0) workers.push_back(Worker(run, fd));
  }
  co_await co::WithDeadline(co::WhenAll(std::move(workers)), run.end + kGrace);
  stats->elapsed = std::min(sched.backend().Now(), run.end) - start;
}

bool ParseHttpUrl(const std::string& url, HttpLoadOptions* opts) {
  std::string_view u = url;
  if (!u.starts_with("http://")) return false;
  u.remove_prefix(7);
  const size_t slash = u.find('/');
  std::string_view authority = u.substr(0, slash);
  opts->path = slash == std::string_view::npos ? "/" : std::string(u.substr(slash));
  if (authority.empty()) return false;
  std::string hostport(authority);
  if (authority.find(':') == std::string_view::npos) hostport += ":80";
  if (hostport.front() == ':' || !app::ParseHostPort(hostport, &opts->addr)) return false;
  opts->host = std::string(authority);
  return true;
}

namespace {

struct Figures {
  double secs, rps;
  uint64_t p50, p99, p999;
  double mean_us;
};

// To the nearest whole microsecond.
uint64_t Micros(Duration d) { return static_cast<uint64_t>((d.nanos() + 500) / 1000); }

Figures FiguresOf(const HttpLoadStats& s) {
  const double secs = static_cast<double>(s.elapsed.nanos()) / 1e9;
  return {secs,
          secs > 0 ? static_cast<double>(s.requests) / secs : 0.0,
          Micros(s.latency.Percentile(0.5)),
          Micros(s.latency.Percentile(0.99)),
          Micros(s.latency.Percentile(0.999)),
          s.latency.MeanNanos() / 1e3};
}

}  // namespace

std::string TextReport(const HttpLoadOptions& o, const HttpLoadStats& s, const char* stack) {
  const Figures f = FiguresOf(s);
  char out[1024];
  std::snprintf(out, sizeof out,
                "stack %s, %s, %u conns, GET %s, %.2f s\n"
                "requests %" PRIu64
                " (%.0f/s)%s\n"
                "latency us: p50 %" PRIu64 " p99 %" PRIu64 " p99.9 %" PRIu64
                " mean %.1f\n"
                "errors %" PRIu64 " (connect %" PRIu64 ", status %" PRIu64 ", length %" PRIu64
                ", protocol %" PRIu64 ", io %" PRIu64 ") reconnects %" PRIu64
                " connections %" PRIu64 "\n",
                stack, o.close ? "close" : "keep-alive", o.conns, o.path.c_str(), f.secs,
                s.requests, f.rps, o.close ? " = connections/s" : "", f.p50, f.p99, f.p999,
                f.mean_us, s.errors, s.connect_errors, s.status_errors, s.length_errors,
                s.protocol_errors, s.io_errors, s.reconnects, s.connections);
  return out;
}

std::string JsonReport(const HttpLoadOptions& o, const HttpLoadStats& s, const char* stack) {
  const Figures f = FiguresOf(s);
  char out[1024];
  std::snprintf(out, sizeof out,
                "{\"stack\":\"%s\",\"mode\":\"%s\",\"conns\":%u,\"duration_s\":%.3f,"
                "\"requests\":%" PRIu64 ",\"rps\":%.1f,\"cps\":%.1f,\"p50_us\":%" PRIu64
                ",\"p99_us\":%" PRIu64 ",\"p999_us\":%" PRIu64
                ",\"mean_us\":%.1f,\"errors\":%" PRIu64 ",\"connect_errors\":%" PRIu64
                ",\"status_errors\":%" PRIu64 ",\"length_errors\":%" PRIu64
                ",\"protocol_errors\":%" PRIu64 ",\"io_errors\":%" PRIu64 ",\"reconnects\":%" PRIu64
                ",\"connections\":%" PRIu64 "}\n",
                stack, o.close ? "close" : "keep-alive", o.conns, f.secs, s.requests, f.rps,
                o.close ? f.rps : 0.0, f.p50, f.p99, f.p999, f.mean_us, s.errors, s.connect_errors,
                s.status_errors, s.length_errors, s.protocol_errors, s.io_errors, s.reconnects,
                s.connections);
  return out;
}

}  // namespace ustack::load
