#ifndef COOK_CHEF_CARGO_CONFIG_H_
#define COOK_CHEF_CARGO_CONFIG_H_

// The workspace root's cargo configuration (.cargo/config or
// .cargo/config.toml), as the skeleton carries it.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "chef/toml_value.h"

namespace cook::chef {

struct CargoConfig {
  std::string relative_path;  // ".cargo/config" or ".cargo/config.toml"
  // The configuration, with relative `directory` and `local-registry`
  // sources made absolute: the skeleton refers to vendored crates where
  // they are, never copies them.
  TomlTable doc;
  std::vector<std::filesystem::path> directory_sources;  // absolute, sorted
  // Directories of [patch.*] path entries (local crates substituted for
  // registry ones), absolute.
  std::vector<std::filesystem::path> patch_dirs;
};

// Reads `dir`/.cargo/config or, failing that, `dir`/.cargo/config.toml (cargo
// prefers the former). Nullopt when neither exists. Relative paths in it are
// relative to `dir`, as cargo resolves them. TOML errors are
// "`path`:LINE:COLUMN: message".
absl::StatusOr<std::optional<CargoConfig>> ReadCargoConfig(
    const std::filesystem::path& dir);

}  // namespace cook::chef

#endif  // COOK_CHEF_CARGO_CONFIG_H_
