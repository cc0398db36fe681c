// HTTP server coroutines, see http_server.h.
#include "http/http_server.h"

#include <netinet/tcp.h>
#include <sys/socket.h>

#include <time.h>
#include <cerrno>
#include <ctime>

namespace ustack::http {

// A connection: its socket as a ByteStream over the backend, plus its HTTP state.
struct HttpServer::Conn final : ByteStream {
  Conn(co::IoBackend& b, int f, HttpContext& ctx) : backend(&b), fd(f), http(ctx) {}

  ssize_t Read(std::span<uint8_t> out) override {
    return backend->Read(fd, out.data(), out.size());
  }
  ssize_t Write(std::span<const uint8_t> data) override {
    return backend->Write(fd, data.data(), data.size());
  }
  void ShutdownWrite() override { backend->Shutdown(fd, SHUT_WR); }

  co::IoBackend* backend;
  int fd;
  HttpConnection http;
};

HttpServer::HttpServer(co::Scheduler& sched, const HttpServerOptions& opts) : sched_(sched) {
  ctx_.options = opts;
  UpdateDate();
}

HttpServer::~HttpServer() {
  if (listen_fd_ >= 0) sched_.Close(listen_fd_);
}

int HttpServer::Listen(const sockaddr_in& addr, bool nodelay) {
  nodelay_ = nodelay;
  listen_fd_ = co::ListenOn(sched_, SOCK_STREAM, addr, 4096);
  if (listen_fd_ < 0) return listen_fd_;
  sched_.backend().GetSockName(listen_fd_, &local_);
  return 0;
}

co::Task<void> HttpServer::Run() {
  co::Context* ctx = co_await co::CurrentContext{};
  while (listen_fd_ >= 0) {
    const int fd = co_await co::Accept(listen_fd_);
    if (fd == -ECANCELED || fd == -EBADF || fd == -ETIMEDOUT) break;
    if (fd < 0) {
      // Out of fds or buffers: let the connections in service finish some work first.
      if (fd == -EMFILE || fd == -ENFILE || fd == -ENOBUFS) co_await co::Sleep(Duration::Millis(1));
      continue;
    }
    if (nodelay_) sched_.backend().SetIntOption(fd, IPPROTO_TCP, TCP_NODELAY, 1);
    sched_.Spawn(Serve(fd), ctx);
  }
  if (listen_fd_ >= 0) sched_.Close(listen_fd_);
  listen_fd_ = -1;
}

std::unique_ptr<HttpServer::Conn> HttpServer::TakeConn(int fd) {
  if (free_.empty()) return std::make_unique<Conn>(sched_.backend(), fd, ctx_);
  std::unique_ptr<Conn> c = std::move(free_.back());
  free_.pop_back();
  c->fd = fd;
  return c;
}

co::Task<void> HttpServer::Serve(int fd) {
  std::unique_ptr<Conn> c = TakeConn(fd);
  ++ctx_.stats.connections_opened;
  ++open_;
  Instant linger_until = Instant::Max();
  for (;;) {
    const HttpConnection::Wait w = c->http.Service(*c);
    if (w == HttpConnection::Wait::kClose) break;
    int rc;
    if (w == HttpConnection::Wait::kWritable) {
      rc = co_await co::WaitWritable(fd);
    } else {
      if (c->http.lingering()) {
        if (linger_until == Instant::Max())
          linger_until = sched_.Now() + ctx_.options.linger_timeout;
        if (sched_.Now() >= linger_until) break;
      }
      rc = co_await co::WaitReadable(fd, linger_until);
    }
    if (rc < 0) break;  // cancelled (server stopping) or closed under us
  }
  sched_.Close(fd);
  --open_;
  ++ctx_.stats.connections_closed;
  if (free_.size() < kMaxFreeConns) {
    c->http.Reset();
    free_.push_back(std::move(c));
  }
}

void HttpServer::UpdateDate() {
  // Called every loop iteration: look at the wall clock only when the next second may have
  // begun (by the scheduler's monotonic time, which costs nothing to read).
  const Instant now = sched_.Now();
  if (now < next_date_check_) return;
  // The app may read the wall clock; protocol code never does.
  timespec ts = {};
  clock_gettime(CLOCK_REALTIME, &ts);
  next_date_check_ = now + Duration::Nanos(1'000'000'000 - ts.tv_nsec);
  if (ts.tv_sec == date_second_) return;
  date_second_ = ts.tv_sec;
  std::tm tm = {};
  const std::time_t t = ts.tv_sec;
  gmtime_r(&t, &tm);
  char buf[64];
  // RFC 9110 5.6.7: IMF-fixdate.
  const size_t len = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  ctx_.date.assign(buf, len);
}

}  // namespace ustack::http
