#ifndef COOK_CACHE_VERDICT_H_
#define COOK_CACHE_VERDICT_H_

// A restore's verdict: whether a cache image helps the workspace on this
// runner, said before anything is downloaded. `cache hit`: same recipe,
// rustc, target triples and cargo options; `partial hit`: same toolchain and
// options, another recipe (cargo rebuilds the crates that changed); `cache
// miss`: another rustc, target triple or cargo options (cargo would rebuild
// every dependency). Judge compares labels only, so tests need no image.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cache/cargo_options.h"
#include "cache/format.h"
#include "cache/toolchain.h"
#include "chef/recipe.h"

namespace cook::cache {

enum class VerdictKind { kHit, kPartial, kMiss };

// Dependencies of the lockfile, by name: a name whose versions differ is
// changed.
struct CrateChanges {
  int added = 0;
  int removed = 0;
  int changed = 0;
  bool operator==(const CrateChanges&) const = default;
};

struct Verdict {
  VerdictKind kind = VerdictKind::kMiss;
  // A miss: what differs, each with the cache's and the runner's value. A
  // partial hit: what changed. A hit: none.
  std::vector<std::string> reasons;
  // A partial hit: the crates added, removed or changed; nullopt when the
  // image does not record its crates (made before kLabelLockPackages).
  std::optional<CrateChanges> crates;
  // A miss: how to match the cache (its toolchain, options, targets).
  std::string hint;
};

// What the runner would build: the cache it needs.
struct RunnerCache {
  CacheKey key;
  std::string targets;                     // TargetTriples
  std::vector<std::string> lock_packages;  // LockPackages
};

// The dependencies (packages with a source) of the recipe's Cargo.lock as
// sorted "name version" entries, the kLabelLockPackages value; none when the
// recipe has no lockfile. InvalidArgument when the lockfile does not parse.
absl::StatusOr<std::vector<std::string>> LockPackages(const chef::Recipe& recipe);

// Crates in `runner` and not in `image`, the reverse, and names in both
// whose versions differ (LockPackages entries).
CrateChanges CompareLockPackages(const std::vector<std::string>& image,
                                 const std::vector<std::string>& runner);

// The verdict on `image` (its labels) for `runner`.
Verdict Judge(const CacheImage& image, const RunnerCache& runner);

// "hit", "partial" or "miss".
const char* VerdictName(VerdictKind kind);

// One line: "cache hit: ...", "partial hit: ...", "cache miss: ...".
std::string VerdictLine(const Verdict& verdict);

// The runner's side: the recipe of the workspace at `manifest_path`
// (absolute), and `rustc -vV` asked through `probe` in the manifest's
// directory with `environment` (so that a toolchain file there applies);
// `scratch` is a writable directory. Errors say what was being done.
absl::StatusOr<RunnerCache> RunnerCacheFor(const std::filesystem::path& manifest_path,
                                           const CargoOptions& cargo,
                                           const std::vector<std::string>& environment,
                                           ToolchainProbe& probe,
                                           const std::filesystem::path& scratch);

}  // namespace cook::cache

#endif  // COOK_CACHE_VERDICT_H_
