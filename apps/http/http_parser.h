// HttpRequestParser: an incremental HTTP/1.x request parser (RFC 9112). Bytes go in, in
// pieces of any size; events come out one at a time: the head of a request, spans of its
// body, its end. No sockets, no clock: pure and unit-tested.
//
// Invariants: the head (request line and header fields) is buffered until complete and never
// exceeds max_head bytes; body bytes are never copied (kBody spans point into the caller's
// input). After kError the parser stays in error: the connection must answer and close.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace ustack::http {

struct HttpRequest {
  std::string method;      // e.g. "GET"; case-sensitive (RFC 9110 9.1)
  std::string target;      // request-target as sent, e.g. "/bytes/10?x=1"
  int minor_version = 1;   // HTTP/1.<minor_version>
  bool keep_alive = true;  // after Connection and version defaults (RFC 9112 9.3)
  bool has_content_length = false;
  uint64_t content_length = 0;   // body bytes (0 when absent, RFC 9112 6.3 item 7)
  bool expect_continue = false;  // Expect: 100-continue (RFC 9110 10.1.1)
};

struct HttpParseError {
  int status = 400;    // response status to send: 400, 501 or 505
  std::string reason;  // for logs and the response body
};

enum class HttpEvent : uint8_t {
  kNeedMore,    // everything given was consumed; feed more bytes
  kHeaders,     // request() holds the next request's head
  kBody,        // *body holds the next body bytes of the current request
  kMessageEnd,  // the current request is complete; the next call starts the next one
  kError,       // error() says why; terminal
};

class HttpRequestParser {
 public:
  static constexpr size_t kDefaultMaxHead = 16 * 1024;

  explicit HttpRequestParser(size_t max_head = kDefaultMaxHead) : max_head_(max_head) {}

  // Parses from the front of `in` and returns the next event; *consumed is how many bytes
  // of `in` were used (the caller passes the rest next time). For kBody, *body is a prefix
  // of the consumed bytes.
  HttpEvent Next(std::span<const uint8_t> in, size_t* consumed, std::span<const uint8_t>* body);

  // The request whose head was last reported; valid until the next kHeaders.
  const HttpRequest& request() const { return request_; }
  const HttpParseError& error() const { return error_; }
  // Back to the state of a new parser, keeping the buffers' capacity (for reuse).
  void Reset();
  // True between requests (no byte of the next request seen yet).
  bool idle() const { return state_ == State::kHead && head_.empty(); }

 private:
  enum class State : uint8_t { kHead, kBody, kError };

  HttpEvent ParseHead();
  bool ParseRequestLine(std::string_view line);
  bool ParseField(std::string_view line, int* host_count);
  HttpEvent Fail(int status, std::string reason);

  size_t max_head_;
  State state_ = State::kHead;
  std::string head_;       // head bytes received so far
  size_t line_start_ = 0;  // start of the line being received within head_
  uint64_t body_left_ = 0;
  HttpRequest request_;
  HttpParseError error_;
};

}  // namespace ustack::http
