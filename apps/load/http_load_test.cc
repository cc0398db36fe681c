// ustack-load's HTTP load against ustack-httpd's server (both on one scheduler, kernel
// backend, 127.0.0.1): keep-alive and close both make requests without errors, and wrong
// answers (status, length) are counted as errors. Also the reports' latency figures and URLs.
#include "load/http_load.h"

#include <gtest/gtest.h>

#include "http/http_server.h"

namespace ustack::load {
namespace {

class HttpLoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(backend_.ok());
    server_ = std::make_unique<http::HttpServer>(sched_, http::HttpServerOptions{});
    ASSERT_EQ(server_->Listen(co::MakeAddr("127.0.0.1", 0), true), 0);
    sched_.Spawn(server_->Run(), &ctx_);
    opts_.addr = server_->local_addr();
    opts_.host = "127.0.0.1";
    opts_.conns = 4;
    opts_.duration = Duration::Millis(300);
  }
  HttpLoadStats RunLoad() {
    HttpLoadStats st;
    bool done = false;
    sched_.Spawn([](co::Task<void> t, bool* d) -> co::Task<void> {
      co_await std::move(t);
      *d = true;
    }(RunHttpLoad(sched_, opts_, &st), &done));
    const Instant end = backend_.Now() + Duration::Seconds(10);
    while (!done && backend_.Now() < end) sched_.Poll(Duration::Millis(5));
    EXPECT_TRUE(done);
    stop_.Cancel();
    for (int i = 0; i < 5 && sched_.live() > 0; ++i) sched_.Poll(Duration());
    return st;
  }

  co::KernelBackend backend_;
  co::Scheduler sched_{backend_};
  co::CancelSource stop_{sched_};
  co::Context ctx_ = co::Context::Child(*sched_.root(), Instant::Max(), stop_.state());
  std::unique_ptr<http::HttpServer> server_;
  HttpLoadOptions opts_;
};

TEST_F(HttpLoadTest, KeepAliveRequestsWithoutErrors) {
  opts_.expect_length = 600;
  const HttpLoadStats st = RunLoad();
  EXPECT_GT(st.requests, 100u);
  EXPECT_EQ(st.errors, 0u);
  EXPECT_EQ(st.conns_ok, 4u);
  EXPECT_EQ(st.connections, 4u);
  EXPECT_EQ(st.latency.count(), st.requests);
  EXPECT_GE(server_->stats().requests, st.requests);
  EXPECT_EQ(server_->stats().connections_opened, 1u + 4u);  // the warm-up connection too
}

TEST_F(HttpLoadTest, CloseOpensAConnectionPerRequest) {
  opts_.close = true;
  opts_.expect_length = 600;
  const HttpLoadStats st = RunLoad();
  EXPECT_GT(st.requests, 20u);
  EXPECT_EQ(st.errors, 0u);
  EXPECT_GE(st.connections, st.requests);
  EXPECT_LE(st.connections, st.requests + opts_.conns);  // the last ones may miss the end
  EXPECT_EQ(server_->stats().connections_opened, 1 + st.connections);  // + the warm-up
}

TEST_F(HttpLoadTest, WrongLengthAndStatusAreErrors) {
  opts_.expect_length = 601;
  HttpLoadStats st = RunLoad();
  EXPECT_EQ(st.requests, 0u);
  EXPECT_GT(st.length_errors, 0u);
  EXPECT_EQ(st.errors, st.length_errors);
}

TEST_F(HttpLoadTest, NotFoundIsAStatusError) {
  opts_.path = "/nope";
  HttpLoadStats st = RunLoad();
  EXPECT_EQ(st.requests, 0u);
  EXPECT_GT(st.status_errors, 0u);
  EXPECT_EQ(st.errors, st.status_errors);
}

TEST(HttpLoadUrl, Parses) {
  HttpLoadOptions o;
  ASSERT_TRUE(ParseHttpUrl("http://198.18.0.1:8080/bytes/10?x=1", &o));
  EXPECT_EQ(ntohs(o.addr.sin_port), 8080);
  EXPECT_EQ(o.host, "198.18.0.1:8080");
  EXPECT_EQ(o.path, "/bytes/10?x=1");
  ASSERT_TRUE(ParseHttpUrl("http://127.0.0.1", &o));
  EXPECT_EQ(ntohs(o.addr.sin_port), 80);
  EXPECT_EQ(o.path, "/");
  for (const char* bad : {"https://1.2.3.4/", "http://", "http://:80/", "http://host/",
                          "http://1.2.3.4:x/", "1.2.3.4:80"}) {
    EXPECT_FALSE(ParseHttpUrl(bad, &o)) << bad;
  }
}

// The reports print latency percentiles in whole microseconds (to the nearest) and the mean
// to 0.1 us.
TEST(HttpLoadReport, LatencyInWholeMicroseconds) {
  HttpLoadOptions o;
  HttpLoadStats s;
  s.elapsed = Duration::Seconds(1);
  for (int i = 1; i <= 1000; ++i) s.latency.Add(Duration::Micros(i));
  s.requests = s.latency.count();
  const std::string text = TextReport(o, s, "kernel");
  EXPECT_NE(text.find("latency us: p50 500 p99 990 p99.9 999 mean 500.5\n"), std::string::npos)
      << text;
  const std::string json = JsonReport(o, s, "kernel");
  EXPECT_NE(json.find("\"p50_us\":500,\"p99_us\":990,\"p999_us\":999,\"mean_us\":500.5,"),
            std::string::npos)
      << json;
  s.latency.Clear();
  s.latency.Add(Duration::Micros(123456789));  // ~2 minutes: within 1/1024
  const std::string big = JsonReport(o, s, "kernel");
  const size_t at = big.find("\"p50_us\":");
  ASSERT_NE(at, std::string::npos);
  EXPECT_NEAR(std::stod(big.substr(at + 9)), 123456789.0, 123456789.0 / 1024) << big;
}

}  // namespace
}  // namespace ustack::load
