#include "base/sha256.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

// The low-level SHA-256 functions are deprecated in OpenSSL 3 in favour of
// EVP, but EVP's first use loads the OpenSSL configuration and initialises the
// default provider: 1.3-2 ms, a fifth of a whole `cook prepare`, to hash one
// small recipe. These functions run the same implementation (the same
// SHA-NI/AVX code paths) without that start-up. Streams (layers) use EVP,
// where the start-up does not show.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "base/c_handle.h"

namespace cook {
namespace {

using EvpMdCtx = std::unique_ptr<EVP_MD_CTX, FreeWith<&EVP_MD_CTX_free>>;

// EVP_sha256 is built into libcrypto's default provider, so these calls only
// fail when memory runs out. Sha256 cannot report that through its
// interface (Update() returns nothing), and a digest silently computed over
// part of the data would be far worse than stopping.
void CheckEvp(int ok, const char* what) {
  if (ok == 1) return;
  std::fprintf(stderr, "cook: fatal: OpenSSL %s failed for SHA-256\n", what);
  std::abort();
}

}  // namespace

struct Sha256::Impl {
  EvpMdCtx ctx{EVP_MD_CTX_new()};
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  CheckEvp(impl_->ctx != nullptr, "EVP_MD_CTX_new");
  CheckEvp(EVP_DigestInit_ex(impl_->ctx.get(), EVP_sha256(), nullptr),
           "EVP_DigestInit_ex");
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::Update(std::string_view data) {
  CheckEvp(EVP_DigestUpdate(impl_->ctx.get(), data.data(), data.size()),
           "EVP_DigestUpdate");
  bytes_ += data.size();
}

absl::Status Sha256::Write(std::string_view data) {
  Update(data);
  return absl::OkStatus();
}

std::string Sha256::Finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  CheckEvp(EVP_DigestFinal_ex(impl_->ctx.get(), md, &length),
           "EVP_DigestFinal_ex");
  return "sha256:" +
         absl::BytesToHexString(
             absl::string_view(reinterpret_cast<const char*>(md), length));
}

std::string Sha256Hex(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256_CTX ctx;
  CheckEvp(SHA256_Init(&ctx), "SHA256_Init");
  CheckEvp(SHA256_Update(&ctx, data.data(), data.size()), "SHA256_Update");
  CheckEvp(SHA256_Final(md, &ctx), "SHA256_Final");
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(md), sizeof md));
}

}  // namespace cook
