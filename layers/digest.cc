#include "layers/digest.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/text.h"

namespace cook::layers {
namespace {

constexpr std::string_view kSha256Prefix = "sha256:";
constexpr size_t kSha256HexLength = 64;

}  // namespace

std::string Sha256Digest(std::string_view data) {
  return std::string(kSha256Prefix) + Sha256Hex(data);
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
