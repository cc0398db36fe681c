// Tests for the incremental HTTP/1.x request parser: whole and byte-at-a-time input,
// bodies, pipelining, connection persistence rules, and every kind of malformed head.
#include "http/http_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ustack::http {
namespace {

struct Parsed {
  std::vector<HttpRequest> heads;
  std::vector<std::string> bodies;  // one per completed message
  int ends = 0;
  bool error = false;
  HttpParseError err;
};

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Feeds `input` in pieces of `chunk` bytes and collects every event.
Parsed Feed(HttpRequestParser& p, std::string_view input, size_t chunk = SIZE_MAX) {
  Parsed out;
  std::string body;
  size_t pos = 0;
  while (pos < input.size() || !out.error) {
    std::string_view piece = input.substr(pos, std::min(chunk, input.size() - pos));
    size_t used = 0;
    std::span<const uint8_t> b;
    HttpEvent ev = p.Next(Bytes(piece), &used, &b);
    EXPECT_LE(used, piece.size());
    pos += used;
    if (ev == HttpEvent::kNeedMore) {
      EXPECT_EQ(used, piece.size());
      if (pos >= input.size()) break;
    } else if (ev == HttpEvent::kHeaders) {
      out.heads.push_back(p.request());
    } else if (ev == HttpEvent::kBody) {
      EXPECT_GT(b.size(), 0u);
      body.append(reinterpret_cast<const char*>(b.data()), b.size());
    } else if (ev == HttpEvent::kMessageEnd) {
      ++out.ends;
      out.bodies.push_back(body);
      body.clear();
    } else {
      out.error = true;
      out.err = p.error();
      break;
    }
  }
  return out;
}

Parsed FeedAll(std::string_view input, size_t chunk = SIZE_MAX) {
  HttpRequestParser p;
  return Feed(p, input, chunk);
}

HttpParseError ErrorOf(std::string_view input) {
  Parsed r = FeedAll(input);
  EXPECT_TRUE(r.error) << input;
  return r.err;
}

constexpr std::string_view kGet = "GET /index?x=1 HTTP/1.1\r\nHost: h\r\nUser-Agent: t\r\n\r\n";

TEST(HttpParserTest, SimpleGet) {
  Parsed r = FeedAll(kGet);
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.heads.size(), 1u);
  EXPECT_EQ(r.heads[0].method, "GET");
  EXPECT_EQ(r.heads[0].target, "/index?x=1");
  EXPECT_EQ(r.heads[0].minor_version, 1);
  EXPECT_TRUE(r.heads[0].keep_alive);
  EXPECT_FALSE(r.heads[0].has_content_length);
  EXPECT_EQ(r.ends, 1);
}

TEST(HttpParserTest, ByteAtATimeGivesTheSameResult) {
  Parsed r = FeedAll(kGet, 1);
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.heads.size(), 1u);
  EXPECT_EQ(r.heads[0].target, "/index?x=1");
  EXPECT_EQ(r.ends, 1);
}

TEST(HttpParserTest, IdleOnlyBetweenRequests) {
  HttpRequestParser p;
  EXPECT_TRUE(p.idle());
  Feed(p, "GET / HT");
  EXPECT_FALSE(p.idle());
}

TEST(HttpParserTest, PostBodyInPieces) {
  std::string req = "POST /sha256 HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world";
  for (size_t chunk : {size_t{1}, size_t{3}, size_t{7}, SIZE_MAX}) {
    Parsed r = FeedAll(req, chunk);
    ASSERT_FALSE(r.error);
    ASSERT_EQ(r.heads.size(), 1u);
    EXPECT_TRUE(r.heads[0].has_content_length);
    EXPECT_EQ(r.heads[0].content_length, 11u);
    ASSERT_EQ(r.bodies.size(), 1u);
    EXPECT_EQ(r.bodies[0], "hello world") << chunk;
  }
}

TEST(HttpParserTest, BodySpanNeverCoversTheNextRequest) {
  HttpRequestParser p;
  std::string req =
      "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\n";
  size_t used = 0;
  std::span<const uint8_t> body;
  ASSERT_EQ(p.Next(Bytes(req), &used, &body), HttpEvent::kHeaders);
  std::string_view rest = std::string_view(req).substr(used);
  ASSERT_EQ(p.Next(Bytes(rest), &used, &body), HttpEvent::kBody);
  EXPECT_EQ(used, 3u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(body.data()), body.size()), "abc");
  ASSERT_EQ(p.Next(Bytes(rest.substr(3)), &used, &body), HttpEvent::kMessageEnd);
  EXPECT_EQ(used, 0u);
}

TEST(HttpParserTest, PipelinedRequestsInOneBuffer) {
  std::string in = std::string(kGet) +
                   "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nok"
                   "GET /last HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  Parsed r = FeedAll(in);
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.heads.size(), 3u);
  EXPECT_EQ(r.heads[1].method, "POST");
  EXPECT_EQ(r.heads[2].target, "/last");
  EXPECT_FALSE(r.heads[2].keep_alive);
  ASSERT_EQ(r.ends, 3);
  EXPECT_EQ(r.bodies[1], "ok");
}

TEST(HttpParserTest, LeadingEmptyLinesAndBareLfAreAccepted) {
  // RFC 9112 2.2: empty lines before the request-line are ignored; a bare LF ends a line.
  Parsed r = FeedAll("\r\n\r\nGET / HTTP/1.1\nHost: h\n\n");
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.heads.size(), 1u);
  EXPECT_EQ(r.heads[0].target, "/");
}

TEST(HttpParserTest, ConnectionPersistenceRules) {
  // RFC 9112 9.3: 1.1 persists unless close; 1.0 only with keep-alive.
  EXPECT_FALSE(
      FeedAll("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").heads[0].keep_alive);
  EXPECT_FALSE(FeedAll("GET / HTTP/1.1\r\nHost: h\r\nconnection: Upgrade, CLOSE\r\n\r\n")
                   .heads[0]
                   .keep_alive);
  EXPECT_FALSE(FeedAll("GET / HTTP/1.0\r\n\r\n").heads[0].keep_alive);
  HttpRequest ka = FeedAll("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").heads[0];
  EXPECT_TRUE(ka.keep_alive);
  EXPECT_EQ(ka.minor_version, 0);
  EXPECT_TRUE(
      FeedAll("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n").heads[0].keep_alive);
}

TEST(HttpParserTest, ContentLengthForms) {
  EXPECT_EQ(
      FeedAll("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n").heads[0].content_length,
      0u);
  // RFC 9110 8.6: repeated identical values are one value.
  Parsed r =
      FeedAll("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2, 2\r\ncontent-length: 2\r\n\r\nab");
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.bodies[0], "ab");
  Parsed big = FeedAll("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 67108864\r\n\r\n");
  ASSERT_FALSE(big.error);
  EXPECT_EQ(big.heads[0].content_length, 64u << 20);
}

TEST(HttpParserTest, ExpectContinueIsReported) {
  EXPECT_TRUE(
      FeedAll("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n")
          .heads[0]
          .expect_continue);
  EXPECT_FALSE(FeedAll(kGet).heads[0].expect_continue);
}

TEST(HttpParserTest, BadRequestLines) {
  for (std::string_view bad : {
           "GET\r\n\r\n",
           "GET /\r\n\r\n",
           "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
           "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
           "GET / http/1.1\r\nHost: h\r\n\r\n",
           "GET / HTTP/1.x\r\nHost: h\r\n\r\n",
           "GE(T / HTTP/1.1\r\nHost: h\r\n\r\n",
           "GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n",
           "\x16\x03\x01\x02\x01\x01\xfc\x03\x03\r\n\r\n",
       }) {
    EXPECT_EQ(ErrorOf(bad).status, 400) << bad;
  }
}

TEST(HttpParserTest, UnsupportedVersionIs505) {
  EXPECT_EQ(ErrorOf("GET / HTTP/2.0\r\nHost: h\r\n\r\n").status, 505);
  EXPECT_EQ(ErrorOf("GET / HTTP/1.2\r\nHost: h\r\n\r\n").status, 505);
}

TEST(HttpParserTest, BadHeaderFields) {
  for (std::string_view bad : {
           "GET / HTTP/1.1\r\nHost : h\r\n\r\n",            // RFC 9112 5.1: space before colon
           "GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",  // RFC 9112 5.2: obs-fold
           "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: h\r\n: empty\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: h\r\nX: a\x01z\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n",  // RFC 9112 2.2: bare CR
       }) {
    EXPECT_EQ(ErrorOf(bad).status, 400) << bad;
  }
}

TEST(HttpParserTest, HostRules) {
  // RFC 9112 3.2: 1.1 needs exactly one Host; 1.0 needs none.
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\r\n\r\n").reason, "missing Host");
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").reason, "duplicate Host");
  EXPECT_FALSE(FeedAll("GET / HTTP/1.0\r\n\r\n").error);
}

TEST(HttpParserTest, InvalidContentLength) {
  for (std::string_view bad : {
           "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 2\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n",
       }) {
    EXPECT_EQ(ErrorOf(bad).reason, "invalid Content-Length") << bad;
  }
}

TEST(HttpParserTest, TransferEncodingIsNotSupported) {
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n").status,
            501);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n").status, 400);
}

TEST(HttpParserTest, HeadSectionLimit) {
  std::string filler = "X-Fill: " + std::string(16 * 1024, 'a') + "\r\n";
  HttpParseError e = ErrorOf("GET / HTTP/1.1\r\nHost: h\r\n" + filler + "\r\n");
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.reason, "header section too large");
  // Also without any newline at all, fed in pieces.
  HttpRequestParser p;
  Parsed r = Feed(p, std::string(20000, 'G'), 1000);
  EXPECT_TRUE(r.error);
  // Exactly at the limit is fine.
  HttpRequestParser small(64);
  std::string req = "GET / HTTP/1.1\r\nHost: h\r\n";
  req += "X: " + std::string(64 - req.size() - 7, 'b') + "\r\n\r\n";
  ASSERT_EQ(req.size(), 64u);
  Parsed ok = Feed(small, req);
  EXPECT_FALSE(ok.error);
  EXPECT_EQ(ok.ends, 1);
}

TEST(HttpParserTest, ErrorIsTerminal) {
  HttpRequestParser p;
  Parsed r = Feed(p, "BAD\r\n\r\n");
  ASSERT_TRUE(r.error);
  size_t used = 1;
  std::span<const uint8_t> body;
  EXPECT_EQ(p.Next(Bytes(kGet), &used, &body), HttpEvent::kError);
  EXPECT_EQ(used, 0u);
}

TEST(HttpParserTest, RandomInputNeverCrashes) {
  uint64_t x = 42;
  for (int round = 0; round < 500; ++round) {
    std::string in;
    size_t len = 1 + (round * 37) % 300;
    for (size_t i = 0; i < len; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      uint8_t b = static_cast<uint8_t>(x >> 56);
      // Bias towards characters that matter to the grammar.
      static constexpr char kInteresting[] = "GET / HTTP/1.1\r\n:Host";
      in += (b & 1) != 0 ? kInteresting[b % (sizeof kInteresting - 1)] : static_cast<char>(b);
    }
    HttpRequestParser p(256);
    Feed(p, in, 1 + round % 17);
  }
}

}  // namespace
}  // namespace ustack::http
