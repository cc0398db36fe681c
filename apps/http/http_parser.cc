// Incremental HTTP/1.x request parsing, see http_parser.h.
#include "http/http_parser.h"

#include <charconv>
#include <cstring>

namespace ustack::http {
namespace {

// RFC 9110 5.6.2: tchar.
bool IsTchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTchar(c)) return false;
  }
  return true;
}

// RFC 9112 3.2: the request-target is visible ASCII, no whitespace.
bool IsTarget(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

// RFC 9110 5.5: field-value is VCHAR, obs-text, SP and HTAB; no other control characters.
bool IsFieldValue(std::string_view s) {
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u == 0x7f) return false;
  }
  return true;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] + 32) : b[i];
    if (x != y) return false;
  }
  return true;
}

// Calls f on each element of a comma-separated list (RFC 9110 5.6.1), trimmed, skipping
// empty elements.
template <typename F>
void ForEachListElement(std::string_view v, F f) {
  while (!v.empty()) {
    size_t comma = v.find(',');
    std::string_view e = TrimOws(v.substr(0, comma));
    if (!e.empty()) f(e);
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
}

// The line without its terminator: "\r\n" or a bare "\n" (RFC 9112 2.2 allows the latter).
// A CR anywhere else is invalid (RFC 9112 2.2), reported as nullopt-like `ok` false.
std::string_view StripEol(std::string_view line, bool* ok) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  *ok = line.find('\r') == std::string_view::npos;
  return line;
}

}  // namespace

HttpEvent HttpRequestParser::Fail(int status, std::string reason) {
  state_ = State::kError;
  error_ = HttpParseError{status, std::move(reason)};
  return HttpEvent::kError;
}

void HttpRequestParser::Reset() {
  state_ = State::kHead;
  head_.clear();
  line_start_ = 0;
  body_left_ = 0;
  request_ = HttpRequest{};
  error_ = HttpParseError{};
}

HttpEvent HttpRequestParser::Next(std::span<const uint8_t> in, size_t* consumed,
                                  std::span<const uint8_t>* body) {
  *consumed = 0;
  if (state_ == State::kError) return HttpEvent::kError;
  if (state_ == State::kBody) {
    if (body_left_ == 0) {
      state_ = State::kHead;
      return HttpEvent::kMessageEnd;
    }
    size_t n = static_cast<size_t>(std::min<uint64_t>(body_left_, in.size()));
    if (n == 0) return HttpEvent::kNeedMore;
    *body = in.first(n);
    *consumed = n;
    body_left_ -= n;
    return HttpEvent::kBody;
  }
  size_t i = 0;
  while (i < in.size()) {
    const void* nl = std::memchr(in.data() + i, '\n', in.size() - i);
    size_t end = nl != nullptr
                     ? static_cast<size_t>(static_cast<const uint8_t*>(nl) - in.data()) + 1
                     : in.size();
    if (head_.size() + (end - i) > max_head_) {
      *consumed = i;
      return Fail(400, "header section too large");
    }
    head_.append(reinterpret_cast<const char*>(in.data() + i), end - i);
    i = end;
    if (nl == nullptr) break;
    std::string_view line = std::string_view(head_).substr(line_start_);
    bool empty_line = line == "\n" || line == "\r\n";
    if (empty_line && line_start_ == 0) {
      // RFC 9112 2.2: ignore empty lines received before the request-line.
      head_.clear();
      continue;
    }
    if (empty_line) {
      *consumed = i;
      return ParseHead();
    }
    line_start_ = head_.size();
  }
  *consumed = i;
  return HttpEvent::kNeedMore;
}

HttpEvent HttpRequestParser::ParseHead() {
  std::string_view rest = head_;
  request_ = HttpRequest{};
  int host_count = 0;
  bool first = true;
  bool connection_close = false;
  bool connection_keep_alive = false;
  bool transfer_encoding = false;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) break;  // cannot happen: the head ends with a newline
    bool ok = true;
    std::string_view line = StripEol(rest.substr(0, nl + 1), &ok);
    rest.remove_prefix(nl + 1);
    if (!ok) return Fail(400, "bare CR in head");
    if (line.empty()) break;  // the terminating empty line
    if (first) {
      if (!ParseRequestLine(line))
        return state_ == State::kError ? HttpEvent::kError : Fail(400, "bad request line");
      first = false;
      continue;
    }
    if (!ParseField(line, &host_count)) {
      return state_ == State::kError ? HttpEvent::kError : Fail(400, "bad header field");
    }
    size_t colon = line.find(':');
    std::string_view name = line.substr(0, colon);
    std::string_view value = TrimOws(line.substr(colon + 1));
    if (EqualsNoCase(name, "connection")) {
      ForEachListElement(value, [&](std::string_view e) {
        if (EqualsNoCase(e, "close")) connection_close = true;
        if (EqualsNoCase(e, "keep-alive")) connection_keep_alive = true;
      });
    } else if (EqualsNoCase(name, "transfer-encoding")) {
      transfer_encoding = true;
    } else if (EqualsNoCase(name, "expect")) {
      request_.expect_continue = EqualsNoCase(value, "100-continue");
    }
  }
  // RFC 9112 3.2: a 1.1 request without exactly one Host field gets 400.
  if (request_.minor_version == 1 && host_count != 1) {
    return Fail(400, host_count == 0 ? "missing Host" : "duplicate Host");
  }
  if (transfer_encoding) {
    // RFC 9112 6.1: a transfer coding the server does not understand gets 501; HTTP/1.0
    // with Transfer-Encoding is faulty (400). Chunked request bodies are not supported.
    return request_.minor_version == 0 ? Fail(400, "Transfer-Encoding in HTTP/1.0")
                                       : Fail(501, "request transfer codings not supported");
  }
  // RFC 9112 9.3: 1.1 persists unless "close"; 1.0 persists only with "keep-alive".
  request_.keep_alive = !connection_close && (request_.minor_version == 1 || connection_keep_alive);
  head_.clear();
  line_start_ = 0;
  body_left_ = request_.content_length;
  state_ = State::kBody;
  return HttpEvent::kHeaders;
}

bool HttpRequestParser::ParseRequestLine(std::string_view line) {
  // RFC 9112 3: request-line = method SP request-target SP HTTP-version
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return false;
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return false;
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method) || !IsTarget(target)) return false;
  // RFC 9112 2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive.
  if (version.size() != 8 || !version.starts_with("HTTP/") || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
    return false;
  }
  if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) {
    Fail(505, "HTTP version not supported");
    return false;
  }
  request_.method.assign(method);  // assign: reuses the strings' capacity
  request_.target.assign(target);
  request_.minor_version = version[7] - '0';
  return true;
}

bool HttpRequestParser::ParseField(std::string_view line, int* host_count) {
  // RFC 9112 5.2: obs-fold (a line starting with whitespace) is rejected with 400.
  if (line.front() == ' ' || line.front() == '\t') return false;
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  // RFC 9112 5.1: no whitespace between the field name and the colon; the name is a token.
  std::string_view name = line.substr(0, colon);
  if (!IsToken(name)) return false;
  std::string_view value = TrimOws(line.substr(colon + 1));
  if (!IsFieldValue(value)) return false;
  if (EqualsNoCase(name, "host")) ++*host_count;
  if (EqualsNoCase(name, "content-length")) {
    // RFC 9112 6.3 item 5: an invalid Content-Length is an unrecoverable error; several
    // fields or list members must all carry the same value (RFC 9110 8.6).
    bool valid = true;
    ForEachListElement(value, [&](std::string_view e) {
      uint64_t n = 0;
      auto [p, ec] = std::from_chars(e.data(), e.data() + e.size(), n);
      if (ec != std::errc() || p != e.data() + e.size() || e.size() > 19 ||
          (request_.has_content_length && request_.content_length != n)) {
        valid = false;
        return;
      }
      request_.has_content_length = true;
      request_.content_length = n;
    });
    if (!valid || value.empty()) {
      Fail(400, "invalid Content-Length");
      return false;
    }
  }
  return true;
}

}  // namespace ustack::http
