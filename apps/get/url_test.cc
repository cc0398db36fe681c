// Tests of ustack-get's URL parsing and request head.
#include "get/url.h"

#include <gtest/gtest.h>

namespace ustack::get {
namespace {

std::string ErrorOf(std::string_view url) {
  std::string error;
  EXPECT_FALSE(ParseHttpUrl(url, &error).has_value()) << url;
  return error;
}

HttpUrl MustParse(std::string_view url) {
  std::string error;
  auto u = ParseHttpUrl(url, &error);
  EXPECT_TRUE(u.has_value()) << url << ": " << error;
  return u.value_or(HttpUrl{});
}

TEST(UrlTest, AddressPortAndPath) {
  const HttpUrl u = MustParse("http://198.18.0.1:8080/files/a.bin?x=1&y=%20");
  EXPECT_EQ(u.addr, Ipv4Addr::Of(198, 18, 0, 1));
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.target, "/files/a.bin?x=1&y=%20");
  EXPECT_EQ(u.authority, "198.18.0.1:8080");
  EXPECT_EQ(u.ToString(), "http://198.18.0.1:8080/files/a.bin?x=1&y=%20");
}

TEST(UrlTest, DefaultsPortAndPath) {
  const HttpUrl u = MustParse("http://198.18.0.1");
  EXPECT_EQ(u.port, 80);
  EXPECT_EQ(u.target, "/");
  EXPECT_EQ(u.authority, "198.18.0.1");
  EXPECT_EQ(MustParse("http://198.18.0.1?q").target, "/?q");
  EXPECT_EQ(MustParse("HTTP://198.18.0.1/").target, "/");         // the scheme is case-insensitive
  EXPECT_EQ(MustParse("http://198.18.0.1/a#frag").target, "/a");  // fragments are not sent
}

TEST(UrlTest, Errors) {
  EXPECT_EQ(ErrorOf("https://198.18.0.1/"), "unsupported scheme 'https' (only http)");
  EXPECT_EQ(ErrorOf("198.18.0.1/x"), "'198.18.0.1/x' is not an http:// URL");
  EXPECT_EQ(ErrorOf("http:///x"), "missing host in 'http:///x'");
  EXPECT_EQ(ErrorOf("http://example.com/"),
            "host 'example.com' is not an IPv4 address (ustack-get does not resolve names)");
  EXPECT_EQ(ErrorOf("http://198.18.0.1:0/"), "bad port '0' (1 to 65535)");
  EXPECT_EQ(ErrorOf("http://198.18.0.1:65536/"), "bad port '65536' (1 to 65535)");
  EXPECT_EQ(ErrorOf("http://198.18.0.1:/"), "bad port '' (1 to 65535)");
  EXPECT_EQ(ErrorOf("http://198.18.0.1:8a/"), "bad port '8a' (1 to 65535)");
  EXPECT_EQ(ErrorOf("http://u:p@198.18.0.1/"), "user information in the URL is not supported");
  EXPECT_EQ(ErrorOf("http://0.0.0.0/"), "host 0.0.0.0 is not a unicast address");
  EXPECT_EQ(ErrorOf("http://224.0.0.1/"), "host 224.0.0.1 is not a unicast address");
  EXPECT_EQ(ErrorOf("http://198.18.0.1/a b"),
            "the path contains characters that must be percent-encoded");
  EXPECT_EQ(ErrorOf("http://198.18.0.1/a\r\nX: y"),
            "the path contains characters that must be percent-encoded");
  EXPECT_EQ(ErrorOf(""), "'' is not an http:// URL");
}

TEST(UrlTest, RequestHeads) {
  const HttpUrl u = MustParse("http://198.18.0.1:8000/up");
  EXPECT_EQ(BuildRequestHead(u, std::nullopt),
            "GET /up HTTP/1.1\r\nHost: 198.18.0.1:8000\r\nUser-Agent: ustack-get\r\n"
            "Accept: */*\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(BuildRequestHead(u, 20971520),
            "POST /up HTTP/1.1\r\nHost: 198.18.0.1:8000\r\nUser-Agent: ustack-get\r\n"
            "Accept: */*\r\nConnection: close\r\nContent-Type: application/octet-stream\r\n"
            "Content-Length: 20971520\r\n\r\n");
  EXPECT_NE(BuildRequestHead(u, 0).find("Content-Length: 0\r\n"), std::string::npos);
}

}  // namespace
}  // namespace ustack::get
