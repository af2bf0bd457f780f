#ifndef COOK_CACHE_FORMAT_H_
#define COOK_CACHE_FORMAT_H_

// The cache image format: the contract between `cook build`, which writes a
// cache image, and `cook restore` and the next build's up-to-date check and
// layer reuse, which read it. The labels say how and from what the image was
// built and which layers hold the target directory and the cargo home; the
// crate-to-layer assignment says which layer an entry goes to. Changing any
// constant here changes every image cook writes.

#include <cstddef>
#include <cstdint>
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

// The crate-to-layer assignment: which layer each entry of the target
// directory and of the cargo home goes to. A --cache-from image's layer is
// reused when its diff_id comes out the same, so the assignment is chosen so
// that adding or removing one crate rewrites few bytes, and it depends only
// on the entries' names and sizes (never on time, listing order or machine).
//
// 1. Each entry belongs to a crate group "crate-<name>" (<name> as
//    TargetEntryCrate and CargoHomeEntryCrate give it: never a '-'), to
//    kSharedGroup (entries of no crate), or, in the target directory, to
//    kUnusedGroup (units the build did not use: never written).
// 2. A crate group's size is the tar bytes of its entries (a 512-byte header
//    each, contents padded to 512; layers::PlanLayers' GroupBytes). A crate
//    of at least `own_layer_bytes` keeps a layer of its own, named after it
//    ("crate-serde"): it is rewritten only when that crate changes. The
//    threshold is absolute, so a crate changes sides only when it changes
//    itself, never because another crate came or went.
// 3. At most `max_own_layers` crates get one: past that, the largest do,
//    ties by name (byte order), so the number of layers has a hard cap.
// 4. Every other crate goes to a hash bucket "crates-NN", NN the two-digit
//    CrateBucket of its name among `buckets`: adding a small crate rewrites
//    only its bucket, which holds only small crates.
// 5. A group whose tar would pass `cook build --max-layer-size` is split in
//    archive order into parts "<group>#<n>" (layers::PlanLayers).
// Layers are ordered by group name. At most max_own_layers + buckets + 1
// (shared) layers per directory, before any split.
struct CrateLayout {
  uint64_t own_layer_bytes = 0;
  int max_own_layers = 0;
  int buckets = 1;
};
// 1 MiB: in the debug build of tests/fixtures/larder (48 crates), 33 crates
// reach it (a build script's binary alone is several MiB) and the other 15,
// 4 MB of 290, share the buckets.
inline constexpr uint64_t kOwnLayerBytes = uint64_t{1} << 20;
// The target directory (rlibs, rmetas, build-script binaries and outputs,
// fingerprints): at most 40 + 16 + 1 layers.
inline constexpr CrateLayout kTargetLayout{
    .own_layer_bytes = kOwnLayerBytes, .max_own_layers = 40, .buckets = 16};
// The cargo home (each crate's registry/src directory and .crate file, or
// git checkout and database; the registry index is shared): at most
// 16 + 4 + 1 layers.
inline constexpr CrateLayout kCargoHomeLayout{
    .own_layer_bytes = kOwnLayerBytes, .max_own_layers = 16, .buckets = 4};

inline constexpr char kCrateGroupPrefix[] = "crate-";
inline constexpr char kSharedGroup[] = "shared";
inline constexpr char kUnusedGroup[] = "unused";

// A stable bucket in [0, buckets) for a crate name: FNV-1a (32 bits) of its
// bytes modulo `buckets`, the same on every machine and in every version of
// cook. 0 when `buckets` < 1.
int CrateBucket(std::string_view crate, int buckets);

// The group (step 1) of an entry of a target directory (`relative` to it):
// kUnusedGroup when it belongs to a unit not in `used` (TargetEntryUnitHash),
// else its crate's group (TargetEntryCrate), or kSharedGroup.
std::string TargetEntryGroup(std::string_view relative, const std::set<std::string>& used);
// The same for an entry of a cargo home (CargoHomeEntryCrate); never
// kUnusedGroup.
std::string CargoHomeEntryGroup(std::string_view relative);

// Steps 2 to 4: the layer group of each crate group in `group_bytes` (the
// bytes of every group step 1 gave); other groups are not in the result.
std::map<std::string, std::string> AssignCrateLayers(
    const std::map<std::string, uint64_t>& group_bytes, const CrateLayout& layout);

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
