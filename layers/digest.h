#ifndef COOK_LAYERS_DIGEST_H_
#define COOK_LAYERS_DIGEST_H_

// SHA-256 digests in the OCI form "sha256:<64 lowercase hex>" (OpenSSL EVP).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "base/io.h"

namespace cook::layers {

// A streaming SHA-256 that is also a ByteSink, so it can sit in a TeeSink.
class Sha256 : public ByteSink {
 public:
  Sha256();
  ~Sha256() override;
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void Update(std::string_view data);
  absl::Status Write(std::string_view data) override;
  // "sha256:<hex>". Ends the stream: call once.
  std::string Finish();
  uint64_t bytes() const { return bytes_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint64_t bytes_ = 0;
};

// "sha256:<hex>" of `data`.
std::string Sha256Digest(std::string_view data);

// Checks that `digest` is "sha256:" followed by 64 lowercase hex digits.
absl::Status ValidateDigest(std::string_view digest);

// The hex part of a valid digest.
std::string_view DigestHex(std::string_view digest);

}  // namespace cook::layers

#endif  // COOK_LAYERS_DIGEST_H_
