// Tests for the streaming SHA-256 wrapper against FIPS 180-4 example digests.
#include "http/sha256.h"

#include <gtest/gtest.h>

#include <string>

namespace ustack::http {
namespace {

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(Sha256Test, KnownDigests) {
  Sha256 h;
  EXPECT_EQ(h.HexDigest(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  h.Update(Bytes("abc"));
  EXPECT_EQ(h.HexDigest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, PiecewiseEqualsWholeAndDigestResets) {
  std::string msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  Sha256 h;
  for (char c : msg) h.Update(Bytes(std::string_view(&c, 1)));
  EXPECT_EQ(h.HexDigest(), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  h.Update(Bytes(msg));
  EXPECT_EQ(h.HexDigest(), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

}  // namespace
}  // namespace ustack::http
