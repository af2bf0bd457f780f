#ifndef COOK_CHEF_PRUNE_H_
#define COOK_CHEF_PRUNE_H_

// `--bin NAME`: keeps only what one package needs, computed from the
// manifests and Cargo.lock without cargo.

#include <filesystem>
#include <map>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "chef/lockfile.h"
#include "chef/targets.h"
#include "chef/workspace.h"

namespace cook::chef {

// Selects the member named `name`, or else the member with a binary named
// `name`, and keeps only the local packages it reaches through path
// dependencies and lockfile edges (a non-virtual root package is always
// kept). Rewrites the root manifest: `members` as the concrete paths of the
// kept members, no `default-members`, only the [workspace.dependencies] kept
// packages inherit, only the [patch]/[replace] entries still used. Filters
// `lock` (may be null) to the packages reachable from the kept members.
//
// The filtered lockfile can keep a package that cargo would drop (a
// dependency only an unselected member activated a feature for): cargo then
// trims it; `--locked` would refuse that.
//
// Errors: NotFound when nothing is named `name`, InvalidArgument when
// several members have such a binary.
absl::Status PruneForBin(
    Workspace& ws, Lockfile* lock, std::string_view name,
    std::map<std::filesystem::path, std::vector<Target>>& targets);

}  // namespace cook::chef

#endif  // COOK_CHEF_PRUNE_H_
