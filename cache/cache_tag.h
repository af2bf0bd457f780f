#ifndef COOK_CACHE_CACHE_TAG_H_
#define COOK_CACHE_CACHE_TAG_H_

// Cache-key tags: every tagged destination of `cook build` also gets the tag
// "cook-" + the first 16 hex digits of the cache key (a digest of the recipe
// digest, the cargo options label, the rustc version and the target
// triples), so that `cook restore` and `cook build --cache-from` can find the
// exact cache for a workspace and toolchain in the same repository or
// layout, and fall back to the tag they were given (a branch tag) otherwise.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/progress.h"
#include "cache/cargo_options.h"
#include "cache/format.h"
#include "cache/image_io.h"
#include "cache/signing_keys.h"
#include "oci/image.h"
#include "oci/reference.h"
#include "registry/session.h"

namespace cook::cache {

// The target triples a build makes, as the dev.cook.targets label says them:
// the --target options joined by commas, else the host rustc reports.
std::string TargetTriples(const CargoOptions& cargo, const std::string& host);

// "sha256:<hex>" over the canonical JSON array [recipe digest, cargo options
// label, rustc version, target triples]. Part of the image format: the same
// inputs give the same digest in every version of cook.
std::string CacheKeyDigest(const CacheKey& key, std::string_view targets);

// "cook-" + the first 16 hex digits of CacheKeyDigest.
std::string CacheKeyTag(const CacheKey& key, std::string_view targets);

// `ref` under `tag` instead of its own: for a docker:// reference with a tag
// (not a digest) and an oci: layout. nullopt for anything else: a digest
// names one image, and a docker-archive: file holds one image.
std::optional<oci::ImageReference> WithTag(const oci::ImageReference& ref,
                                           const std::string& tag);

// An image found by LookUpCache.
struct FoundCache {
  OpenedImage image;
  oci::ImageReference ref;  // what was opened
  bool by_key_tag = false;  // `ref` is the cache-key tag
};

// Whether an image found may be used (cache::VerifyImage under
// --verify-key): PermissionDenied when it may not.
using AcceptImage =
    std::function<absl::Status(const oci::ImageReference&, const oci::RawManifest&)>;

// An AcceptImage that verifies the image's signature with `keys`
// (VerifyImage; errors begin with `doing` and the reference); null without
// keys. The arguments must outlive it.
AcceptImage VerifyWith(const std::vector<VerifyingKey>& keys, const std::string& doing,
                       registry::RegistrySession& registries, const std::string& temp_dir,
                       Progress& progress);

// Opens `ref` under `key_tag` (WithTag) when it has one, `key_tag` is not
// empty and that tag exists, else `ref` itself; says which through
// `progress`. Errors other than NotFound while looking for the key tag are
// returned (a registry that refuses us would refuse `ref` too). With
// `accept`, each image's manifest must pass it before anything else of the
// image is read; then any failure at the key tag (a refusal, a broken
// config, unreadable signatures: whoever can push there could plant them)
// passes it over, with a warning, for `ref`, whose failure is returned.
// Errors name `context`.
absl::StatusOr<FoundCache> LookUpCache(const oci::ImageReference& ref,
                                       const std::string& key_tag,
                                       const oci::Platform& platform,
                                       const std::string& context,
                                       registry::RegistrySession& registries,
                                       const std::string& temp_dir, Progress& progress,
                                       const AcceptImage& accept = nullptr);

// Gives every destination WithTag(dest, tag) accepts that tag too: the same
// manifest (`raw`, already written there with its blobs) under one more tag.
// Returns the references tagged.
absl::StatusOr<std::vector<std::string>> AddKeyTag(
    const std::vector<oci::ImageReference>& dests, const oci::RawManifest& raw,
    const std::string& tag, registry::RegistrySession& registries, Progress& progress);

}  // namespace cook::cache

#endif  // COOK_CACHE_CACHE_TAG_H_
