// HttpServer: serves HTTP/1.1 on one listening TCP socket with coroutines on a co::Scheduler,
// over any co::IoBackend (ustack's SocketApi or the kernel's sockets), so that the same code
// runs on both stacks. One coroutine per connection runs HttpConnection::Service (read,
// parse, route, write as far as the socket takes) and parks on the socket's readiness in
// between; the protocol logic stays in HttpConnection.
// Per-request cost: no allocation in steady keep-alive service; connection objects (buffers
// included) are recycled through a bounded free list, so a stream of short connections
// allocates only the coroutine frames.
// Ownership: owns the listening socket and the connection objects; the scheduler must
// outlive the server, and the server must outlive the task returned by Run().
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "base/time.h"
#include "http/http_connection.h"
#include "ustack/co.h"

namespace ustack::http {

class HttpServer {
 public:
  static constexpr size_t kMaxFreeConns = 256;

  HttpServer(co::Scheduler& sched, const HttpServerOptions& opts);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens; 0 or -errno. nodelay: TCP_NODELAY on every accepted connection.
  int Listen(const sockaddr_in& addr, bool nodelay);
  // The bound address (the port chosen when Listen was given port 0).
  sockaddr_in local_addr() const { return local_; }
  // Accepts and serves until the awaiting context is cancelled; connections run under that
  // context too, so cancelling it ends them (at their next wait) as well.
  co::Task<void> Run();
  // Refreshes the Date header from the wall clock; call once per loop iteration (it reads
  // the wall clock only about once a second).
  void UpdateDate();

  const HttpStats& stats() const { return ctx_.stats; }
  size_t connections() const { return open_; }

 private:
  struct Conn;

  co::Task<void> Serve(int fd);
  std::unique_ptr<Conn> TakeConn(int fd);

  co::Scheduler& sched_;
  HttpContext ctx_;
  int listen_fd_ = -1;
  bool nodelay_ = false;
  sockaddr_in local_ = {};
  size_t open_ = 0;
  int64_t date_second_ = -1;  // the wall-clock second ctx_.date was made for
  Instant next_date_check_;   // scheduler time at which that second may have ended
  std::vector<std::unique_ptr<Conn>> free_;
};

}  // namespace ustack::http
