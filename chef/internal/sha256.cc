#include "chef/internal/sha256.h"

// The low-level SHA-256 functions are deprecated in OpenSSL 3 in favour of
// EVP, but EVP's first use loads the OpenSSL configuration and initialises the
// default provider: 1.3-2 ms, a fifth of a whole `cook prepare`, to hash one
// small recipe. These functions run the same implementation (the same
// SHA-NI/AVX code paths) without that start-up. Large streams (layers) use
// EVP, where the start-up does not show.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

namespace cook::chef::internal {

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256_CTX ctx;
  // These calls cannot fail for a SHA256_CTX on the stack; an empty digest
  // would make no cache key match rather than a wrong one.
  if (SHA256_Init(&ctx) != 1 || SHA256_Update(&ctx, data.data(), data.size()) != 1 ||
      SHA256_Final(digest, &ctx) != 1) {
    return "";
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size_t{2} * SHA256_DIGEST_LENGTH);
  for (unsigned char byte : digest) {
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
  }
  return out;
}

}  // namespace cook::chef::internal
