// HttpServer: serves HTTP/1.1 on one TCP port of a ustack SocketApi, with the API's epoll.
// Everything is non-blocking and runs on the stack's thread: Poll() is called once per poll
// iteration. Per-connection protocol logic lives in HttpConnection; this file only moves
// bytes between sockets and connections and keeps the epoll interest set right.
// Ownership: owns its sockets (listener, epoll, connections) and closes them when destroyed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "base/time.h"
#include "http/http_connection.h"
#include "socket/socket_api.h"

namespace ustack::http {

class HttpServer {
 public:
  static constexpr Duration kLingerTimeout = Duration::Seconds(2);

  HttpServer(SocketApi& api, const HttpServerOptions& opts);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Listens on 0.0.0.0:port; false with *error set on failure.
  bool Listen(uint16_t port, bool nodelay, std::string* error);
  // Accepts, reads, writes: everything that is ready now.
  void Poll();

  const HttpStats& stats() const { return ctx_.stats; }
  size_t connections() const { return conns_.size(); }

 private:
  struct Conn;

  void AcceptAll();
  void ServiceConn(Conn& c);
  void CloseConn(int fd);
  void UpdateDate();
  void SweepLingering();

  SocketApi& api_;
  HttpContext ctx_;
  int epfd_ = -1;
  int listen_fd_ = -1;
  bool nodelay_ = false;
  std::unordered_map<int, std::unique_ptr<Conn>> conns_;
  int64_t date_second_ = -1;  // the wall-clock second ctx_.date was made for
  Instant next_sweep_;
};

}  // namespace ustack::http
