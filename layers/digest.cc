#include "layers/digest.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_format.h"
#include "base/c_handle.h"
#include "base/text.h"

namespace cook::layers {
namespace {

using EvpMdCtx = std::unique_ptr<EVP_MD_CTX, FreeWith<&EVP_MD_CTX_free>>;

constexpr std::string_view kSha256Prefix = "sha256:";
constexpr size_t kSha256HexLength = 64;

// EVP_sha256 is built into libcrypto's default provider, so these calls only
// fail when memory runs out. Sha256 cannot report that through its
// interface (Update() returns nothing), and a digest silently computed over
// part of the data would be far worse than stopping.
void CheckEvp(int ok, const char* what) {
  if (ok == 1) return;
  std::fprintf(stderr, "cook: fatal: OpenSSL %s failed for SHA-256\n", what);
  std::abort();
}

std::string HexDigest(const unsigned char* md, unsigned int length) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(kSha256Prefix);
  out.reserve(kSha256Prefix.size() + 2 * static_cast<size_t>(length));
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xf]);
  }
  return out;
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
  return HexDigest(md, length);
}

std::string Sha256Digest(std::string_view data) {
  Sha256 sha;
  sha.Update(data);
  return sha.Finish();
}

absl::Status ValidateDigest(std::string_view digest) {
  bool ok = digest.size() == kSha256Prefix.size() + kSha256HexLength &&
            digest.substr(0, kSha256Prefix.size()) == kSha256Prefix;
  for (size_t i = kSha256Prefix.size(); ok && i < digest.size(); ++i) {
    const char c = digest[i];
    ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrFormat(
      "invalid digest \"%s\": want \"sha256:\" and 64 lowercase hex digits",
      EscapeForDisplay(digest)));
}

std::string_view DigestHex(std::string_view digest) {
  if (digest.substr(0, kSha256Prefix.size()) != kSha256Prefix) return {};
  return digest.substr(kSha256Prefix.size());
}

}  // namespace cook::layers
