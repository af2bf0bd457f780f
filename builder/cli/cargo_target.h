#ifndef COOK_BUILDER_CLI_CARGO_TARGET_H_
#define COOK_BUILDER_CLI_CARGO_TARGET_H_

// What `cook build` does to a cargo target directory between the build and
// the snapshot: drop the local crates' own units, and find the time the
// layer must carry for the restored cache to be fresh.

#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cook::cli {

struct LocalCrate {
  std::string package;               // package name, e.g. "oven-macros"
  std::vector<std::string> targets;  // target names, e.g. "oven-macros", "bakery"
};

// Removes every artifact, fingerprint, dep-info, build-script directory and
// incremental state of `crates` from every profile directory of `target_dir`
// (host and cross targets alike), so that real sources always rebuild them.
// Returns the number of paths removed.
absl::StatusOr<int> DropLocalUnits(const std::filesystem::path& target_dir,
                                   const std::vector<LocalCrate>& crates);

// The newest modification time of the source files that the remaining
// units' dep-info files (deps/*.d) name, rounded up to a whole second, or
// InfinitePast() when there are none. Paths under `ignore` (the skeleton)
// do not count.
absl::StatusOr<absl::Time> NewestSourceTime(const std::filesystem::path& target_dir,
                                            const std::filesystem::path& ignore);

}  // namespace cook::cli

#endif  // COOK_BUILDER_CLI_CARGO_TARGET_H_
