#ifndef COOK_CHEF_MASKING_H_
#define COOK_CHEF_MASKING_H_

// Version masking: local crate versions change with every release but never
// change how dependencies build, so the recipe must not see them. Masked are
// members' and other local packages' `package.version`,
// `workspace.package.version`, the `version` of path dependencies on masked
// crates (renamed ones, [workspace.dependencies] and target tables too) and
// their Cargo.lock entries. A crate that [patch]/[replace] substitutes for a
// registry crate is never masked: registry crates' requirements must still
// match it.

#include <filesystem>
#include <set>

#include "absl/status/statusor.h"
#include "chef/lockfile.h"
#include "chef/workspace.h"

namespace cook::chef {

// The version every masked local crate gets.
inline constexpr char kMaskedVersion[] = "0.0.1";

// Masks `ws`'s manifests and `lock` (may be null) in place, keeping them
// consistent with each other. Returns the manifest paths of the masked
// packages; their LocalPackage::version becomes kMaskedVersion.
std::set<std::filesystem::path> MaskVersions(Workspace& ws, Lockfile* lock);

// Removes [lints] and [workspace.lints] (`lints.workspace = true` included):
// lints only concern local crates and would reject stub sources.
void StripLints(TomlTable& doc);

}  // namespace cook::chef

#endif  // COOK_CHEF_MASKING_H_
