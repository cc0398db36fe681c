// HTTP server socket glue, see http_server.h.
#include "http/http_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <vector>

namespace ustack::http {

// A connection: its socket as a ByteStream plus its HTTP state.
struct HttpServer::Conn final : ByteStream {
  Conn(SocketApi& a, int f, HttpContext& ctx) : api(a), fd(f), http(ctx) {}

  ssize_t Read(std::span<uint8_t> out) override { return api.Read(fd, out.data(), out.size()); }
  ssize_t Write(std::span<const uint8_t> data) override {
    return api.Write(fd, data.data(), data.size());
  }
  void ShutdownWrite() override { api.Shutdown(fd, SHUT_WR); }

  SocketApi& api;
  int fd;
  HttpConnection http;
  uint32_t interest = EPOLLIN;
  bool lingering = false;
  Instant linger_since;
};

HttpServer::HttpServer(SocketApi& api, const HttpServerOptions& opts) : api_(api) {
  ctx_.options = opts;
}

HttpServer::~HttpServer() {
  while (!conns_.empty()) CloseConn(conns_.begin()->first);
  if (listen_fd_ >= 0) api_.Close(listen_fd_);
  if (epfd_ >= 0) api_.Close(epfd_);
}

bool HttpServer::Listen(uint16_t port, bool nodelay, std::string* error) {
  nodelay_ = nodelay;
  epfd_ = api_.EpollCreate();
  if (epfd_ < 0) {
    *error = std::string("epoll_create: ") + std::strerror(-epfd_);
    return false;
  }
  listen_fd_ = api_.Socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd_ < 0) {
    *error = std::string("socket: ") + std::strerror(-listen_fd_);
    return false;
  }
  int one = 1;
  api_.SetSockOpt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // best effort
  sockaddr_in sin = {};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(INADDR_ANY);
  int rc = api_.Bind(listen_fd_, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
  if (rc == 0) rc = api_.Listen(listen_fd_, 1024);
  if (rc < 0) {
    *error = "bind/listen on port " + std::to_string(port) + ": " + std::strerror(-rc);
    return false;
  }
  epoll_event ev = {};
  ev.events = EPOLLIN;
  ev.data.fd = listen_fd_;
  rc = api_.EpollCtl(epfd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  if (rc < 0) {
    *error = std::string("epoll_ctl: ") + std::strerror(-rc);
    return false;
  }
  next_sweep_ = api_.now() + Duration::Millis(100);
  return true;
}

void HttpServer::Poll() {
  UpdateDate();
  epoll_event events[256];
  int n = api_.EpollWait(epfd_, events, 256);
  for (int i = 0; i < n; ++i) {
    int fd = events[i].data.fd;
    if (fd == listen_fd_) {
      AcceptAll();
      continue;
    }
    auto it = conns_.find(fd);
    if (it != conns_.end()) ServiceConn(*it->second);
  }
  if (api_.now() >= next_sweep_) {
    SweepLingering();
    next_sweep_ = api_.now() + Duration::Millis(100);
  }
}

void HttpServer::AcceptAll() {
  for (;;) {
    int fd = api_.Accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;  // -EAGAIN: none left; other errors: try again next time
    if (nodelay_) {
      int one = 1;
      api_.SetSockOpt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    auto conn = std::make_unique<Conn>(api_, fd, ctx_);
    epoll_event ev = {};
    ev.events = conn->interest;
    ev.data.fd = fd;
    if (api_.EpollCtl(epfd_, EPOLL_CTL_ADD, fd, &ev) < 0) {
      api_.Close(fd);
      continue;
    }
    ++ctx_.stats.connections_opened;
    Conn& c = *conn;
    conns_[fd] = std::move(conn);
    ServiceConn(c);  // data may already be waiting
  }
}

void HttpServer::ServiceConn(Conn& c) {
  HttpConnection::Wait w = c.http.Service(c);
  if (w == HttpConnection::Wait::kClose) {
    CloseConn(c.fd);
    return;
  }
  if (c.http.lingering() && !c.lingering) {
    c.lingering = true;
    c.linger_since = api_.now();
  }
  uint32_t want = w == HttpConnection::Wait::kWritable ? EPOLLOUT : EPOLLIN;
  if (want != c.interest) {
    epoll_event ev = {};
    ev.events = want;
    ev.data.fd = c.fd;
    if (api_.EpollCtl(epfd_, EPOLL_CTL_MOD, c.fd, &ev) < 0) {
      CloseConn(c.fd);
      return;
    }
    c.interest = want;
  }
}

void HttpServer::CloseConn(int fd) {
  api_.EpollCtl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
  api_.Close(fd);
  conns_.erase(fd);
  ++ctx_.stats.connections_closed;
}

void HttpServer::SweepLingering() {
  std::vector<int> expired;
  for (auto& [fd, c] : conns_) {
    if (c->lingering && api_.now() - c->linger_since > kLingerTimeout) expired.push_back(fd);
  }
  for (int fd : expired) CloseConn(fd);
}

void HttpServer::UpdateDate() {
  // The app may read the wall clock; protocol code never does.
  std::time_t t = std::time(nullptr);
  if (t == date_second_) return;
  date_second_ = t;
  std::tm tm = {};
  gmtime_r(&t, &tm);
  char buf[64];
  // RFC 9110 5.6.7: IMF-fixdate.
  size_t len = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  ctx_.date.assign(buf, len);
}

}  // namespace ustack::http
