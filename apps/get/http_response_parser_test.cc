// Tests of the incremental HTTP response parser: framing by Content-Length, chunked and
// close, interim responses, byte-at-a-time feeding, and malformed or truncated responses.
#include "get/http_response_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace ustack::get {
namespace {

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

struct Outcome {
  bool headers = false;
  bool ended = false;
  std::string body;
  std::string error;
  HttpResponseHead head;
};

// Feeds `wire` in pieces of `piece` bytes, then Finish() when `close` is set.
Outcome Feed(std::string_view wire, size_t piece, bool close) {
  HttpResponseParser p;
  Outcome o;
  auto take = [&](std::span<const uint8_t> in) {
    while (true) {
      size_t used = 0;
      std::span<const uint8_t> body;
      const ResponseEvent ev = p.Next(in, &used, &body);
      in = in.subspan(used);
      if (ev == ResponseEvent::kHeaders) {
        o.headers = true;
        o.head = p.head();
      } else if (ev == ResponseEvent::kBody) {
        o.body.append(reinterpret_cast<const char*>(body.data()), body.size());
      } else if (ev == ResponseEvent::kMessageEnd) {
        o.ended = true;
        return false;
      } else if (ev == ResponseEvent::kError) {
        o.error = p.error();
        return false;
      } else {
        EXPECT_TRUE(in.empty());
        return true;
      }
    }
  };
  bool more = true;
  for (size_t i = 0; more && i < wire.size(); i += piece) {
    more = take(Bytes(wire.substr(i, piece)));
  }
  if (more && close) {
    const ResponseEvent ev = p.Finish();
    if (ev == ResponseEvent::kMessageEnd) o.ended = true;
    if (ev == ResponseEvent::kError) o.error = p.error();
  }
  return o;
}

const std::string kLength =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world";
const std::string kChunked =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5\r\nhello\r\n1;ext=1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n";

TEST(HttpResponseParserTest, ContentLengthInAnyPieces) {
  for (size_t piece : {size_t{1}, size_t{2}, size_t{7}, kLength.size()}) {
    const Outcome o = Feed(kLength, piece, false);
    EXPECT_TRUE(o.headers);
    EXPECT_TRUE(o.ended) << piece;
    EXPECT_EQ(o.body, "hello world");
    EXPECT_EQ(o.head.status, 200);
    EXPECT_EQ(o.head.reason, "OK");
    EXPECT_EQ(o.head.framing, BodyFraming::kLength);
    EXPECT_EQ(o.head.content_length, 11u);
    EXPECT_EQ(o.head.Field("content-type"), "text/plain");
  }
}

TEST(HttpResponseParserTest, ChunkedInAnyPieces) {
  for (size_t piece : {size_t{1}, size_t{3}, kChunked.size()}) {
    const Outcome o = Feed(kChunked, piece, false);
    EXPECT_TRUE(o.ended) << piece << " " << o.error;
    EXPECT_EQ(o.body, "hello 0123456789");
    EXPECT_EQ(o.head.framing, BodyFraming::kChunked);
  }
}

TEST(HttpResponseParserTest, BareLineFeedsAreAccepted) {
  const Outcome o = Feed("HTTP/1.0 200 OK\nContent-Length: 2\n\nhi", 1, false);
  EXPECT_TRUE(o.ended);
  EXPECT_EQ(o.body, "hi");
  EXPECT_EQ(o.head.minor_version, 0);
}

TEST(HttpResponseParserTest, BodyUntilCloseEndsAtFinish) {
  const std::string wire = "HTTP/1.0 200 OK\r\nServer: SimpleHTTP\r\n\r\nall of it";
  const Outcome open = Feed(wire, 4, false);
  EXPECT_FALSE(open.ended);
  EXPECT_EQ(open.body, "all of it");
  const Outcome closed = Feed(wire, 4, true);
  EXPECT_TRUE(closed.ended);
  EXPECT_EQ(closed.head.framing, BodyFraming::kUntilClose);
  // RFC 9112 6.3: a coding other than chunked last also runs to the close.
  EXPECT_EQ(
      Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 1\r\n\r\nxyz", 2, true)
          .body,
      "xyz");
}

TEST(HttpResponseParserTest, InterimResponsesAreSkipped) {
  const Outcome o =
      Feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n" + kLength, 5,
           false);
  EXPECT_TRUE(o.ended);
  EXPECT_EQ(o.head.status, 200);
  EXPECT_EQ(o.head.Field("Link"), "");
  EXPECT_EQ(o.body, "hello world");
}

TEST(HttpResponseParserTest, NoBodyStatusesAndEmptyBodies) {
  const Outcome no_content =
      Feed("HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n", 100, false);
  EXPECT_TRUE(no_content.ended);
  EXPECT_EQ(no_content.head.framing, BodyFraming::kNone);
  EXPECT_TRUE(Feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 3, false).ended);
  EXPECT_TRUE(Feed("HTTP/1.1 200 OK\r\nContent-Length: 4, 4\r\n\r\nabcd", 3, false).ended);
  const Outcome no_reason = Feed("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n", 100, false);
  EXPECT_EQ(no_reason.head.status, 404);
  EXPECT_EQ(no_reason.head.reason, "");
}

TEST(HttpResponseParserTest, ObsFoldIsJoinedWithASpace) {
  const Outcome o =
      Feed("HTTP/1.1 200 OK\r\nX-A: one\r\n  two\r\nContent-Length: 0\r\n\r\n", 4, false);
  EXPECT_TRUE(o.ended);
  EXPECT_EQ(o.head.Field("x-a"), "one two");
}

TEST(HttpResponseParserTest, TruncatedResponses) {
  EXPECT_EQ(Feed(kLength.substr(0, kLength.size() - 3), 5, true).error,
            "truncated body: got 8 of 11 bytes");
  EXPECT_EQ(Feed(kChunked.substr(0, 60), 5, true).error,
            "truncated chunked body: connection closed after 5 bytes");
  EXPECT_EQ(Feed("HTTP/1.1 200 OK\r\nContent-", 5, true).error,
            "connection closed inside the response head");
  EXPECT_EQ(Feed("", 5, true).error, "connection closed before any response");
}

TEST(HttpResponseParserTest, MalformedResponses) {
  EXPECT_EQ(Feed("HTTP/2 200 OK\r\n\r\n", 100, false).error,
            "malformed status line 'HTTP/2 200 OK'");
  EXPECT_EQ(Feed("HTTP/1.1 2x0 OK\r\n\r\n", 100, false).error,
            "malformed status line 'HTTP/1.1 2x0 OK'");
  EXPECT_EQ(Feed("HTTP/1.1 200OK\r\n\r\n", 100, false).error,
            "malformed status line 'HTTP/1.1 200OK'");
  EXPECT_EQ(Feed("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", 100, false).error,
            "malformed header field 'Bad Name: x'");
  EXPECT_EQ(Feed("HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\n", 100, false).error,
            "malformed header field 'Content-Length : 1'");
  EXPECT_EQ(Feed("HTTP/1.1 200 OK\r\nContent-Length: 4, 5\r\n\r\n", 100, false).error,
            "invalid Content-Length '4, 5'");
  EXPECT_EQ(Feed("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 100, false).error,
            "invalid Content-Length '-1'");
  const std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(Feed(chunked + "zz\r\n", 100, false).error, "malformed chunk size 'zz'");
  EXPECT_EQ(Feed(chunked + "2\r\nabc\r\n", 100, false).error,
            "chunk data longer than its chunk-size");
  EXPECT_EQ(Feed(chunked + "fffffffffffffffff\r\n", 100, false).error,
            "malformed chunk size 'fffffffffffffffff'");
  EXPECT_EQ(Feed(chunked + "1000000000000000\r\n", 100, false).error,
            "chunk size 1000000000000000 is too large");
  EXPECT_EQ(Feed("HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", 100, false).error,
            "stray CR in the response");
  HttpResponseParser small(64);
  size_t used = 0;
  std::span<const uint8_t> body;
  EXPECT_EQ(small.Next(Bytes("HTTP/1.1 200 OK\r\nX: " + std::string(100, 'a')), &used, &body),
            ResponseEvent::kError);
  EXPECT_EQ(small.error(), "response head longer than 64 bytes");
  EXPECT_EQ(small.Next(Bytes("more"), &used, &body), ResponseEvent::kError);  // stays failed
}

}  // namespace
}  // namespace ustack::get
