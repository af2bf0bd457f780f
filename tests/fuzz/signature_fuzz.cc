// Signature payloads, identities and keys: ParsePayload, SameIdentity, the
// PEM key readers and ECDSA verification on the input.
//
// Checks: a payload that parses, written again with SignaturePayload, parses
// to the same claims; the input is never a valid signature of a fixed
// payload by a fixed key.

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/text.h"
#include "cache/signing.h"
#include "cache/signing_keys.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

// A P-256 public key (openssl ec -pubout of a throw-away key).
constexpr char kPublicKey[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEo8axy3h+X/Vqv5/g/X7tJqAThq6c\n"
    "nUoRsugWXc2MeCJcCDKxYCR/a1KM6B53P21eMZiqC0+Uo/nyiMNnOoY2yA==\n"
    "-----END PUBLIC KEY-----\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cook;
  const std::string_view input = fuzz::AsText(data, size);
  if (auto claims = cache::ParsePayload(input); claims.ok()) {
    if (ToValidUtf8(claims->identity) == claims->identity &&
        ToValidUtf8(claims->digest) == claims->digest) {
      const std::string again = cache::SignaturePayload(claims->identity, claims->digest);
      auto reparsed = cache::ParsePayload(again);
      fuzz::Check(reparsed.ok(), "a written payload does not parse", again);
      fuzz::Check(reparsed->identity == claims->identity && reparsed->digest == claims->digest,
                  "a written payload parses to other claims", again);
    }
  }
  (void)cache::SameIdentity(input, "127.0.0.1:5000/cook/cache");
  (void)cache::SameIdentity(input, "oci:/tmp/layout");
  (void)cache::SameIdentity("docker.io/rust", input);
  (void)cache::VerifyingKey::FromPem(input, "fuzz");
  (void)cache::SigningKey::FromPem(input, "fuzz");
  static const cache::VerifyingKey* key =
      new cache::VerifyingKey(cache::VerifyingKey::FromPem(kPublicKey, "fixed").value());
  fuzz::Check(!key->Verify(cache::SignaturePayload("h/r", "sha256:00"), input),
              "random bytes verify as a signature");
  return 0;
}
