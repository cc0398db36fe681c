// HttpResponseReader: heads whole or split at every byte, bodies by Content-Length, interim
// responses, HEAD, connection close, and malformed or unsupported framing.
#include "load/http_response.h"

#include <gtest/gtest.h>

#include <string>

namespace ustack::load {
namespace {

using R = HttpResponseReader::Result;

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Feeds `s` in pieces of `step` bytes; the result after the last piece and the bytes used.
R FeedInSteps(HttpResponseReader& r, const std::string& s, size_t step, size_t* total_used) {
  R res = R::kNeedMore;
  *total_used = 0;
  for (size_t off = 0; off < s.size() && res == R::kNeedMore; off += step) {
    size_t used = 0;
    res = r.Feed(Bytes(s).subspan(off, std::min(step, s.size() - off)), &used);
    *total_used += used;
  }
  return res;
}

const std::string kOk =
    "HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello";

TEST(HttpResponseReader, WholeResponseInOneChunk) {
  HttpResponseReader r;
  r.Reset();
  size_t used = 0;
  EXPECT_EQ(FeedInSteps(r, kOk + "GARBAGE", 1 << 20, &used), R::kDone);
  EXPECT_EQ(used, kOk.size());  // what follows is left for the next response
  EXPECT_EQ(r.response().status, 200);
  EXPECT_EQ(r.response().content_length, 5u);
  EXPECT_FALSE(r.response().close);
}

TEST(HttpResponseReader, SplitAtEveryPossibleSize) {
  for (size_t step = 1; step <= kOk.size(); ++step) {
    HttpResponseReader r;
    r.Reset();
    size_t used = 0;
    ASSERT_EQ(FeedInSteps(r, kOk, step, &used), R::kDone) << "step " << step;
    EXPECT_EQ(used, kOk.size());
    EXPECT_EQ(r.response().content_length, 5u);
  }
}

TEST(HttpResponseReader, StagedHeadGivesBackTheBodyBytes) {
  HttpResponseReader r;
  r.Reset();
  size_t used = 0;
  EXPECT_EQ(r.Feed(Bytes(kOk.substr(0, 10)), &used), R::kNeedMore);
  EXPECT_EQ(used, 10u);
  const std::string rest = kOk.substr(10) + "NEXT";
  EXPECT_EQ(r.Feed(Bytes(rest), &used), R::kDone);
  EXPECT_EQ(used, rest.size() - 4);
}

TEST(HttpResponseReader, ConnectionCloseAndHttp10) {
  HttpResponseReader r;
  r.Reset();
  size_t used = 0;
  EXPECT_EQ(FeedInSteps(
                r, "HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 0\r\n\r\n",
                7, &used),
            R::kDone);
  EXPECT_TRUE(r.response().close);
  r.Reset();
  EXPECT_EQ(FeedInSteps(r, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 100, &used), R::kDone);
  EXPECT_TRUE(r.response().close);  // RFC 9112 9.3: 1.0 closes without keep-alive
  r.Reset();
  EXPECT_EQ(FeedInSteps(r, "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
                        100, &used),
            R::kDone);
  EXPECT_FALSE(r.response().close);
}

TEST(HttpResponseReader, InterimResponseThenFinal) {
  HttpResponseReader r;
  r.Reset();
  size_t used = 0;
  EXPECT_EQ(FeedInSteps(r, "HTTP/1.1 100 Continue\r\n\r\n" + kOk, 3, &used), R::kDone);
  EXPECT_EQ(r.response().status, 200);
  EXPECT_EQ(used, 25 + kOk.size());
}

TEST(HttpResponseReader, HeadAndNoBodyStatuses) {
  HttpResponseReader r;
  r.Reset(/*head_request=*/true);
  size_t used = 0;
  EXPECT_EQ(FeedInSteps(r, "HTTP/1.1 200 OK\r\nContent-Length: 600\r\n\r\n", 100, &used), R::kDone);
  EXPECT_EQ(r.response().content_length, 600u);
  r.Reset();
  EXPECT_EQ(FeedInSteps(r, "HTTP/1.1 204 No Content\r\n\r\n", 100, &used), R::kDone);
  EXPECT_EQ(r.response().status, 204);
}

TEST(HttpResponseReader, ErrorsAreReported) {
  const char* bad[] = {
      "HTTP/2 200 OK\r\n\r\n",
      "HTTP/1.1 20 OK\r\n\r\n",
      "HTTP/1.1 200OK\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\n\r\n",  // no framing
      "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
  };
  for (const char* b : bad) {
    HttpResponseReader r;
    r.Reset();
    size_t used = 0;
    EXPECT_EQ(FeedInSteps(r, b, 1 << 20, &used), R::kError) << b;
    EXPECT_FALSE(r.error().empty()) << b;
  }
  HttpResponseReader r;
  r.Reset();
  size_t used = 0;
  EXPECT_EQ(FeedInSteps(r, "HTTP/1.1 200 OK\r\nX: " + std::string(9000, 'a'), 1000, &used),
            R::kError);
  EXPECT_EQ(r.error(), "response head too large");
}

}  // namespace
}  // namespace ustack::load
