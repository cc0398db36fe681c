// HttpResponseReader: an incremental reader of HTTP/1.1 responses (RFC 9112) for the load
// generator. Bytes go in as they arrive; it reports when one response (head and a body
// framed by Content-Length) is complete, with its status, body length and whether the
// server will close. Body bytes are counted, not kept; nothing is allocated (the head is
// parsed in place when it arrives whole in one chunk, else from a fixed staging buffer).
// Unsupported framing (chunked, or no Content-Length on a status that has a body) and
// malformed heads are errors: the load generator only talks to servers that frame with
// Content-Length.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace ustack::load {

class HttpResponseReader {
 public:
  static constexpr size_t kMaxHead = 8192;

  enum class Result : uint8_t { kNeedMore, kDone, kError };

  struct Response {
    int status = 0;
    uint64_t content_length = 0;
    bool close = false;  // Connection: close (or HTTP/1.0 without keep-alive)
  };

  // Starts a new response; head_request: the request was HEAD (no body follows).
  void Reset(bool head_request = false);
  // Consumes from the front of `in`; *used says how many bytes were taken (the rest belongs
  // to whatever follows this response). kDone: response() is complete.
  Result Feed(std::span<const uint8_t> in, size_t* used);
  const Response& response() const { return resp_; }
  // Why the last kError happened.
  std::string_view error() const { return error_; }

 private:
  bool ParseHead(std::string_view head);
  bool ParseField(std::string_view name, std::string_view value);

  enum class State : uint8_t { kHead, kBody, kDone, kError };
  State state_ = State::kHead;
  bool head_request_ = false;
  Response resp_;
  uint64_t body_left_ = 0;
  size_t staged_ = 0;  // head bytes in stage_
  std::array<char, kMaxHead> stage_;
  std::string_view error_;
  bool saw_length_ = false;
  bool chunked_ = false;
  bool keep_alive_ = false;
  int minor_ = 1;
};

}  // namespace ustack::load
