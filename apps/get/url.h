// HttpUrl: the one kind of URL ustack-get fetches, http://ADDR[:PORT][/PATH[?QUERY]] with an
// IPv4 literal (ustack has no resolver), and the request head it sends for it. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/addr.h"

namespace ustack::get {

struct HttpUrl {
  Ipv4Addr addr;
  uint16_t port = 80;
  std::string target = "/";  // origin-form request-target (RFC 9112 3.2.1)
  std::string authority;     // for the Host field: ADDR or ADDR:PORT as written

  std::string ToString() const { return "http://" + authority + target; }
};

// Parses `url`; on failure returns nullopt and sets *error to a sentence naming the problem.
std::optional<HttpUrl> ParseHttpUrl(std::string_view url, std::string* error);

// The request head: GET, or POST with a body of `post_length` bytes, Connection: close.
std::string BuildRequestHead(const HttpUrl& url, std::optional<uint64_t> post_length);

}  // namespace ustack::get
