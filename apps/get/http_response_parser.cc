// Incremental HTTP/1.x response parsing, see http_response_parser.h.
#include "get/http_response_parser.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace ustack::get {
namespace {

constexpr uint64_t kMaxChunk = uint64_t{1} << 60;  // beyond: an overflow attack, not a body

// RFC 9110 5.6.2: tchar.
bool IsTchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool IsToken(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), IsTchar); }

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return Lower(x) == Lower(y); });
}

// The last element of a comma-separated list (RFC 9110 5.6.1), trimmed.
std::string_view LastListElement(std::string_view v) {
  while (!v.empty()) {
    const size_t comma = v.rfind(',');
    std::string_view e = TrimOws(comma == std::string_view::npos ? v : v.substr(comma + 1));
    if (!e.empty() || comma == std::string_view::npos) return e;
    v = v.substr(0, comma);
  }
  return {};
}

// The line without its terminator: CRLF, or a bare LF (RFC 9112 2.2 allows a recipient to
// accept one). A CR anywhere else makes the line invalid.
bool StripEol(std::string_view* line) {
  if (!line->empty() && line->back() == '\n') line->remove_suffix(1);
  if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
  return line->find('\r') == std::string_view::npos;
}

bool ParseDecimal(std::string_view s, uint64_t* out) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string_view HttpResponseHead::Field(std::string_view name) const {
  for (const auto& [n, v] : fields) {
    if (EqualsNoCase(n, name)) return v;
  }
  return {};
}

ResponseEvent HttpResponseParser::Fail(std::string why) {
  state_ = State::kError;
  error_ = std::move(why);
  return ResponseEvent::kError;
}

bool HttpResponseParser::TakeLine(std::span<const uint8_t> in, size_t* used) {
  const void* nl = std::memchr(in.data(), '\n', in.size());
  const size_t n = nl != nullptr
                       ? static_cast<size_t>(static_cast<const uint8_t*>(nl) - in.data()) + 1
                       : in.size();
  line_.append(reinterpret_cast<const char*>(in.data()), n);
  *used = n;
  return nl != nullptr;
}

ResponseEvent HttpResponseParser::Next(std::span<const uint8_t> in, size_t* consumed,
                                       std::span<const uint8_t>* body) {
  *consumed = 0;
  switch (state_) {
    case State::kError:
      return ResponseEvent::kError;
    case State::kDone:
      return ResponseEvent::kMessageEnd;
    case State::kBody:
    case State::kChunkData:
      return BodyBytes(in, consumed, body);
    default:
      break;
  }
  while (*consumed < in.size()) {
    size_t used = 0;
    const bool whole = TakeLine(in.subspan(*consumed), &used);
    *consumed += used;
    if (state_ == State::kHead) head_bytes_ += used;
    const size_t seen = state_ == State::kHead ? head_bytes_ : line_.size();
    if (seen > max_head_) {
      return Fail(state_ == State::kHead
                      ? "response head longer than " + std::to_string(max_head_) + " bytes"
                      : "chunk line longer than " + std::to_string(max_head_) + " bytes");
    }
    if (!whole) break;
    std::string_view line = line_;
    if (!StripEol(&line)) return Fail("stray CR in the response");
    ResponseEvent ev = ResponseEvent::kNeedMore;
    switch (state_) {
      case State::kHead:
        ev = OnHeadLine(line);
        break;
      case State::kChunkSize:
        ev = OnChunkSize(line);
        break;
      case State::kChunkCrlf:
        // RFC 9112 7.1: chunk-data is followed by CRLF.
        if (line.empty()) {
          state_ = State::kChunkSize;
        } else {
          ev = Fail("chunk data longer than its chunk-size");
        }
        break;
      case State::kTrailer:
        // RFC 9112 7.1.2: trailer fields are read and, here, ignored; an empty line ends them.
        if (line.empty()) {
          state_ = State::kDone;
          ev = ResponseEvent::kMessageEnd;
        }
        break;
      default:
        break;
    }
    line_.clear();
    if (ev != ResponseEvent::kNeedMore) return ev;
    if (state_ == State::kChunkData) return BodyBytes(in, consumed, body);
  }
  return ResponseEvent::kNeedMore;
}

ResponseEvent HttpResponseParser::OnHeadLine(std::string_view line) {
  if (!saw_status_) {
    if (!ParseStatusLine(line)) return Fail("malformed status line '" + std::string(line) + "'");
    saw_status_ = true;
    return ResponseEvent::kNeedMore;
  }
  if (line.empty()) return EndOfHead();
  if (!ParseField(line)) return Fail("malformed header field '" + std::string(line) + "'");
  return ResponseEvent::kNeedMore;
}

// RFC 9112 4: status-line = HTTP-version SP status-code SP [ reason-phrase ]. A missing SP
// after the code is tolerated.
bool HttpResponseParser::ParseStatusLine(std::string_view line) {
  if (line.size() < 12 || !line.starts_with("HTTP/1.") || line[8] != ' ') return false;
  if (line[7] < '0' || line[7] > '9') return false;
  head_.minor_version = line[7] - '0';
  const std::string_view code = line.substr(9, 3);
  if (!std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  head_.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  if (head_.status < 100 || head_.status > 599) return false;
  if (line.size() > 12 && line[12] != ' ') return false;
  head_.reason = std::string(line.size() > 13 ? line.substr(13) : std::string_view());
  return true;
}

bool HttpResponseParser::ParseField(std::string_view line) {
  if (line.front() == ' ' || line.front() == '\t') {
    // RFC 9112 5.2: a user agent replaces an obs-fold in a response with SP.
    if (head_.fields.empty()) return false;
    head_.fields.back().second += ' ';
    head_.fields.back().second += TrimOws(line);
    return true;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  // RFC 9112 5.1: no whitespace between the field name and the colon.
  const std::string_view name = line.substr(0, colon);
  if (!IsToken(name)) return false;
  head_.fields.emplace_back(std::string(name), std::string(TrimOws(line.substr(colon + 1))));
  return true;
}

ResponseEvent HttpResponseParser::EndOfHead() {
  if (head_.status < 200) {
    // RFC 9110 15.2: interim responses precede the final one; skip them.
    head_ = HttpResponseHead{};
    saw_status_ = false;
    head_bytes_ = 0;
    return ResponseEvent::kNeedMore;
  }
  const std::string_view te = head_.Field("Transfer-Encoding");
  const bool has_te = std::any_of(head_.fields.begin(), head_.fields.end(), [](const auto& f) {
    return EqualsNoCase(f.first, "Transfer-Encoding");
  });
  if (head_.status == 204 || head_.status == 304) {
    head_.framing = BodyFraming::kNone;  // RFC 9112 6.3 item 1
  } else if (has_te) {
    // RFC 9112 6.3 items 3 and 4: Transfer-Encoding overrides Content-Length; without
    // chunked as the final coding the body runs to the close.
    head_.framing = EqualsNoCase(LastListElement(te), "chunked") ? BodyFraming::kChunked
                                                                 : BodyFraming::kUntilClose;
  } else {
    bool seen = false;
    for (const auto& [name, value] : head_.fields) {
      if (!EqualsNoCase(name, "Content-Length")) continue;
      // RFC 9110 8.6: a list of identical values may be taken as one; anything else is an
      // unrecoverable framing error (RFC 9112 6.3 item 5).
      std::string_view v = value;
      while (!v.empty()) {
        const size_t comma = v.find(',');
        uint64_t n = 0;
        if (!ParseDecimal(TrimOws(v.substr(0, comma)), &n) || (seen && n != head_.content_length)) {
          return Fail("invalid Content-Length '" + value + "'");
        }
        head_.content_length = n;
        seen = true;
        v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
      }
    }
    head_.framing = seen ? BodyFraming::kLength : BodyFraming::kUntilClose;  // 6.3 items 6, 8
  }
  switch (head_.framing) {
    case BodyFraming::kNone:
      state_ = State::kBody;
      left_ = 0;
      break;
    case BodyFraming::kLength:
      state_ = State::kBody;
      left_ = head_.content_length;
      break;
    case BodyFraming::kChunked:
      state_ = State::kChunkSize;
      break;
    case BodyFraming::kUntilClose:
      state_ = State::kBody;
      break;
  }
  return ResponseEvent::kHeaders;
}

// RFC 9112 7.1: chunk-size [ chunk-ext ] CRLF, chunk-size = 1*HEXDIG; extensions ignored.
ResponseEvent HttpResponseParser::OnChunkSize(std::string_view line) {
  const size_t end = std::min(line.find(';'), line.size());
  const std::string_view digits = TrimOws(line.substr(0, end));
  uint64_t size = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size, 16);
  if (digits.empty() || ec != std::errc() || p != digits.data() + digits.size() ||
      digits.front() == '+' || digits.front() == '-') {
    return Fail("malformed chunk size '" + std::string(line) + "'");
  }
  if (size >= kMaxChunk) return Fail("chunk size " + std::string(digits) + " is too large");
  if (size == 0) {
    state_ = State::kTrailer;
  } else {
    left_ = size;
    state_ = State::kChunkData;
  }
  return ResponseEvent::kNeedMore;
}

ResponseEvent HttpResponseParser::BodyBytes(std::span<const uint8_t> in, size_t* consumed,
                                            std::span<const uint8_t>* body) {
  const std::span<const uint8_t> rest = in.subspan(*consumed);
  const bool until_close = head_.framing == BodyFraming::kUntilClose;
  if (!until_close && left_ == 0) {  // a Content-Length body (or none) is complete
    state_ = State::kDone;
    return ResponseEvent::kMessageEnd;
  }
  const size_t n =
      until_close ? rest.size() : static_cast<size_t>(std::min<uint64_t>(left_, rest.size()));
  if (n == 0) return ResponseEvent::kNeedMore;
  *body = rest.first(n);
  *consumed += n;
  body_bytes_ += n;
  if (!until_close) left_ -= n;
  if (state_ == State::kChunkData && left_ == 0) state_ = State::kChunkCrlf;
  return ResponseEvent::kBody;
}

ResponseEvent HttpResponseParser::Finish() {
  switch (state_) {
    case State::kDone:
      return ResponseEvent::kMessageEnd;
    case State::kError:
      return ResponseEvent::kError;
    case State::kHead:
      return Fail(head_bytes_ == 0 && line_.empty() ? "connection closed before any response"
                                                    : "connection closed inside the response head");
    case State::kBody:
      if (head_.framing == BodyFraming::kUntilClose || left_ == 0) {
        state_ = State::kDone;
        return ResponseEvent::kMessageEnd;
      }
      return Fail("truncated body: got " + std::to_string(body_bytes_) + " of " +
                  std::to_string(head_.content_length) + " bytes");
    default:
      return Fail("truncated chunked body: connection closed after " + std::to_string(body_bytes_) +
                  " bytes");
  }
}

}  // namespace ustack::get
