// Tests for the per-connection HTTP server logic over a fake non-blocking byte stream:
// routes, streaming under back-pressure, pipelining order, persistence and close, errors.
#include "http/http_connection.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "http/bytes_pattern.h"

namespace ustack::http {
namespace {

// A scripted peer: input is handed out in chunks of at most read_chunk bytes, then EAGAIN
// (or EOF once eof is set); writes are accepted up to write_budget bytes, then EAGAIN.
class FakeStream final : public ByteStream {
 public:
  ssize_t Read(std::span<uint8_t> out) override {
    if (read_error != 0) return -read_error;
    if (in_pos < input.size()) {
      size_t n = std::min({out.size(), read_chunk, input.size() - in_pos});
      std::memcpy(out.data(), input.data() + in_pos, n);
      in_pos += n;
      return static_cast<ssize_t>(n);
    }
    return eof ? 0 : -EAGAIN;
  }
  ssize_t Write(std::span<const uint8_t> data) override {
    if (write_error != 0) return -write_error;
    EXPECT_FALSE(shut) << "write after shutdown";
    size_t n = std::min(data.size(), write_budget);
    if (n == 0) return -EAGAIN;
    write_budget -= n;
    output.append(reinterpret_cast<const char*>(data.data()), n);
    ++writes;
    return static_cast<ssize_t>(n);
  }
  void ShutdownWrite() override { shut = true; }

  std::string input;
  size_t in_pos = 0;
  size_t read_chunk = SIZE_MAX;
  bool eof = false;
  int read_error = 0;
  std::string output;
  size_t write_budget = SIZE_MAX;
  int write_error = 0;
  int writes = 0;
  bool shut = false;
};

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// Splits a byte stream of responses; bodies are Content-Length long except for 1xx and the
// responses listed in `no_body` (answers to HEAD).
std::vector<Response> ParseResponses(const std::string& out, std::vector<bool> no_body = {}) {
  std::vector<Response> rs;
  size_t pos = 0;
  size_t final_index = 0;
  while (pos < out.size()) {
    size_t end = out.find("\r\n\r\n", pos);
    EXPECT_NE(end, std::string::npos) << "incomplete head";
    if (end == std::string::npos) break;
    Response r;
    std::string head = out.substr(pos, end - pos);
    EXPECT_EQ(head.substr(0, 9), "HTTP/1.1 ");
    r.status = std::stoi(head.substr(9, 3));
    size_t line = head.find("\r\n");
    while (line != std::string::npos) {
      size_t next = head.find("\r\n", line + 2);
      std::string h =
          head.substr(line + 2, next == std::string::npos ? std::string::npos : next - line - 2);
      size_t colon = h.find(':');
      std::string name = h.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(c));
      r.headers[name] = h.substr(colon + 2);
      line = next;
    }
    pos = end + 4;
    if (r.status >= 200) {
      bool skip = final_index < no_body.size() && no_body[final_index];
      ++final_index;
      size_t len = skip ? 0 : std::stoull(r.headers["content-length"]);
      EXPECT_LE(pos + len, out.size()) << "truncated body";
      r.body = out.substr(pos, len);
      pos += len;
    }
    rs.push_back(r);
  }
  return rs;
}

class HttpConnectionTest : public ::testing::Test {
 protected:
  HttpConnection::Wait Run(const std::string& input) {
    io_.input += input;
    return conn_.Service(io_);
  }

  HttpContext ctx_;
  HttpConnection conn_{ctx_};
  FakeStream io_;
};

constexpr char kSha256Abc[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST_F(HttpConnectionTest, GetRootReturnsBodySizeBytesAndKeepsAlive) {
  EXPECT_EQ(Run("GET / HTTP/1.1\r\nHost: t\r\n\r\n"), HttpConnection::Wait::kReadable);
  auto rs = ParseResponses(io_.output);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].status, 200);
  EXPECT_EQ(rs[0].headers["content-length"], "600");
  EXPECT_EQ(rs[0].body, std::string(600, 'x'));
  EXPECT_EQ(rs[0].headers.count("connection"), 0u);
  EXPECT_EQ(rs[0].headers.count("date"), 0u);
  EXPECT_FALSE(io_.shut);
  EXPECT_EQ(io_.writes, 1) << "head and small body go out in one write";
  EXPECT_EQ(ctx_.stats.requests, 1u);
  EXPECT_EQ(ctx_.stats.status_2xx, 1u);
}

TEST_F(HttpConnectionTest, DateHeaderWhenTheServerSetsIt) {
  ctx_.date = "Sun, 06 Nov 1994 08:49:37 GMT";
  Run("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(ParseResponses(io_.output)[0].headers["date"], ctx_.date);
}

TEST_F(HttpConnectionTest, BytesRouteStreamsThePatternUnderBackPressure) {
  const uint64_t n = 1000003;
  io_.write_budget = 1000;
  io_.input = "GET /bytes/" + std::to_string(n) + " HTTP/1.1\r\nHost: t\r\n\r\n";
  int rounds = 0;
  HttpConnection::Wait w;
  while ((w = conn_.Service(io_)) == HttpConnection::Wait::kWritable) {
    io_.write_budget = 7777;
    ++rounds;
    ASSERT_LT(rounds, 1000);
  }
  EXPECT_EQ(w, HttpConnection::Wait::kReadable);
  EXPECT_GT(rounds, 100);
  auto rs = ParseResponses(io_.output);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].headers["content-type"], "application/octet-stream");
  ASSERT_EQ(rs[0].body.size(), n);
  for (uint64_t i = 0; i < n; ++i) {
    ASSERT_EQ(static_cast<uint8_t>(rs[0].body[i]), PatternByte(i)) << i;
  }
}

TEST_F(HttpConnectionTest, BytesZeroAndBadCounts) {
  Run("GET /bytes/0 HTTP/1.1\r\nHost: t\r\n\r\n");
  auto rs = ParseResponses(io_.output);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].status, 200);
  EXPECT_EQ(rs[0].body, "");
  for (const char* bad :
       {"/bytes/abc", "/bytes/", "/bytes/-1", "/bytes/99999999999999999999999", "/bytes/1x"}) {
    HttpContext ctx;
    HttpConnection c(ctx);
    FakeStream io;
    io.input = std::string("GET ") + bad + " HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\n";
    EXPECT_EQ(c.Service(io), HttpConnection::Wait::kReadable) << bad;
    auto r = ParseResponses(io.output);
    ASSERT_EQ(r.size(), 1u) << bad << ": nothing after a 400";
    EXPECT_EQ(r[0].status, 400) << bad;
    EXPECT_EQ(r[0].headers["connection"], "close");
    EXPECT_TRUE(io.shut);
    EXPECT_TRUE(c.lingering());
    io.eof = true;
    EXPECT_EQ(c.Service(io), HttpConnection::Wait::kClose);
  }
}

TEST_F(HttpConnectionTest, Sha256OfABodyArrivingInPieces) {
  io_.read_chunk = 1;
  Run("POST /sha256 HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
  auto rs = ParseResponses(io_.output);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].status, 200);
  EXPECT_EQ(rs[0].headers["content-type"], "text/plain");
  EXPECT_EQ(rs[0].body, kSha256Abc);
}

TEST_F(HttpConnectionTest, Sha256OfEmptyBodyAndOfALargeOne) {
  Run("POST /sha256 HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  std::string big(3 << 20, '\0');
  FillPattern(0, std::span<uint8_t>(reinterpret_cast<uint8_t*>(big.data()), big.size()));
  Run("POST /sha256 HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(big.size()) +
      "\r\n\r\n" + big);
  auto rs = ParseResponses(io_.output);
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].body, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 h;
  h.Update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(big.data()), big.size()));
  EXPECT_EQ(rs[1].body, h.HexDigest());
}

TEST_F(HttpConnectionTest, PostWithoutContentLengthIs400AndCloses) {
  Run("POST /sha256 HTTP/1.1\r\nHost: t\r\n\r\n");
  auto rs = ParseResponses(io_.output);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].status, 400);
  EXPECT_EQ(rs[0].headers["connection"], "close");
  EXPECT_TRUE(io_.shut);
}

TEST_F(HttpConnectionTest, ExpectContinueGetsAnInterimResponse) {
  Run("POST /sha256 HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
  EXPECT_EQ(io_.output, "HTTP/1.1 100 Continue\r\n\r\n");
  Run("abc");
  auto rs = ParseResponses(io_.output);
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].status, 100);
  EXPECT_EQ(rs[1].body, kSha256Abc);
}

TEST_F(HttpConnectionTest, PipelinedRequestsAreAnsweredInOrder) {
  io_.write_budget = 50;  // the streamed body of the second blocks the rest for a while
  io_.input =
      "GET / HTTP/1.1\r\nHost: t\r\n\r\n"
      "GET /bytes/100000 HTTP/1.1\r\nHost: t\r\n\r\n"
      "POST /sha256 HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
      "HEAD / HTTP/1.1\r\nHost: t\r\n\r\n"
      "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n"
      "GET /bytes/5 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  int rounds = 0;
  HttpConnection::Wait w;
  while ((w = conn_.Service(io_)) == HttpConnection::Wait::kWritable) {
    io_.write_budget = 4096;
    ASSERT_LT(++rounds, 1000);
  }
  auto rs = ParseResponses(io_.output, {false, false, false, true, false, false});
  ASSERT_EQ(rs.size(), 6u);
  EXPECT_EQ(rs[0].body.size(), 600u);
  EXPECT_EQ(rs[1].body.size(), 100000u);
  EXPECT_EQ(static_cast<uint8_t>(rs[1].body[99999]), PatternByte(99999));
  EXPECT_EQ(rs[2].body, kSha256Abc);
  EXPECT_EQ(rs[3].status, 200);
  EXPECT_EQ(rs[3].headers["content-length"], "600");  // RFC 9110 9.3.2: HEAD like GET
  EXPECT_EQ(rs[4].status, 404);
  EXPECT_EQ(rs[5].body.size(), 5u);
  EXPECT_EQ(rs[5].headers["connection"], "close");
  EXPECT_TRUE(io_.shut);
  EXPECT_EQ(w, HttpConnection::Wait::kReadable);
  io_.eof = true;
  EXPECT_EQ(conn_.Service(io_), HttpConnection::Wait::kClose);
}

TEST_F(HttpConnectionTest, ManySmallPipelinedResponsesAreBatched) {
  std::string in;
  for (int i = 0; i < 50; ++i) in += "GET /bytes/10 HTTP/1.1\r\nHost: t\r\n\r\n";
  Run(in);
  EXPECT_EQ(ParseResponses(io_.output).size(), 50u);
  EXPECT_LT(io_.writes, 5);
}

TEST_F(HttpConnectionTest, ConnectionCloseShutsDownAfterTheResponse) {
  EXPECT_EQ(Run("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"),
            HttpConnection::Wait::kReadable);
  auto rs = ParseResponses(io_.output);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].headers["connection"], "close");
  EXPECT_TRUE(io_.shut);
  // Lingering close: input is drained and dropped until the peer closes.
  EXPECT_EQ(Run("GET / HTTP/1.1\r\nHost: t\r\n\r\n"), HttpConnection::Wait::kReadable);
  EXPECT_EQ(ParseResponses(io_.output).size(), 1u);
  io_.eof = true;
  EXPECT_EQ(conn_.Service(io_), HttpConnection::Wait::kClose);
}

TEST_F(HttpConnectionTest, Http10ClosesUnlessKeepAliveAsked) {
  Run("GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(ParseResponses(io_.output)[0].headers["connection"], "close");
  EXPECT_TRUE(io_.shut);

  HttpContext ctx;
  HttpConnection c(ctx);
  FakeStream io;
  io.input = "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n";
  c.Service(io);
  auto rs = ParseResponses(io.output);
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].headers["connection"], "keep-alive");
  EXPECT_EQ(rs[1].headers["connection"], "close");
}

TEST_F(HttpConnectionTest, MalformedRequestGets400WithClose) {
  Run("GET / HTTP/1.1\r\nHost: t\r\n\r\nBROKEN\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n");
  auto rs = ParseResponses(io_.output);
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].status, 200);
  EXPECT_EQ(rs[1].status, 400);
  EXPECT_EQ(rs[1].headers["connection"], "close");
  EXPECT_EQ(ctx_.stats.parse_errors, 1u);
}

TEST_F(HttpConnectionTest, OversizedHeadGets400) {
  Run("GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(17000, 'a') + "\r\n\r\n");
  auto rs = ParseResponses(io_.output);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].status, 400);
  EXPECT_EQ(rs[0].body, "header section too large\n");
}

TEST_F(HttpConnectionTest, MalformedAfterHeadStill400WithBody) {
  Run("HEAD / HTTP/1.1\r\nHost: t\r\n\r\nBAD\r\n\r\n");
  auto rs = ParseResponses(io_.output, {true, false});
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[1].status, 400);
  EXPECT_FALSE(rs[1].body.empty());
}

TEST_F(HttpConnectionTest, UnknownPathAndWrongMethod) {
  Run("GET /x HTTP/1.1\r\nHost: t\r\n\r\nPOST / HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"
      "GET /sha256 HTTP/1.1\r\nHost: t\r\n\r\n");
  auto rs = ParseResponses(io_.output);
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[0].status, 404);
  EXPECT_EQ(rs[1].status, 405);
  EXPECT_EQ(rs[1].headers["allow"], "GET, HEAD");
  EXPECT_EQ(rs[2].status, 405);
  EXPECT_EQ(rs[2].headers["allow"], "POST");
  EXPECT_FALSE(io_.shut) << "404 and 405 keep the connection";
}

TEST_F(HttpConnectionTest, RejectedRequestWithBodyClosesAtOnce) {
  Run("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\npartial");
  auto rs = ParseResponses(io_.output);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].status, 404);
  EXPECT_EQ(rs[0].headers["connection"], "close");
  EXPECT_TRUE(io_.shut);
}

TEST_F(HttpConnectionTest, AbsoluteFormTargetAndQuery) {
  Run("GET http://198.18.0.2/bytes/3?x=y HTTP/1.1\r\nHost: t\r\n\r\n");
  auto rs = ParseResponses(io_.output);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].body.size(), 3u);
}

TEST_F(HttpConnectionTest, EofMidRequestClosesWithoutAnswer) {
  io_.eof = true;
  EXPECT_EQ(Run("GET / HTTP/1.1\r\nHo"), HttpConnection::Wait::kClose);
  EXPECT_TRUE(io_.output.empty());
}

TEST_F(HttpConnectionTest, EofAfterACompleteRequestAnswersFirst) {
  io_.eof = true;
  EXPECT_EQ(Run("GET / HTTP/1.1\r\nHost: t\r\n\r\n"), HttpConnection::Wait::kClose);
  EXPECT_EQ(ParseResponses(io_.output).size(), 1u);
}

TEST_F(HttpConnectionTest, ReadAndWriteErrorsClose) {
  io_.read_error = ECONNRESET;
  EXPECT_EQ(conn_.Service(io_), HttpConnection::Wait::kClose);

  HttpContext ctx;
  HttpConnection c(ctx);
  FakeStream io;
  io.write_error = EPIPE;
  io.input = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
  EXPECT_EQ(c.Service(io), HttpConnection::Wait::kClose);
}

TEST(BytesPatternTest, MatchesTheDefinition) {
  for (uint64_t i :
       {uint64_t{0}, uint64_t{1}, uint64_t{2}, uint64_t{65535}, uint64_t{1} << 40, ~uint64_t{0}}) {
    unsigned __int128 wide = static_cast<unsigned __int128>(i) * 2654435761ULL;
    uint64_t mod = static_cast<uint64_t>(wide);  // mod 2^64
    EXPECT_EQ(PatternByte(i), static_cast<uint8_t>((mod >> 16) % 256)) << i;
  }
  EXPECT_EQ(PatternByte(0), 0);
  EXPECT_EQ(PatternByte(1), static_cast<uint8_t>(2654435761ULL >> 16));
  std::vector<uint8_t> buf(1000);
  FillPattern(123456789, buf);
  for (size_t k = 0; k < buf.size(); ++k) EXPECT_EQ(buf[k], PatternByte(123456789 + k));
}

}  // namespace
}  // namespace ustack::http
