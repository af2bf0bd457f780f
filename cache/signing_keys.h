#ifndef COOK_CACHE_SIGNING_KEYS_H_
#define COOK_CACHE_SIGNING_KEYS_H_

// The keys of `--sign-key` and `--verify-key`: ECDSA P-256 in PEM files, as
// `openssl ecparam -genkey -name prime256v1` (or PKCS#8 from `openssl pkcs8
// -topk8 -nocrypt`) and `openssl ec -pubout` write them, and as cosign's
// `cosign.pub` is. Signatures are ECDSA over SHA-256, DER encoded: what
// cosign writes and `openssl dgst -sha256 -sign` makes.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace cook::cache {

namespace internal {
struct PkeyHandle;  // an OpenSSL EVP_PKEY, shared
}  // namespace internal

// A public key that signatures are checked against.
class VerifyingKey {
 public:
  // Reads a PEM public key ("-----BEGIN PUBLIC KEY-----"). Errors name the
  // file: a private key, another algorithm or curve, an unreadable file, and
  // anything that is not PEM, each with a hint.
  static absl::StatusOr<VerifyingKey> Load(const std::filesystem::path& file);
  // The same for PEM text; `name` stands for the file in errors.
  static absl::StatusOr<VerifyingKey> FromPem(std::string_view pem, std::string_view name);

  // True only for a valid DER ECDSA-SHA256 signature of `message` by this
  // key; malformed signatures are false.
  bool Verify(std::string_view message, std::string_view der_signature) const;

  // Lower-case hex SHA-256 of the key's DER SubjectPublicKeyInfo: cosign's key
  // id, and `openssl pkey -pubin -outform DER | sha256sum`.
  const std::string& id() const { return id_; }
  // The file (or name) it was read from.
  const std::string& name() const { return name_; }

 private:
  friend class SigningKey;
  // Checks the key (P-256) and computes its id.
  static absl::StatusOr<VerifyingKey> FromHandle(std::shared_ptr<internal::PkeyHandle> key,
                                                 std::string_view name);
  VerifyingKey(std::shared_ptr<internal::PkeyHandle> key, std::string id, std::string name)
      : key_(std::move(key)), id_(std::move(id)), name_(std::move(name)) {}
  std::shared_ptr<internal::PkeyHandle> key_;
  std::string id_;
  std::string name_;
};

// A private key that signs.
class SigningKey {
 public:
  // Reads a PEM private key ("EC PRIVATE KEY", optionally after "EC
  // PARAMETERS", or unencrypted PKCS#8 "PRIVATE KEY"). Encrypted keys
  // (PKCS#8 or cosign's own format) are refused with a hint: cook never
  // prompts for a password.
  static absl::StatusOr<SigningKey> Load(const std::filesystem::path& file);
  static absl::StatusOr<SigningKey> FromPem(std::string_view pem, std::string_view name);

  // A DER ECDSA-SHA256 signature of `message` (randomised: two calls differ).
  absl::StatusOr<std::string> Sign(std::string_view message) const;

  const VerifyingKey& public_key() const { return public_key_; }

 private:
  SigningKey(std::shared_ptr<internal::PkeyHandle> key, VerifyingKey public_key)
      : key_(std::move(key)), public_key_(std::move(public_key)) {}
  std::shared_ptr<internal::PkeyHandle> key_;
  VerifyingKey public_key_;
};

}  // namespace cook::cache

#endif  // COOK_CACHE_SIGNING_KEYS_H_
