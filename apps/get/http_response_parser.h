// HttpResponseParser: an incremental HTTP/1.x response parser for a client (RFC 9112). Bytes
// go in, in pieces of any size; events come out one at a time: the head of the final
// response (interim 1xx responses are skipped), spans of its body, its end. The body is
// framed by Transfer-Encoding: chunked, Content-Length, or the closing of the connection
// (RFC 9112 6.3); Finish() tells the parser that the connection closed. No sockets, no
// clock: pure and unit-tested.
//
// Invariants: the head (and each chunk-size line and trailer line) is buffered until
// complete and never exceeds max_head bytes; body bytes are never copied (kBody spans point
// into the caller's input). After kError the parser stays in error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ustack::get {

enum class BodyFraming : uint8_t {
  kNone,        // 1xx-free responses without content: 204, 304 (RFC 9112 6.3 item 1)
  kLength,      // Content-Length bytes
  kChunked,     // the chunked transfer coding (RFC 9112 7.1)
  kUntilClose,  // everything until the server closes (RFC 9112 6.3 items 4 and 8)
};

struct HttpResponseHead {
  int minor_version = 1;  // HTTP/1.<minor_version>
  int status = 0;         // 200..599
  std::string reason;
  BodyFraming framing = BodyFraming::kUntilClose;
  uint64_t content_length = 0;                              // with kLength
  std::vector<std::pair<std::string, std::string>> fields;  // as received, in order

  // The value of the first field named `name` (case-insensitive), or empty.
  std::string_view Field(std::string_view name) const;
};

enum class ResponseEvent : uint8_t {
  kNeedMore,    // everything given was consumed; feed more bytes (or Finish at EOF)
  kHeaders,     // head() holds the final response's head
  kBody,        // *body holds the next body bytes
  kMessageEnd,  // the response is complete
  kError,       // error() says why; terminal
};

class HttpResponseParser {
 public:
  static constexpr size_t kDefaultMaxHead = 64 * 1024;

  explicit HttpResponseParser(size_t max_head = kDefaultMaxHead) : max_head_(max_head) {}

  // Parses from the front of `in` and returns the next event; *consumed is how many bytes of
  // `in` were used (the caller passes the rest next time). For kBody, *body is a prefix of
  // the consumed bytes.
  ResponseEvent Next(std::span<const uint8_t> in, size_t* consumed, std::span<const uint8_t>* body);
  // The connection was closed by the server: kMessageEnd when that ends the body (or it was
  // complete already), otherwise kError ("truncated ...").
  ResponseEvent Finish();

  const HttpResponseHead& head() const { return head_; }
  const std::string& error() const { return error_; }
  uint64_t body_bytes() const { return body_bytes_; }
  bool complete() const { return state_ == State::kDone; }

 private:
  enum class State : uint8_t {
    kHead,       // status line and fields
    kBody,       // Content-Length or until-close bytes
    kChunkSize,  // a chunk-size line
    kChunkData,  // chunk bytes
    kChunkCrlf,  // the CRLF after chunk data
    kTrailer,    // trailer fields up to the empty line
    kDone,
    kError,
  };

  // Takes bytes up to and including the next LF into line_; true when a line is complete.
  bool TakeLine(std::span<const uint8_t> in, size_t* used);
  ResponseEvent OnHeadLine(std::string_view line);
  ResponseEvent EndOfHead();
  bool ParseStatusLine(std::string_view line);
  bool ParseField(std::string_view line);
  ResponseEvent OnChunkSize(std::string_view line);
  ResponseEvent BodyBytes(std::span<const uint8_t> in, size_t* consumed,
                          std::span<const uint8_t>* body);
  ResponseEvent Fail(std::string why);

  size_t max_head_;
  State state_ = State::kHead;
  std::string line_;       // the line being received
  size_t head_bytes_ = 0;  // bytes of the current head so far
  bool saw_status_ = false;
  uint64_t left_ = 0;  // body or chunk bytes still to come
  uint64_t body_bytes_ = 0;
  HttpResponseHead head_;
  std::string error_;
};

}  // namespace ustack::get
