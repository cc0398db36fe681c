// HttpConnection: the HTTP/1.1 server logic of one connection over an abstract non-blocking
// byte stream (a ustack socket in the server, a fake in tests). It reads, parses, routes and
// writes until it must wait, then says what it waits for.
//
// Routes: GET|HEAD / (options.root_body_size bytes of 'x'), GET|HEAD /bytes/N (the pattern of
// bytes_pattern.h, generated as the stream accepts it), POST /sha256 (the body's SHA-256 in
// lowercase hex, hashed as it arrives). Requests are answered strictly in order (pipelining);
// a request is not parsed before the previous response's streamed body is fully written.
// Malformed requests get 400 with Connection: close, after which the connection shuts down
// its sending side and discards input until the peer closes (lingering close, RFC 9112 9.6).
// Ownership: holds a reference to the HttpContext shared by all connections of a server,
// which must outlive it.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/time.h"
#include "http/http_parser.h"
#include "http/sha256.h"

namespace ustack::http {

// What a connected non-blocking socket offers.
class ByteStream {
 public:
  // Like read(2): bytes read, 0 at end of stream, or -errno (-EAGAIN: nothing now).
  virtual ssize_t Read(std::span<uint8_t> out) = 0;
  // Like write(2): bytes taken (maybe fewer than offered), or -errno (-EAGAIN: no room now).
  virtual ssize_t Write(std::span<const uint8_t> data) = 0;
  // shutdown(SHUT_WR): FIN after the queued data.
  virtual void ShutdownWrite() = 0;

 protected:
  ~ByteStream() = default;
};

struct HttpServerOptions {
  uint64_t root_body_size = 600;
  size_t max_head = HttpRequestParser::kDefaultMaxHead;
  // RFC 9112 9.6: after the final response, input is drained for at most this long.
  Duration linger_timeout = Duration::Seconds(2);
};

struct HttpStats {
  uint64_t requests = 0;  // complete requests answered
  uint64_t status_2xx = 0;
  uint64_t status_4xx = 0;
  uint64_t status_5xx = 0;
  uint64_t parse_errors = 0;
  uint64_t connections_opened = 0;
  uint64_t connections_closed = 0;
};

// State shared by the connections of one server (one thread).
struct HttpContext {
  HttpServerOptions options;
  std::string date;  // value of the Date header (RFC 9110 6.6.1); empty: no Date header
  HttpStats stats;
  std::array<uint8_t, 16 * 1024> scratch{};  // output staging; holds nothing across calls
};

class HttpConnection {
 public:
  enum class Wait : uint8_t { kReadable, kWritable, kClose };
  static constexpr size_t kInputBuffer = 16 * 1024;
  static constexpr size_t kMaxPendingOutput = 64 * 1024;  // then stop parsing and flush
  static constexpr uint64_t kInlineBody = 4096;           // larger generated bodies are streamed

  explicit HttpConnection(HttpContext& ctx);

  // Does all the work possible now. kClose: the connection is finished (or failed) and the
  // socket must be closed.
  Wait Service(ByteStream& io);
  // Back to the state of a new connection, keeping buffers (connection objects are reused).
  void Reset();
  // The final response went out and the sending side is shut; only draining input.
  bool lingering() const { return shut_; }

 private:
  enum class Route : uint8_t { kRoot, kBytes, kSha256, kFail };
  enum class Stream : uint8_t { kNone, kFill, kPattern };
  enum class FlushResult : uint8_t { kDone, kBlocked, kFailed };

  bool CanParse() const;
  void ParseSome();
  void OnHeaders();
  void OnMessageEnd();
  void Resolve(const HttpRequest& r);
  void QueueResponse(int status, const char* content_type, uint64_t length, Stream stream,
                     std::string_view fixed_body, std::string_view extra_headers);
  void QueueFailure();
  bool HasOutput() const;
  static void GenerateBody(Stream stream, uint64_t offset, std::span<uint8_t> out);
  FlushResult Flush(ByteStream& io);
  Wait Linger(ByteStream& io);

  HttpContext& ctx_;
  HttpRequestParser parser_;
  std::vector<uint8_t> in_;
  size_t in_pos_ = 0;
  size_t in_len_ = 0;
  bool need_input_ = true;  // the parser consumed everything and waits for bytes
  bool peer_eof_ = false;
  bool closing_ = false;  // close after the queued output
  bool shut_ = false;

  // Output: fixed bytes, then (for the last queued response only) a generated body.
  std::string pending_;
  size_t pending_pos_ = 0;
  Stream stream_ = Stream::kNone;
  uint64_t stream_off_ = 0;
  uint64_t stream_len_ = 0;

  // The request being received.
  Route route_ = Route::kFail;
  int fail_status_ = 0;
  std::string fail_reason_;
  std::string allow_;  // for 405
  uint64_t bytes_n_ = 0;
  bool keep_alive_ = true;
  bool head_only_ = false;
  int minor_version_ = 1;
  std::unique_ptr<Sha256> sha_;
};

}  // namespace ustack::http
