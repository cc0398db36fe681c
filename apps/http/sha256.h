// Sha256: incremental SHA-256 over OpenSSL's EVP interface, for hashing request bodies as
// they stream in. Owns its EVP_MD_CTX.
#pragma once

#include <cstdint>
#include <span>
#include <string>

struct evp_md_ctx_st;

namespace ustack::http {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Reset();
  void Update(std::span<const uint8_t> data);
  // The digest of everything since the last Reset as 64 lowercase hex digits; resets.
  std::string HexDigest();

 private:
  evp_md_ctx_st* ctx_;
};

}  // namespace ustack::http
