// URL parsing and the request head, see url.h.
#include "get/url.h"

#include <algorithm>
#include <charconv>

namespace ustack::get {
namespace {

// RFC 3986 3.3 / 3.4: path and query characters, percent-encoded bytes as they are; no
// whitespace, controls or a fragment marker reach the request line.
bool IsTargetChar(char c) {
  return c > 0x20 && c < 0x7f && c != '#' && c != '"' && c != '<' && c != '>' && c != '\\' &&
         c != '^' && c != '`' && c != '{' && c != '|' && c != '}';
}

}  // namespace

std::optional<HttpUrl> ParseHttpUrl(std::string_view url, std::string* error) {
  constexpr std::string_view kScheme = "http://";
  if (url.size() < kScheme.size() ||
      !std::equal(kScheme.begin(), kScheme.end(), url.begin(),
                  [](char a, char b) { return a == (b >= 'A' && b <= 'Z' ? b + 32 : b); })) {
    const size_t colon = url.find("://");
    *error = colon == std::string_view::npos
                 ? "'" + std::string(url) + "' is not an http:// URL"
                 : "unsupported scheme '" + std::string(url.substr(0, colon)) + "' (only http)";
    return std::nullopt;
  }
  std::string_view rest = url.substr(kScheme.size());
  if (const size_t hash = rest.find('#'); hash != std::string_view::npos) {
    rest = rest.substr(0, hash);  // RFC 3986 3.5: the fragment is not sent
  }
  const size_t slash = std::min(rest.find_first_of("/?"), rest.size());
  std::string_view authority = rest.substr(0, slash);
  std::string_view target = rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    *error = "user information in the URL is not supported";
    return std::nullopt;
  }
  HttpUrl out;
  std::string_view host = authority;
  if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    const std::string_view port = authority.substr(colon + 1);
    unsigned value = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || p != port.data() + port.size() || value == 0 ||
        value > 65535) {
      *error = "bad port '" + std::string(port) + "' (1 to 65535)";
      return std::nullopt;
    }
    out.port = static_cast<uint16_t>(value);
  }
  if (host.empty()) {
    *error = "missing host in '" + std::string(url) + "'";
    return std::nullopt;
  }
  auto addr = Ipv4Addr::Parse(host);
  if (!addr) {
    *error = "host '" + std::string(host) +
             "' is not an IPv4 address (ustack-get does not resolve names)";
    return std::nullopt;
  }
  if (addr->IsAny() || addr->IsBroadcast() || addr->IsMulticast()) {
    *error = "host " + addr->ToString() + " is not a unicast address";
    return std::nullopt;
  }
  if (!std::all_of(target.begin(), target.end(), IsTargetChar)) {
    *error = "the path contains characters that must be percent-encoded";
    return std::nullopt;
  }
  out.addr = *addr;
  out.authority = std::string(authority);
  // RFC 9112 3.2.1: an empty path is sent as "/".
  out.target =
      target.empty() || target.front() == '?' ? "/" + std::string(target) : std::string(target);
  return out;
}

std::string BuildRequestHead(const HttpUrl& url, std::optional<uint64_t> post_length) {
  std::string h = post_length ? "POST " : "GET ";
  h += url.target;
  h += " HTTP/1.1\r\nHost: ";
  h += url.authority;  // RFC 9110 7.2: the authority component of the target URI
  h += "\r\nUser-Agent: ustack-get\r\nAccept: */*\r\nConnection: close\r\n";
  if (post_length) {
    h += "Content-Type: application/octet-stream\r\nContent-Length: ";
    h += std::to_string(*post_length);
    h += "\r\n";
  }
  h += "\r\n";
  return h;
}

}  // namespace ustack::get
