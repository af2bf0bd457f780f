#ifndef COOK_CHEF_MANIFEST_H_
#define COOK_CHEF_MANIFEST_H_

// A Cargo.toml as an editable TOML tree, with the few accessors chef needs.
// Parsing takes text, not a path, so tests need no files.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "chef/toml_value.h"

namespace cook::chef {

struct Manifest {
  std::filesystem::path path;  // absolute and lexically normal
  TomlTable doc;

  std::filesystem::path dir() const { return path.parent_path(); }
  const TomlTable* package() const { return doc.FindTable("package"); }
  TomlTable* package() { return doc.FindTable("package"); }
  const TomlTable* workspace() const { return doc.FindTable("workspace"); }
  TomlTable* workspace() { return doc.FindTable("workspace"); }
  // REQUIRES: package() != nullptr (ParseManifest checks the name).
  std::string name() const;
};

// Parses a manifest. Errors are InvalidArgument: TOML syntax errors as
// "`path`:LINE:COLUMN: message", a manifest with neither [package] nor
// [workspace], a [package] without a string `name`.
absl::StatusOr<Manifest> ParseManifest(std::string_view text,
                                       const std::filesystem::path& path);
// Reads and parses `path` (a Cargo.toml). A missing file is NotFound.
absl::StatusOr<Manifest> ReadManifest(const std::filesystem::path& path);
// ReadManifest() of each of `paths`, in parallel (chef/parallel_map.h): what
// each one gave, its error included.
std::map<std::filesystem::path, absl::StatusOr<Manifest>> ReadManifests(
    const std::vector<std::filesystem::path>& paths);

enum class DependencyKind { kNormal, kDev, kBuild };

// One entry of a dependency table, editable in place.
struct DependencyEntry {
  DependencyKind kind;
  std::string platform;  // the `target.<platform>` key, or empty
  std::string key;   // the name in the table (a rename, if `package` is set)
  TomlValue* value;  // a version string or a table inside the manifest
};

// The entries of [dependencies], [dev-dependencies], [build-dependencies]
// (and the legacy underscore spellings), then the same under each
// [target.<platform>], in that order. Pointers stay valid until `doc` changes
// shape.
std::vector<DependencyEntry> DependencyEntries(TomlTable& doc);

// The package a dependency names: `package` when renamed, else the key.
std::string DependencyPackageName(const DependencyEntry& entry);

// The directory of a path dependency, or nullopt for any other source.
// `path` is relative to `manifest_dir`; `{ workspace = true }` looks the key
// up in `workspace_dependencies` (the root's [workspace.dependencies]), whose
// paths are relative to `workspace_dir`.
std::optional<std::filesystem::path> PathDependencyDir(
    const DependencyEntry& entry, const std::filesystem::path& manifest_dir,
    const TomlTable* workspace_dependencies,
    const std::filesystem::path& workspace_dir);

// The value of package `key` (`version`, `edition`...), following
// `key.workspace = true` into `workspace_package` ([workspace.package]).
// Nullopt when absent or not a string.
std::optional<std::string> PackageString(const TomlTable& package,
                                         std::string_view key,
                                         const TomlTable* workspace_package);
// True when package `key` is `{ workspace = true }`.
bool IsInherited(const TomlTable& package, std::string_view key);

// `base / relative`, lexically normalised, without a trailing separator.
std::filesystem::path JoinNormal(const std::filesystem::path& base,
                                 std::string_view relative);

}  // namespace cook::chef

#endif  // COOK_CHEF_MANIFEST_H_
