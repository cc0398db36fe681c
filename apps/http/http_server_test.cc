// HttpServer's coroutine glue on the kernel backend over 127.0.0.1 (server and clients on one
// scheduler): keep-alive reuses one connection, Connection: close opens one per request
// and recycles the connection objects, a client that never closes after a 400 is cut off
// after the linger timeout, and cancelling the server's context ends everything.
#include "http/http_server.h"

#include <gtest/gtest.h>

#include <string>

namespace ustack::http {
namespace {

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(backend_.ok());
    opts_.linger_timeout = Duration::Millis(100);
  }

  // Starts the server on an ephemeral loopback port under a cancellable context.
  void Start() {
    server_ = std::make_unique<HttpServer>(sched_, opts_);
    ASSERT_EQ(server_->Listen(co::MakeAddr("127.0.0.1", 0), true), 0);
    addr_ = server_->local_addr();
    sched_.Spawn(server_->Run(), &ctx_);
  }
  // Runs until `done` or 10 s pass; then stops the server and lets every task end.
  void RunUntil(const bool& done) {
    const Instant end = backend_.Now() + Duration::Seconds(10);
    while (!done && backend_.Now() < end) sched_.Poll(Duration::Millis(5));
    EXPECT_TRUE(done);
    stop_.Cancel();
    for (int i = 0; i < 5 && sched_.live() > 0; ++i) sched_.Poll(Duration());
    EXPECT_EQ(sched_.live(), 0u);
  }

  co::KernelBackend backend_;
  co::Scheduler sched_{backend_};
  co::CancelSource stop_{sched_};
  co::Context ctx_ = co::Context::Child(*sched_.root(), Instant::Max(), stop_.state());
  HttpServerOptions opts_;
  std::unique_ptr<HttpServer> server_;
  sockaddr_in addr_ = {};
};

// Reads one response to GET / (head + 600-byte body); the bytes, or empty on error.
co::Task<std::string> ReadResponse(int fd) {
  std::string got;
  uint8_t buf[4096];
  for (;;) {
    const size_t head_end = got.find("\r\n\r\n");
    if (head_end != std::string::npos && got.size() >= head_end + 4 + 600) co_return got;
    const ssize_t n = co_await co::Read(fd, buf);
    if (n <= 0) co_return got;
    got.append(reinterpret_cast<char*>(buf), static_cast<size_t>(n));
  }
}

co::Task<int> Requests(co::Scheduler& s, sockaddr_in a, int n, bool close) {
  int ok = 0;
  int fd = -1;
  const std::string req = std::string("GET / HTTP/1.1\r\nHost: x\r\n") +
                          (close ? "Connection: close\r\n" : "") + "\r\n";
  for (int i = 0; i < n; ++i) {
    if (fd < 0) fd = co_await co::ConnectTcp(s, a);
    if (fd < 0) break;
    co_await co::WriteAll(fd, std::span(reinterpret_cast<const uint8_t*>(req.data()), req.size()));
    const std::string r = co_await ReadResponse(fd);
    if (r.starts_with("HTTP/1.1 200 OK\r\n") && r.ends_with(std::string(600, 'x')) &&
        (r.find("\r\nConnection: close\r\n") != std::string::npos) == close) {
      ++ok;
    }
    if (close) {
      uint8_t b[1];
      if (co_await co::Read(fd, b) != 0) --ok;  // the server must close after its answer
      s.Close(fd);
      fd = -1;
    }
  }
  if (fd >= 0) s.Close(fd);
  co_return ok;
}

TEST_F(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  Start();
  int ok = 0;
  bool done = false;
  sched_.Spawn([](co::Scheduler& s, sockaddr_in a, int* o, bool* d) -> co::Task<void> {
    *o = co_await Requests(s, a, 200, false);
    *d = true;
  }(sched_, addr_, &ok, &done));
  RunUntil(done);
  EXPECT_EQ(ok, 200);
  EXPECT_EQ(server_->stats().requests, 200u);
  EXPECT_EQ(server_->stats().connections_opened, 1u);
  EXPECT_EQ(server_->stats().connections_closed, 1u);
}

TEST_F(HttpServerTest, ConnectionCloseOpensOneConnectionPerRequest) {
  Start();
  int ok = 0;
  bool done = false;
  sched_.Spawn([](co::Scheduler& s, sockaddr_in a, int* o, bool* d) -> co::Task<void> {
    *o = co_await Requests(s, a, 100, true);
    *d = true;
  }(sched_, addr_, &ok, &done));
  RunUntil(done);
  EXPECT_EQ(ok, 100);
  EXPECT_EQ(server_->stats().requests, 100u);
  EXPECT_EQ(server_->stats().connections_opened, 100u);
  EXPECT_EQ(server_->stats().connections_closed, 100u);
  EXPECT_EQ(server_->connections(), 0u);
}

// RFC 9112 9.6: the server drains input after its final response, but not forever.
TEST_F(HttpServerTest, LingeringConnectionIsClosedAfterTheTimeout) {
  Start();
  Duration took;
  std::string got;
  bool done = false;
  sched_.Spawn([](co::Scheduler& s, sockaddr_in a, std::string* g, Duration* t,
                  bool* d) -> co::Task<void> {
    const int fd = co_await co::ConnectTcp(s, a);
    const std::string bad = "BLAH\r\n\r\n";
    co_await co::WriteAll(fd, std::span(reinterpret_cast<const uint8_t*>(bad.data()), bad.size()));
    const Instant start = s.Now();
    uint8_t buf[512];
    for (;;) {  // the answer, then end of stream (the server shut its side)
      const ssize_t n = co_await co::Read(fd, buf);
      if (n <= 0) break;
      g->append(reinterpret_cast<char*>(buf), static_cast<size_t>(n));
    }
    // We never close: the server's read side waits, then gives up and closes (a later
    // write of ours is then answered with a reset).
    for (;;) {
      co_await co::Sleep(Duration::Millis(10));
      if (s.backend().Write(fd, "x", 1) < 0) break;
    }
    *t = s.Now() - start;
    s.Close(fd);
    *d = true;
  }(sched_, addr_, &got, &took, &done));
  RunUntil(done);
  EXPECT_TRUE(got.starts_with("HTTP/1.1 400 Bad Request\r\n")) << got;
  EXPECT_GE(took, Duration::Millis(90));
  EXPECT_LT(took, Duration::Seconds(3));
  EXPECT_EQ(server_->stats().connections_closed, 1u);
}

}  // namespace
}  // namespace ustack::http
