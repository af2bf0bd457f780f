#ifndef COOK_BASE_SHA256_H_
#define COOK_BASE_SHA256_H_

// SHA-256 (OpenSSL), in lowercase hex: the one implementation the recipe
// digest, layer digests and diff_ids share.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "base/io.h"

namespace cook {

// A streaming SHA-256 that is also a ByteSink, so it can sit in a TeeSink.
// Not thread-safe.
class Sha256 : public ByteSink {
 public:
  Sha256();
  ~Sha256() override;
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void Update(std::string_view data);
  absl::Status Write(std::string_view data) override;
  // "sha256:<hex>", the form OCI digests and the recipe digest take. Ends the
  // stream: call once.
  std::string Finish();
  uint64_t bytes() const { return bytes_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint64_t bytes_ = 0;
};

// Lowercase hex SHA-256 of `data` (64 characters), for small inputs: it
// skips the EVP start-up that Sha256 pays once per process.
std::string Sha256Hex(std::string_view data);

}  // namespace cook

#endif  // COOK_BASE_SHA256_H_
