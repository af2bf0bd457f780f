#ifndef COOK_CACHE_FORMAT_H_
#define COOK_CACHE_FORMAT_H_

// The cache image format: the contract between `cook build`, which writes a
// cache image, and `cook restore` and the next build's up-to-date check and
// layer reuse, which read it. The labels say how and from what the image was
// built and which layers hold the target directory and the cargo home; the
// crate-to-layer assignment says which layer an entry goes to. Changing any
// constant here changes every image cook writes.

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "oci/image.h"

namespace cook::cache {

inline constexpr char kLabelRecipeDigest[] = "dev.cook.recipe.digest";
inline constexpr char kLabelCargoOptions[] = "dev.cook.cargo.options";
inline constexpr char kLabelRustcVersion[] = "dev.cook.rustc.version";
inline constexpr char kLabelCargoVersion[] = "dev.cook.cargo.version";
inline constexpr char kLabelTargets[] = "dev.cook.targets";
// Where the target directory and the cargo home are in the image.
inline constexpr char kLabelTargetDir[] = "dev.cook.target-dir";
inline constexpr char kLabelCargoHome[] = "dev.cook.cargo-home";
// Comma-separated diff_ids of the layers holding each.
inline constexpr char kLabelTargetLayers[] = "dev.cook.layers.target";
inline constexpr char kLabelCargoHomeLayers[] = "dev.cook.layers.cargo-home";
// The lockfile's dependencies (packages with a source), sorted "name
// version" entries joined by commas: what a restore's verdict counts as
// crates added, removed or changed. Images made before it lack it.
inline constexpr char kLabelLockPackages[] = "dev.cook.lock.packages";

// Buckets the crates of a target directory and of a cargo home go to: well
// under the ~127 layers overlay file systems stack, fine enough that one
// changed crate rewrites a small part of the cache.
inline constexpr int kTargetBuckets = 16;
inline constexpr int kCargoHomeBuckets = 4;
// Layer groups: "crates-NN" (NN the bucket, two digits), "shared" for what
// belongs to no crate, and "unused" for units the build did not use, which
// are never written. A group too large for one layer is split into parts
// "<group>#<n>".
inline constexpr char kSharedGroup[] = "shared";
inline constexpr char kUnusedGroup[] = "unused";

// A stable bucket in [0, buckets) for a crate name: FNV-1a (32 bits) of its
// bytes modulo `buckets`, the same on every machine and in every version of
// cook. 0 when `buckets` < 1.
int CrateBucket(std::string_view crate, int buckets);

// The layer group of an entry of a target directory (`relative` to it):
// kUnusedGroup when it belongs to a unit not in `used` (TargetEntryUnitHash),
// else the group of its crate (TargetEntryCrate) among kTargetBuckets.
std::string TargetLayerGroup(std::string_view relative, const std::set<std::string>& used);
// The same for an entry of a cargo home (CargoHomeEntryCrate) among
// kCargoHomeBuckets; never kUnusedGroup.
std::string CargoHomeLayerGroup(std::string_view relative);
// True for kUnusedGroup and its parts.
bool IsUnusedGroup(const std::string& group);

// What decides whether an image is the cache a build would make: an image
// whose key equals the build's is up to date.
struct CacheKey {
  std::string recipe_digest;  // "sha256:..."
  std::string cargo_options;  // OptionsLabel
  std::string rustc_version;  // `rustc -vV`, trailing whitespace stripped
  bool operator==(const CacheKey&) const = default;
};

// The labels of a cache image, parsed.
struct CacheImage {
  CacheKey key;
  std::string cargo_version;  // `cargo -V`, trailing whitespace stripped
  std::string targets;        // the target triples, comma-separated
  std::string target_dir;     // where the target directory is in the image
  std::string cargo_home;     // where the cargo home is in the image
  std::vector<std::string> target_layers;      // diff_ids, in image order
  std::vector<std::string> cargo_home_layers;  // diff_ids, in image order
  // kLabelLockPackages, split; nullopt when the image lacks the label.
  std::optional<std::vector<std::string>> lock_packages;
};

// The label's value, or "" when the config has no such label.
std::string Label(const oci::ImageConfig& config, const std::string& key);

// The labels of any image as a CacheImage: missing labels are empty. Never
// fails; what does not parse as a cook cache simply matches no key.
CacheImage ReadCacheLabels(const oci::ImageConfig& config);

// `image` as labels, added to (or replacing those in) `labels`.
void WriteCacheLabels(const CacheImage& image, std::map<std::string, std::string>& labels);

// The labels of an image to restore from, validated against its config and
// manifest (`manifest_layers` layers): InvalidArgument, naming `context`,
// when it is not a cook cache image, when the config and manifest list
// different layers, when a label names a layer the image lacks, or when no
// label names any layer.
absl::StatusOr<CacheImage> ParseCacheImage(const oci::ImageConfig& config,
                                           size_t manifest_layers,
                                           const std::string& context);

}  // namespace cook::cache

#endif  // COOK_CACHE_FORMAT_H_
