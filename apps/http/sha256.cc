// SHA-256 through OpenSSL EVP, see sha256.h.
#include "http/sha256.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace ustack::http {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr) std::abort();  // out of memory at start-up of a request
  Reset();
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::Reset() { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }

void Sha256::Update(std::span<const uint8_t> data) {
  EVP_DigestUpdate(ctx_, data.data(), data.size());
}

std::string Sha256::HexDigest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_, md, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  Reset();
  return out;
}

}  // namespace ustack::http
