// HTTP/1.1 connection logic, see http_connection.h.
#include "http/http_connection.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "http/bytes_pattern.h"

namespace ustack::http {
namespace {

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 501:
      return "Not Implemented";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Error";
  }
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i] >= 'A' && s[i] <= 'Z' ? static_cast<char>(s[i] + 32) : s[i];
    if (c != prefix[i]) return false;
  }
  return true;
}

// The path of a request-target: origin-form as is, absolute-form (RFC 9112 3.2.2) without
// scheme and authority; the query is dropped.
std::string_view PathOf(std::string_view target) {
  if (StartsWithNoCase(target, "http://") || StartsWithNoCase(target, "https://")) {
    size_t slash = target.find('/', target.find("//") + 2);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  return target.substr(0, target.find('?'));
}

}  // namespace

void HttpConnection::GenerateBody(Stream stream, uint64_t offset, std::span<uint8_t> out) {
  if (stream == Stream::kPattern) {
    FillPattern(offset, out);
  } else {
    std::fill(out.begin(), out.end(), uint8_t{'x'});
  }
}

HttpConnection::HttpConnection(HttpContext& ctx)
    : ctx_(ctx), parser_(ctx.options.max_head), in_(kInputBuffer) {
  pending_.reserve(1024);  // a typical response head and small body without regrowing
}

void HttpConnection::Reset() {
  parser_.Reset();
  in_pos_ = in_len_ = 0;
  need_input_ = true;
  peer_eof_ = closing_ = shut_ = false;
  pending_.clear();
  pending_pos_ = 0;
  stream_ = Stream::kNone;
  stream_off_ = stream_len_ = 0;
  route_ = Route::kFail;
  fail_status_ = 0;
  fail_reason_.clear();
  allow_.clear();
  bytes_n_ = 0;
  keep_alive_ = true;
  head_only_ = false;
  minor_version_ = 1;
}

bool HttpConnection::HasOutput() const {
  return pending_pos_ < pending_.size() || stream_off_ < stream_len_;
}

bool HttpConnection::CanParse() const {
  return !closing_ && !need_input_ && stream_ == Stream::kNone &&
         pending_.size() - pending_pos_ < kMaxPendingOutput;
}

HttpConnection::Wait HttpConnection::Service(ByteStream& io) {
  for (;;) {
    if (CanParse()) {
      ParseSome();
      continue;
    }
    if (HasOutput()) {
      FlushResult r = Flush(io);
      if (r == FlushResult::kBlocked) return Wait::kWritable;
      if (r == FlushResult::kFailed) return Wait::kClose;
      continue;
    }
    if (closing_) return Linger(io);
    if (peer_eof_) return Wait::kClose;  // nothing left to answer
    if (!need_input_) continue;          // cannot happen: parse or output was possible
    ssize_t n = io.Read(std::span<uint8_t>(in_));
    if (n > 0) {
      in_pos_ = 0;
      in_len_ = static_cast<size_t>(n);
      need_input_ = false;
    } else if (n == 0) {
      peer_eof_ = true;
    } else if (n == -EAGAIN) {
      return Wait::kReadable;
    } else {
      return Wait::kClose;
    }
  }
}

void HttpConnection::ParseSome() {
  size_t used = 0;
  std::span<const uint8_t> body;
  std::span<const uint8_t> in(in_.data() + in_pos_, in_len_ - in_pos_);
  HttpEvent ev = parser_.Next(in, &used, &body);
  in_pos_ += used;
  switch (ev) {
    case HttpEvent::kNeedMore:
      need_input_ = true;
      break;
    case HttpEvent::kHeaders:
      OnHeaders();
      break;
    case HttpEvent::kBody:
      if (route_ == Route::kSha256) sha_->Update(body);
      break;
    case HttpEvent::kMessageEnd:
      OnMessageEnd();
      break;
    case HttpEvent::kError:
      ++ctx_.stats.parse_errors;
      fail_status_ = parser_.error().status;
      fail_reason_ = parser_.error().reason;
      keep_alive_ = false;
      head_only_ = false;
      QueueFailure();
      break;
  }
}

void HttpConnection::Resolve(const HttpRequest& r) {
  std::string_view path = PathOf(r.target);
  bool get = r.method == "GET" || r.method == "HEAD";
  route_ = Route::kFail;
  allow_.clear();
  if (path == "/") {
    if (get) route_ = Route::kRoot;
    allow_ = "GET, HEAD";
  } else if (path.starts_with("/bytes/")) {
    std::string_view digits = path.substr(7);
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bytes_n_);
    if (digits.empty() || ec != std::errc() || p != digits.data() + digits.size()) {
      fail_status_ = 400;
      fail_reason_ = "bad byte count";
      return;
    }
    if (get) route_ = Route::kBytes;
    allow_ = "GET, HEAD";
  } else if (path == "/sha256") {
    if (r.method == "POST") route_ = Route::kSha256;
    allow_ = "POST";
  } else {
    fail_status_ = 404;
    fail_reason_ = "not found";
    return;
  }
  if (route_ == Route::kFail) {
    // RFC 9110 15.5.6: 405 carries an Allow header.
    fail_status_ = 405;
    fail_reason_ = "method not allowed";
  }
}

void HttpConnection::OnHeaders() {
  const HttpRequest& r = parser_.request();
  keep_alive_ = r.keep_alive;
  minor_version_ = r.minor_version;
  head_only_ = r.method == "HEAD";
  Resolve(r);
  if (route_ == Route::kSha256 && !r.has_content_length) {
    fail_status_ = 400;
    fail_reason_ = "POST /sha256 needs a Content-Length";
    route_ = Route::kFail;
  }
  if (route_ == Route::kFail && (fail_status_ == 400 || r.content_length > 0)) {
    // Answer at once and close rather than read a body nobody wants.
    keep_alive_ = false;
    QueueFailure();
    return;
  }
  if (route_ == Route::kSha256) {
    if (!sha_) sha_ = std::make_unique<Sha256>();
    sha_->Reset();
  }
  // RFC 9110 10.1.1: a 1.1 client that sent Expect: 100-continue waits for an interim
  // response before sending the body.
  if (r.expect_continue && r.minor_version == 1 && r.content_length > 0) {
    pending_ += "HTTP/1.1 100 Continue\r\n\r\n";
  }
}

void HttpConnection::OnMessageEnd() {
  ++ctx_.stats.requests;
  switch (route_) {
    case Route::kRoot:
      QueueResponse(200, "text/plain", ctx_.options.root_body_size, Stream::kFill, {}, {});
      break;
    case Route::kBytes:
      QueueResponse(200, "application/octet-stream", bytes_n_, Stream::kPattern, {}, {});
      break;
    case Route::kSha256: {
      std::string hex = sha_->HexDigest();
      QueueResponse(200, "text/plain", hex.size(), Stream::kNone, hex, {});
      break;
    }
    case Route::kFail:
      QueueFailure();
      break;
  }
}

void HttpConnection::QueueFailure() {
  std::string body = fail_reason_ + "\n";
  std::string extra = fail_status_ == 405 ? "Allow: " + allow_ + "\r\n" : std::string();
  if (fail_status_ == 400 || fail_status_ >= 500) keep_alive_ = false;
  QueueResponse(fail_status_, "text/plain", body.size(), Stream::kNone, body, extra);
}

void HttpConnection::QueueResponse(int status, const char* content_type, uint64_t length,
                                   Stream stream, std::string_view fixed_body,
                                   std::string_view extra_headers) {
  if (status < 300) {
    ++ctx_.stats.status_2xx;
  } else if (status < 500) {
    ++ctx_.stats.status_4xx;
  } else {
    ++ctx_.stats.status_5xx;
  }
  std::string& out = pending_;
  out += "HTTP/1.1 ";
  out += std::to_string(status);
  out += ' ';
  out += ReasonPhrase(status);
  out += "\r\nServer: ustack\r\n";
  if (!ctx_.date.empty()) {
    out += "Date: ";
    out += ctx_.date;
    out += "\r\n";
  }
  out += "Content-Type: ";
  out += content_type;
  out += "\r\nContent-Length: ";
  out += std::to_string(length);
  out += "\r\n";
  out += extra_headers;
  // RFC 9112 9.6: "close" tells the client this is the last response; a 1.0 client that
  // asked for keep-alive is told it got it (RFC 9112 C.2.2).
  if (!keep_alive_) {
    out += "Connection: close\r\n";
    closing_ = true;
  } else if (minor_version_ == 0) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
  // RFC 9110 9.3.2: a response to HEAD carries the headers of GET and no body.
  if (head_only_) return;
  if (stream == Stream::kNone) {
    out += fixed_body;
  } else if (length <= kInlineBody) {
    // Small generated bodies join the pending bytes, so that pipelined answers batch.
    size_t at = out.size();
    out.resize(at + length);
    std::span<uint8_t> dst(reinterpret_cast<uint8_t*>(out.data()) + at, length);
    GenerateBody(stream, 0, dst);
  } else {
    stream_ = stream;
    stream_off_ = 0;
    stream_len_ = length;
  }
}

HttpConnection::FlushResult HttpConnection::Flush(ByteStream& io) {
  std::span<uint8_t> buf(ctx_.scratch);
  while (HasOutput()) {
    size_t fixed = std::min(pending_.size() - pending_pos_, buf.size());
    std::memcpy(buf.data(), pending_.data() + pending_pos_, fixed);
    size_t n = fixed;
    if (pending_pos_ + fixed == pending_.size() && n < buf.size()) {
      size_t gen =
          static_cast<size_t>(std::min<uint64_t>(buf.size() - n, stream_len_ - stream_off_));
      GenerateBody(stream_, stream_off_, buf.subspan(n, gen));
      n += gen;
    }
    ssize_t w = io.Write(buf.first(n));
    if (w == -EAGAIN || w == 0) return FlushResult::kBlocked;
    if (w < 0) return FlushResult::kFailed;
    size_t took = static_cast<size_t>(w);
    size_t from_fixed = std::min(took, fixed);
    pending_pos_ += from_fixed;
    stream_off_ += took - from_fixed;
  }
  pending_.clear();
  pending_pos_ = 0;
  stream_ = Stream::kNone;
  stream_off_ = stream_len_ = 0;
  return FlushResult::kDone;
}

HttpConnection::Wait HttpConnection::Linger(ByteStream& io) {
  if (!shut_) {
    io.ShutdownWrite();
    shut_ = true;
  }
  // RFC 9112 9.6: keep reading (and discarding) until the client closes, so that unread
  // input does not turn our close into a reset that destroys the response in flight.
  for (;;) {
    ssize_t n = io.Read(std::span<uint8_t>(in_));
    if (n > 0) continue;
    return n == -EAGAIN ? Wait::kReadable : Wait::kClose;
  }
}

}  // namespace ustack::http
