#ifndef COOK_LAYERS_DIGEST_H_
#define COOK_LAYERS_DIGEST_H_

// SHA-256 digests in the OCI form "sha256:<64 lowercase hex>" (OpenSSL EVP).

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "base/sha256.h"

namespace cook::layers {

// The streaming hash lives in base/ (chef shares it); layers name it here.
using ::cook::Sha256;

// "sha256:<hex>" of `data`.
std::string Sha256Digest(std::string_view data);

// Checks that `digest` is "sha256:" followed by 64 lowercase hex digits.
absl::Status ValidateDigest(std::string_view digest);

// The hex part of a valid digest.
std::string_view DigestHex(std::string_view digest);

}  // namespace cook::layers

#endif  // COOK_LAYERS_DIGEST_H_
