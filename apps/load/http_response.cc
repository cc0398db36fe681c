// Incremental HTTP/1.1 response reading, see http_response.h.
#include "load/http_response.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace ustack::load {
namespace {

constexpr std::string_view kEnd = "\r\n\r\n";

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 9110 15.2, 15.3.5, 15.4.5: 1xx, 204 and 304 responses never carry a body.
bool HasNoBody(int status) { return status < 200 || status == 204 || status == 304; }

}  // namespace

void HttpResponseReader::Reset(bool head_request) {
  state_ = State::kHead;
  head_request_ = head_request;
  resp_ = Response{};
  body_left_ = 0;
  staged_ = 0;
  error_ = {};
  saw_length_ = chunked_ = keep_alive_ = false;
  minor_ = 1;
}

HttpResponseReader::Result HttpResponseReader::Feed(std::span<const uint8_t> in, size_t* used) {
  *used = 0;
  while (*used < in.size() || state_ == State::kBody) {
    if (state_ == State::kDone) return Result::kDone;
    if (state_ == State::kError) return Result::kError;
    const std::span<const uint8_t> rest = in.subspan(*used);
    if (state_ == State::kBody) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(body_left_, rest.size()));
      body_left_ -= n;
      *used += n;
      if (body_left_ > 0) return Result::kNeedMore;
      state_ = State::kDone;
      return Result::kDone;
    }
    // The head: found whole in this chunk, or staged across chunks.
    const std::string_view chunk(reinterpret_cast<const char*>(rest.data()), rest.size());
    std::string_view head;
    size_t take = 0;
    if (staged_ == 0) {
      const size_t end = chunk.find(kEnd);
      if (end != std::string_view::npos) {
        take = end + kEnd.size();
        head = chunk.substr(0, take);
      }
    }
    if (head.empty()) {
      const size_t from = staged_ >= 3 ? staged_ - 3 : 0;
      const size_t room = kMaxHead - staged_;
      take = std::min(room, chunk.size());
      std::memcpy(stage_.data() + staged_, chunk.data(), take);
      staged_ += take;
      const std::string_view staged(stage_.data(), staged_);
      const size_t end = staged.find(kEnd, from);
      if (end == std::string_view::npos) {
        *used += take;
        if (staged_ < kMaxHead) return Result::kNeedMore;
        error_ = "response head too large";
        state_ = State::kError;
        return Result::kError;
      }
      take -= staged_ - (end + kEnd.size());  // give back what follows the head
      head = staged.substr(0, end + kEnd.size());
    }
    *used += take;
    staged_ = 0;
    if (!ParseHead(head)) {
      state_ = State::kError;
      return Result::kError;
    }
  }
  return state_ == State::kDone ? Result::kDone : Result::kNeedMore;
}

bool HttpResponseReader::ParseHead(std::string_view head) {
  // RFC 9112 4: status-line = HTTP-version SP status-code SP [ reason-phrase ]
  const size_t eol = head.find("\r\n");
  const std::string_view line = head.substr(0, eol);
  if (line.size() < 12 || !line.starts_with("HTTP/1.") || line[8] != ' ' ||
      (line.size() > 12 && line[12] != ' ')) {
    error_ = "bad status line";
    return false;
  }
  minor_ = line[7] - '0';
  int status = 0;
  auto [p, ec] = std::from_chars(line.data() + 9, line.data() + 12, status);
  if (ec != std::errc() || p != line.data() + 12 || minor_ < 0 || minor_ > 1) {
    error_ = "bad status line";
    return false;
  }
  saw_length_ = chunked_ = keep_alive_ = false;
  resp_ = Response{};
  resp_.status = status;
  std::string_view fields = head.substr(eol + 2);
  while (!fields.empty()) {
    const size_t nl = fields.find("\r\n");
    const std::string_view f = fields.substr(0, nl);
    fields.remove_prefix(nl + 2);
    if (f.empty()) break;
    const size_t colon = f.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      error_ = "bad header field";
      return false;
    }
    if (!ParseField(f.substr(0, colon), Trim(f.substr(colon + 1)))) return false;
  }
  // RFC 9112 9.3: 1.1 persists unless "close"; 1.0 only with "keep-alive".
  resp_.close = resp_.close || (minor_ == 0 && !keep_alive_);
  if (status >= 100 && status < 200) {  // RFC 9110 15.2: interim; the final one follows
    state_ = State::kHead;
    return true;
  }
  if (HasNoBody(status) || head_request_) {
    state_ = State::kDone;
    return true;
  }
  // RFC 9112 6.3: only Content-Length framing is supported here.
  if (chunked_ || !saw_length_) {
    error_ = chunked_ ? "chunked responses not supported" : "no Content-Length";
    return false;
  }
  body_left_ = resp_.content_length;
  state_ = body_left_ > 0 ? State::kBody : State::kDone;
  return true;
}

bool HttpResponseReader::ParseField(std::string_view name, std::string_view value) {
  if (EqualsNoCase(name, "content-length")) {
    uint64_t n = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || ec != std::errc() || p != value.data() + value.size() ||
        (saw_length_ && n != resp_.content_length)) {
      error_ = "bad Content-Length";
      return false;
    }
    saw_length_ = true;
    resp_.content_length = n;
  } else if (EqualsNoCase(name, "transfer-encoding")) {
    chunked_ = true;
  } else if (EqualsNoCase(name, "connection")) {
    // RFC 9110 7.6.1: a comma-separated list of connection options.
    while (!value.empty()) {
      const size_t comma = value.find(',');
      const std::string_view opt = Trim(value.substr(0, comma));
      if (EqualsNoCase(opt, "close")) resp_.close = true;
      if (EqualsNoCase(opt, "keep-alive")) keep_alive_ = true;
      if (comma == std::string_view::npos) break;
      value.remove_prefix(comma + 1);
    }
  }
  return true;
}

}  // namespace ustack::load
