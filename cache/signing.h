#ifndef COOK_CACHE_SIGNING_H_
#define COOK_CACHE_SIGNING_H_

// Signatures of cache images in cosign's format ("tag-based discovery"):
// for an image whose manifest digest is sha256:HEX, the tag `sha256-HEX.sig`
// of the same repository (of the same oci: layout) holds an OCI manifest
// whose layers are simple-signing payloads
//   {"critical":{"identity":{"docker-reference":REPO},
//                "image":{"docker-manifest-digest":DIGEST},
//                "type":"cosign container image signature"},"optional":null}
// of media type kSimpleSigningMediaType, each with the base64 DER
// ECDSA-SHA256 signature of its exact bytes in the annotation
// kSignatureAnnotation. Signing appends a layer and keeps the others;
// verifying accepts an image when one layer names its digest and the
// repository it was read from and verifies with one of the keys. Everything
// is read before any layer of the image is: a refused image costs a few
// small requests.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "base/progress.h"
#include "cache/signing_keys.h"
#include "oci/image.h"
#include "oci/reference.h"
#include "registry/session.h"

namespace cook::cache {

inline constexpr std::string_view kSimpleSigningMediaType =
    "application/vnd.dev.cosign.simplesigning.v1+json";
inline constexpr std::string_view kSignatureAnnotation = "dev.cosignproject.cosign/signature";
inline constexpr std::string_view kSignaturePayloadType = "cosign container image signature";
// The most cook reads of one payload, and of the signature manifests' layers.
inline constexpr int64_t kMaxPayloadSize = 64 * 1024;
inline constexpr size_t kMaxSignatureLayers = 100;

// What a signature of an image in `ref`'s repository names as its identity:
// docker:// gives "HOST[:PORT]/REPOSITORY" (Docker Hub's images as cosign
// names them, "index.docker.io/library/rust"); oci: gives "oci:" and the
// layout directory's absolute path, symlinks resolved. docker-archive: and
// scratch hold no signatures (InvalidArgument).
absl::StatusOr<std::string> SignatureIdentity(const oci::ImageReference& ref);

// Whether the identity a payload claims names `identity` (from
// SignatureIdentity): a tag or digest the claim carries is ignored, and
// Docker Hub's names ("docker.io", "index.docker.io", "library/") are equal.
bool SameIdentity(std::string_view claimed, std::string_view identity);

// "sha256-HEX.sig" for "sha256:HEX".
std::string SignatureTag(std::string_view digest);

// The reference of the signatures of `digest` in `ref`'s repository or layout.
oci::ImageReference SignatureReference(const oci::ImageReference& ref, std::string_view digest);

// The payload bytes cook signs, exactly as cosign writes them.
std::string SignaturePayload(std::string_view identity, std::string_view digest);

struct PayloadClaims {
  std::string identity;  // critical.identity.docker-reference
  std::string digest;    // critical.image.docker-manifest-digest
};

// Parses a payload (at most kMaxPayloadSize bytes): the type must be
// kSignaturePayloadType. InvalidArgument says what is wrong.
absl::StatusOr<PayloadClaims> ParsePayload(std::string_view bytes);

// One signature found for an image.
struct FoundSignature {
  std::string subject;         // the digest it was looked up for
  std::string payload_digest;  // the layer's
  PayloadClaims claims;        // empty when the payload could not be read
  std::string key_id;          // the verifying key's id; empty: no key verifies it
  std::string key_name;        // that key's file
  std::string problem;         // why it does not count (raw text); empty when it does
  bool verified() const { return problem.empty(); }
};

// The signatures of each of `subjects` (digests of the image: its manifest,
// and the index it was chosen from) in `ref`'s repository, each checked
// against `keys`: the first kMaxSignatureLayers of each signature tag. No
// signature tag is no signature; a tag that cannot be read is one entry with
// no payload and the error as its problem. With `first_valid`, stops at the
// first signature that counts. Only a reference that holds no signatures
// (CheckSignable) is an error.
absl::StatusOr<std::vector<FoundSignature>> FindSignatures(
    const oci::ImageReference& ref, const std::vector<std::string>& subjects,
    const std::vector<VerifyingKey>& keys, registry::RegistrySession& registries,
    const std::filesystem::path& temp_dir, bool first_valid = false);

// Whether one of `found` counts.
bool AnyVerified(const std::vector<FoundSignature>& found);

// The digests a signature of the image `raw` (read from a reference) may
// name: the manifest's, and the index's it was chosen from.
std::vector<std::string> SignatureSubjects(const oci::RawManifest& raw);

// OK when `raw`, read from `ref`, carries a signature that one of `keys`
// verifies (and says so on `progress`); otherwise PermissionDenied, prefixed
// with `context`, saying why each signature found does not count. With no
// keys, OK without looking.
absl::Status VerifyImage(const oci::ImageReference& ref, const oci::RawManifest& raw,
                         const std::vector<VerifyingKey>& keys, const std::string& context,
                         registry::RegistrySession& registries,
                         const std::filesystem::path& temp_dir, Progress& progress);

// Adds `key`'s signature of `digest` to `dest`'s repository or layout,
// keeping the signatures there; does nothing when one by this key is there.
// Call before the image's tag moves, so that a signed tag is never seen
// unsigned.
absl::Status SignImage(const oci::ImageReference& dest, const std::string& digest,
                       const SigningKey& key, registry::RegistrySession& registries,
                       const std::filesystem::path& temp_dir, Progress& progress);

// InvalidArgument, naming `flag`, for a reference that cannot hold or
// carry signatures (docker-archive:, scratch).
absl::Status CheckSignable(const oci::ImageReference& ref, std::string_view flag);

}  // namespace cook::cache

#endif  // COOK_CACHE_SIGNING_H_
