#ifndef COOK_CACHE_INTERNAL_BUILD_STAGES_H_
#define COOK_CACHE_INTERNAL_BUILD_STAGES_H_

// The stages of cache::Build, in the order it runs them. Private to
// cache/build*.cc.

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/progress.h"
#include "cache/build.h"
#include "cache/format.h"
#include "cache/image_io.h"
#include "cache/toolchain.h"
#include "cache/work_area.h"
#include "chef/recipe.h"
#include "sandbox/sandbox.h"

namespace cook::cache::internal {

struct WorkPaths {
  std::filesystem::path root;        // the work area
  std::filesystem::path skeleton;
  std::filesystem::path workspace;   // the skeleton's workspace root
  std::filesystem::path cargo_home;
  std::filesystem::path target_dir;  // the work area's, or --target-dir
  std::filesystem::path messages;    // cargo build's JSON messages
};

// An earlier cache image (--cache-from), restored into the work area.
struct CacheFrom {
  std::optional<OpenedImage> image;
  // The diff_ids of its layers that the restore verified: only these may be
  // reused, since only their diff_ids are known to be true.
  std::set<std::string> verified;
  absl::Time created = absl::InfinitePast();
};

// What the cargo stages leave for the snapshot.
struct Built {
  WorkPaths paths;
  CacheKey key;
  Toolchain toolchain;
  std::set<std::string> used;  // the unit hashes the build used
  std::vector<std::string> lock_packages;  // the kLabelLockPackages value
};

// 1. The recipe: read from options.recipe_path, or prepared.
absl::StatusOr<chef::Recipe> LoadRecipe(const BuildOptions& options);

// 2. The skeleton, cargo home and target directory in `work`.
absl::StatusOr<WorkPaths> PrepareWorkArea(const WorkArea& work, const chef::Recipe& recipe,
                                          const BuildOptions& options);
// How cargo and rustc run: the filtered environment, the workspace, the
// writable and visible paths (argv is left empty).
sandbox::SandboxSpec CargoSpec(const BuildOptions& options, const chef::Recipe& recipe,
                               const WorkPaths& paths);

// 3. True when every destination already holds an image with `key` (and,
// with options.sign_key, a valid signature by that key).
absl::StatusOr<bool> AllUpToDate(const BuildOptions& options, const CacheKey& key,
                                 const oci::Platform& platform,
                                 registry::RegistrySession& registries);

// The --cache-from image's target directory and cargo home, restored into
// `paths` (nothing without --cache-from); its cache-key tag `key_tag` when
// it has one.
absl::StatusOr<CacheFrom> RestoreCacheFrom(const BuildOptions& options,
                                           const std::string& key_tag,
                                           const oci::Platform& platform,
                                           const WorkPaths& paths, Progress& progress,
                                           registry::RegistrySession& registries);

// 4. `cargo fetch` through the direct runner.
absl::Status Fetch(const BuildOptions& options, const Toolchain& toolchain,
                   sandbox::SandboxSpec spec, sandbox::SandboxRunner& direct,
                   Progress& progress);
// `cargo build` in the sandboxed runner, its JSON messages to
// `paths.messages`.
absl::Status CargoBuild(const BuildOptions& options, const Toolchain& toolchain,
                        sandbox::SandboxSpec spec, const WorkPaths& paths,
                        const BuildSeams& seams);

// 5. Drops the workspace's own units and what the build did not use, and
// cargo's nondeterministic bookkeeping; returns the units the build used.
absl::StatusOr<std::set<std::string>> Trim(const BuildOptions& options,
                                           const chef::Recipe& recipe,
                                           const WorkPaths& paths, Progress& progress);

// 6. Snapshots the target directory and cargo home in layers (taking those
// `cache` holds byte for byte from it) and writes the image on `base` to
// every destination.
absl::StatusOr<ImageResult> SnapshotAndAssemble(const BuildOptions& options,
                                                const Built& built, BaseImage& base,
                                                const CacheFrom& cache,
                                                Progress& progress,
                                                registry::RegistrySession& registries);

}  // namespace cook::cache::internal

#endif  // COOK_CACHE_INTERNAL_BUILD_STAGES_H_
