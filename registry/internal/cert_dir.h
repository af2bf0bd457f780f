#ifndef COOK_REGISTRY_INTERNAL_CERT_DIR_H_
#define COOK_REGISTRY_INTERNAL_CERT_DIR_H_

// The extra CA certificates of --cert-dir, checked with OpenSSL.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace cook::registry::internal {

// The most of a certificate file (or CA bundle) read into memory. A bundle
// of every public CA is about 200 KiB.
inline constexpr int64_t kMaxCertificateFileSize = int64_t{16} << 20;

// The PEM text of every certificate in `dir`'s *.crt files (sorted by
// name), each checked; "" for an empty `dir`. InvalidArgument for a
// directory that cannot be read or a file that is not PEM certificates.
absl::StatusOr<std::string> LoadCertDir(const std::string& dir);

}  // namespace cook::registry::internal

#endif  // COOK_REGISTRY_INTERNAL_CERT_DIR_H_
