// Tests of ResponseHandler: what reaches the output and which exit code each outcome gets.
#include "get/response.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

namespace ustack::get {
namespace {

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

struct Rig {
  std::string out;
  bool sink_ok = true;
  ResponseHandler h{[this](std::span<const uint8_t> b) {
    out.append(reinterpret_cast<const char*>(b.data()), b.size());
    return sink_ok;
  }};
};

TEST(ResponseHandlerTest, SuccessWritesTheBodyOnce) {
  Rig r;
  EXPECT_FALSE(r.h.OnData(Bytes("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc")));
  EXPECT_TRUE(r.h.OnData(Bytes("def")));
  EXPECT_EQ(r.out, "abcdef");
  EXPECT_EQ(r.h.result().exit, GetExit::kOk);
  EXPECT_EQ(r.h.result().status, 200);
  EXPECT_EQ(r.h.result().body_bytes, 6u);
  r.h.OnClose(0);  // a close afterwards changes nothing
  EXPECT_EQ(r.h.result().exit, GetExit::kOk);
}

TEST(ResponseHandlerTest, ChunkedAndCloseDelimitedBodies) {
  Rig a;
  EXPECT_TRUE(a.h.OnData(
      Bytes("HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")));
  EXPECT_EQ(a.out, "abc");
  EXPECT_EQ(a.h.result().exit, GetExit::kOk);
  Rig b;
  EXPECT_FALSE(b.h.OnData(Bytes("HTTP/1.0 200 OK\r\n\r\nuntil close")));
  b.h.OnClose(0);
  EXPECT_TRUE(b.h.done());
  EXPECT_EQ(b.out, "until close");
  EXPECT_EQ(b.h.result().exit, GetExit::kOk);
}

TEST(ResponseHandlerTest, NonSuccessStatusIsAnErrorWithoutBody) {
  Rig r;
  EXPECT_TRUE(r.h.OnData(Bytes("HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n\r\nnope!")));
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.h.result().exit, GetExit::kHttpStatus);
  EXPECT_EQ(r.h.result().message, "HTTP 404 Not Found");
  Rig s;
  EXPECT_TRUE(s.h.OnData(Bytes("HTTP/1.1 301 Moved\r\nLocation: /x\r\n\r\n")));
  EXPECT_EQ(s.h.result().exit, GetExit::kHttpStatus);
}

TEST(ResponseHandlerTest, TruncatedResetAndMalformed) {
  Rig t;
  t.h.OnData(Bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n1234"));
  t.h.OnClose(0);
  EXPECT_EQ(t.h.result().exit, GetExit::kBadResponse);
  EXPECT_EQ(t.h.result().message, "bad response: truncated body: got 4 of 10 bytes");
  EXPECT_EQ(t.out, "1234");  // what arrived was written; the exit code says it is short
  Rig r;
  r.h.OnData(Bytes("HTTP/1.0 200 OK\r\n\r\npartial"));
  r.h.OnClose(ECONNRESET);
  EXPECT_EQ(r.h.result().exit, GetExit::kBadResponse);
  EXPECT_EQ(r.h.result().message,
            "connection failed (Connection reset by peer) after 7 body bytes");
  Rig m;
  EXPECT_TRUE(m.h.OnData(Bytes("SSH-2.0-OpenSSH\r\n")));
  EXPECT_EQ(m.h.result().exit, GetExit::kBadResponse);
  EXPECT_EQ(m.h.result().message, "bad response: malformed status line 'SSH-2.0-OpenSSH'");
  Rig e;
  e.h.OnClose(0);
  EXPECT_EQ(e.h.result().message, "bad response: connection closed before any response");
}

TEST(ResponseHandlerTest, OutputFailureStops) {
  Rig r;
  r.sink_ok = false;
  EXPECT_TRUE(r.h.OnData(Bytes("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc")));
  EXPECT_EQ(r.h.result().exit, GetExit::kOutput);
  EXPECT_EQ(r.h.result().message, "cannot write the body to the output");
}

}  // namespace
}  // namespace ustack::get
