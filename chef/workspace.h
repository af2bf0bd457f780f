#ifndef COOK_CHEF_WORKSPACE_H_
#define COOK_CHEF_WORKSPACE_H_

// Workspace discovery as cargo does it (cargo's `find_root`, `find_members`,
// `find_path_deps`, `is_excluded`), from the manifests alone: the root found
// from any member, `members` globs, `exclude`, virtual and non-virtual roots,
// path dependencies inside the root as implicit members. A members glob whose
// every match is excluded is removed from the root manifest's `members`: it
// adds no member, and the skeleton, which lacks the excluded directories,
// would make cargo take it literally. Also loads
// every other local package the build reads: path dependencies outside the
// root (or excluded), and [patch]/[replace] path entries.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "chef/manifest.h"

namespace cook::chef {

struct LocalPackage {
  std::filesystem::path manifest_path;  // absolute, lexically normal
  std::string name;
  // Effective version before masking: explicit, inherited from
  // [workspace.package], "0.0.0" when absent; empty when inherited from a
  // workspace that is not this one (outside path dependencies).
  std::string version;
  std::string edition;  // effective; "2015" when absent
  bool member = false;
  bool patched =
      false;  // substitutes a registry or git crate via [patch]/[replace]
  // The root manifest whose [workspace.package] and [workspace.dependencies]
  // `workspace = true` keys read; empty for a package without a workspace.
  std::filesystem::path workspace_manifest_path;

  std::filesystem::path dir() const { return manifest_path.parent_path(); }
};

struct Workspace {
  std::filesystem::path root_manifest_path;
  // The root manifest and every local package's manifest, by path.
  std::map<std::filesystem::path, Manifest> manifests;
  std::vector<LocalPackage> packages;  // sorted by manifest path
  // Roots of other workspaces that outside path dependencies inherit from
  // (loaded into `manifests`, part of the skeleton).
  std::vector<std::filesystem::path> other_roots;

  std::filesystem::path root_dir() const {
    return root_manifest_path.parent_path();
  }
  Manifest& root() { return manifests.at(root_manifest_path); }
  const Manifest& root() const { return manifests.at(root_manifest_path); }
  // The root's [workspace.package] and [workspace.dependencies], or null.
  const TomlTable* workspace_package() const;
  const TomlTable* workspace_dependencies() const;
  // The same tables of the workspace `package` inherits from, or null.
  const TomlTable* InheritedPackageTable(const LocalPackage& package) const;
  const TomlTable* InheritedDependencies(const LocalPackage& package) const;
  const LocalPackage* FindPackage(const std::filesystem::path& dir) const;
  LocalPackage* FindPackage(const std::filesystem::path& dir);
};

struct WorkspaceOptions {
  // Extra package directories that substitute registry crates (the cargo
  // config's [patch] entries); loaded as patched local packages.
  std::vector<std::filesystem::path> patch_dirs;
  // The root manifest, when the caller already ran FindWorkspaceRoot.
  std::filesystem::path root_manifest_path;
  // Manifests the caller has read already, by path: used, not read again,
  // when the workspace needs them (and only then in `Workspace::manifests`).
  std::map<std::filesystem::path, Manifest> read;
};

// Finds the workspace root manifest for `manifest_path` (an absolute
// Cargo.toml): itself when it has [workspace], the root `package.workspace`
// names, else the nearest ancestor with a [workspace] that does not exclude
// it, else itself (a package without a workspace).
absl::StatusOr<std::filesystem::path> FindWorkspaceRoot(
    const std::filesystem::path& manifest_path);
// The same for a manifest already read.
absl::StatusOr<std::filesystem::path> FindWorkspaceRoot(
    const Manifest& manifest);

// Loads the workspace that contains `manifest_path` (an absolute Cargo.toml).
// Errors: NotFound for a missing manifest or member, InvalidArgument for
// malformed manifests and for a package that its workspace does not list.
absl::StatusOr<Workspace> LoadWorkspace(
    const std::filesystem::path& manifest_path, WorkspaceOptions options = {});

}  // namespace cook::chef

#endif  // COOK_CHEF_WORKSPACE_H_
