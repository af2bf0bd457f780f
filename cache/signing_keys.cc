#include "cache/signing_keys.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/c_handle.h"
#include "base/files.h"
#include "base/sha256.h"
#include "base/status_macros.h"
#include "base/text.h"

namespace cook::cache {
namespace internal {

struct PkeyHandle {
  std::unique_ptr<EVP_PKEY, FreeWith<&EVP_PKEY_free>> pkey;
};

}  // namespace internal
namespace {

using internal::PkeyHandle;
using Bio = std::unique_ptr<BIO, FreeWith<&BIO_free>>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, FreeWith<&EVP_MD_CTX_free>>;

// A key file is a few hundred bytes; anything past this is not one.
constexpr int64_t kMaxKeyFile = 64 * 1024;
constexpr char kCurve[] = "prime256v1";
constexpr char kMakeKey[] =
    "make one with: openssl ecparam -genkey -name prime256v1 -noout -out cook.key";

// OpenSSL's first queued error as text (the queue is emptied).
std::string OpensslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no PEM key found";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

// Never prompts: an encrypted key fails to load instead.
int NoPassword(char*, int, int, void*) { return 0; }

absl::Status KeyError(std::string_view name, const std::string& what, const std::string& hint) {
  return absl::InvalidArgumentError(absl::StrCat(EscapeForDisplay(name), ": ", what,
                                                 hint.empty() ? "" : "\nhint: ", hint));
}

bool HasBlock(std::string_view pem, std::string_view type) {
  return pem.find(absl::StrCat("-----BEGIN ", std::string(type), "-----")) !=
         std::string_view::npos;
}

size_t CountBlocks(std::string_view pem, std::string_view type) {
  const std::string marker = absl::StrCat("-----BEGIN ", std::string(type), "-----");
  size_t count = 0;
  for (size_t at = pem.find(marker); at != std::string_view::npos;
       at = pem.find(marker, at + marker.size())) {
    ++count;
  }
  return count;
}

bool HasPrivateKey(std::string_view pem) {
  return pem.find("PRIVATE KEY-----") != std::string_view::npos;
}

// "an" before a vowel sound ("an RSA key", "an ED25519 key"), else "a".
std::string Article(const char* name) {
  return name != nullptr && std::string_view("AEFHILMNORSXaeiou").find(name[0]) !=
                                std::string_view::npos
             ? "an"
             : "a";
}

// The key file's text; a missing one says where keys come from.
absl::StatusOr<std::string> ReadKeyFile(const std::filesystem::path& file) {
  absl::StatusOr<std::string> pem = ReadFileAtMost(file, kMaxKeyFile);
  if (absl::IsNotFound(pem.status())) {
    return absl::NotFoundError(absl::StrCat(
        pem.status().message(),
        "\nhint: in CI, write the key from your secret store to a file first"));
  }
  return pem;
}

// Refuses anything but an EC key on P-256.
absl::Status CheckP256(const EVP_PKEY* key, std::string_view name) {
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) {
    const char* type = EVP_PKEY_get0_type_name(key);
    if (type == nullptr) type = "unknown";
    return KeyError(name, absl::StrCat(Article(type), " ", type,
                                       " key; cook signs and verifies with ECDSA P-256 keys"),
                    kMakeKey);
  }
  char group[64] = {};
  size_t length = 0;
  if (EVP_PKEY_get_group_name(key, group, sizeof(group), &length) != 1 ||
      std::string_view(group, length) != kCurve) {
    ERR_clear_error();
    return KeyError(name,
                    absl::StrCat("an EC key on curve ", std::string(group, length),
                                 "; cook signs and verifies with P-256 (prime256v1) keys"),
                    kMakeKey);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<VerifyingKey> VerifyingKey::FromHandle(std::shared_ptr<PkeyHandle> key,
                                                      std::string_view name) {
  RETURN_IF_ERROR(CheckP256(key->pkey.get(), name));
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(key->pkey.get(), &der);
  if (length <= 0) {
    return KeyError(name, absl::StrCat("cannot encode the public key: ", OpensslError()), "");
  }
  const std::string spki(reinterpret_cast<const char*>(der), static_cast<size_t>(length));
  OPENSSL_free(der);
  return VerifyingKey(std::move(key), Sha256Hex(spki), std::string(name));
}

absl::StatusOr<VerifyingKey> VerifyingKey::Load(const std::filesystem::path& file) {
  ASSIGN_OR_RETURN(std::string pem, ReadKeyFile(file));
  return FromPem(pem, file.string());
}

absl::StatusOr<VerifyingKey> VerifyingKey::FromPem(std::string_view pem, std::string_view name) {
  if (CountBlocks(pem, "PUBLIC KEY") > 1) {
    return KeyError(name, "more than one public key in one file",
                    "give each key with a --verify-key of its own");
  }
  if (!HasBlock(pem, "PUBLIC KEY")) {
    if (HasPrivateKey(pem)) {
      return KeyError(name, "a private key, where a public key belongs",
                      "give its public key: openssl ec -in KEY -pubout -out cook.pub");
    }
    if (HasBlock(pem, "CERTIFICATE")) {
      return KeyError(name, "a certificate, where a public key belongs",
                      "openssl x509 -in CERT -pubkey -noout > cook.pub");
    }
    return KeyError(name, "not a PEM public key (-----BEGIN PUBLIC KEY-----)", "");
  }
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  auto key = std::make_shared<PkeyHandle>();
  key->pkey.reset(PEM_read_bio_PUBKEY(bio.get(), nullptr, &NoPassword, nullptr));
  if (key->pkey == nullptr) {
    return KeyError(name, absl::StrCat("not a valid public key: ", OpensslError()), "");
  }
  return FromHandle(std::move(key), name);
}


bool VerifyingKey::Verify(std::string_view message, std::string_view der_signature) const {
  MdCtx ctx(EVP_MD_CTX_new());
  const bool valid =
      ctx != nullptr &&
      EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_->pkey.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(der_signature.data()),
                       der_signature.size(),
                       reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) == 1;
  ERR_clear_error();
  return valid;
}

absl::StatusOr<SigningKey> SigningKey::Load(const std::filesystem::path& file) {
  ASSIGN_OR_RETURN(std::string pem, ReadKeyFile(file));
  return FromPem(pem, file.string());
}

absl::StatusOr<SigningKey> SigningKey::FromPem(std::string_view pem, std::string_view name) {
  if (HasBlock(pem, "ENCRYPTED SIGSTORE PRIVATE KEY") ||
      HasBlock(pem, "ENCRYPTED COSIGN PRIVATE KEY")) {
    return KeyError(name,
                    "a cosign key (encrypted with a password), which cook cannot read",
                    absl::StrCat(kMakeKey,
                                 ", and give it to cosign too with cosign import-key-pair"));
  }
  if (HasBlock(pem, "ENCRYPTED PRIVATE KEY") ||
      pem.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos) {
    return KeyError(name, "an encrypted private key; cook never asks for a password",
                    "decrypt it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out cook.key");
  }
  if (!HasPrivateKey(pem)) {
    if (HasBlock(pem, "PUBLIC KEY")) {
      return KeyError(name, "a public key, where the private key belongs", "");
    }
    return KeyError(name, "not a PEM private key", kMakeKey);
  }
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  auto key = std::make_shared<PkeyHandle>();
  key->pkey.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, &NoPassword, nullptr));
  if (key->pkey == nullptr) {
    return KeyError(name, absl::StrCat("not a valid private key: ", OpensslError()), "");
  }
  RETURN_IF_ERROR(CheckP256(key->pkey.get(), name));
  // The public half, as a key of its own: what verifiers are given.
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(key->pkey.get(), &der);
  const unsigned char* cursor = der;
  auto public_key = std::make_shared<PkeyHandle>();
  public_key->pkey.reset(length > 0 ? d2i_PUBKEY(nullptr, &cursor, length) : nullptr);
  OPENSSL_free(der);
  if (public_key->pkey == nullptr) {
    return KeyError(name, absl::StrCat("cannot derive the public key: ", OpensslError()), "");
  }
  ASSIGN_OR_RETURN(VerifyingKey verifying, VerifyingKey::FromHandle(std::move(public_key), name));
  return SigningKey(std::move(key), std::move(verifying));
}

absl::StatusOr<std::string> SigningKey::Sign(std::string_view message) const {
  MdCtx ctx(EVP_MD_CTX_new());
  size_t length = 0;
  if (ctx == nullptr ||
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_->pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length,
                     reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1) {
    return absl::InternalError(absl::StrCat("signing: ", OpensslError()));
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1) {
    return absl::InternalError(absl::StrCat("signing: ", OpensslError()));
  }
  signature.resize(length);
  return signature;
}

}  // namespace cook::cache
