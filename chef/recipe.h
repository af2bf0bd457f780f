#ifndef COOK_CHEF_RECIPE_H_
#define COOK_CHEF_RECIPE_H_

// The recipe: everything that decides how a workspace's dependencies build,
// and nothing else. It is the cache key (its digest) and the input of the
// skeleton. Serialised as canonical JSON: sorted keys, sorted lists, only
// relative paths of the workspace itself, no timestamps, so the same inputs
// give the same bytes on any machine and at any checkout path.
//
// Layout: every path is relative to the skeleton root, the deepest directory
// that holds the workspace and every local package (path dependencies
// outside the workspace included), with '/' separators. The workspace root
// is `workspace_root` inside it ("." when they are the same).

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace cook::chef {

// Bumped whenever the meaning of a field changes.
inline constexpr int kRecipeFormatVersion = 1;

enum class StubKind {
  kEmpty,  // libraries, harnessed tests and benches
  kMain,   // `fn main() {}`: binaries, examples, build scripts, harness = false
};

struct RecipeTarget {
  std::string name;  // cargo's target name
  std::string kind;  // "lib", "bin", "example", "test", "bench", "custom-build"
  std::vector<std::string> crate_types;
  std::string path;  // the stub source, relative to the skeleton root
  std::vector<std::string> required_features;
  StubKind stub = StubKind::kEmpty;

  friend bool operator==(const RecipeTarget&, const RecipeTarget&) = default;
};

// A local package: a workspace member or another path package. `cook build`
// drops the artifacts of these (by `name` and target names) from the
// target directory.
struct RecipePackage {
  std::string name;
  std::string version;        // as the skeleton has it (masked or not)
  std::string manifest_path;  // relative to the skeleton root
  bool member = false;
  bool version_masked = false;
  std::vector<RecipeTarget> targets;

  friend bool operator==(const RecipePackage&, const RecipePackage&) = default;
};

struct Recipe {
  // The workspace root inside the skeleton: cargo runs there.
  std::string workspace_root = ".";
  // Manifests, Cargo.lock, the cargo config and the toolchain file, by path
  // relative to the skeleton root.
  std::map<std::string, std::string> files;
  std::vector<RecipePackage> packages;  // sorted by manifest path
  // Directory sources of the cargo config (vendored crates), absolute,
  // referred to and never copied.
  std::vector<std::string> directory_sources;
  // The `rust-toolchain.toml` or `rust-toolchain` key of `files`, or empty.
  std::string toolchain_file;
  // The `--bin` selection the recipe was pruned for, or empty.
  std::string bin;

  friend bool operator==(const Recipe&, const Recipe&) = default;
};

// The canonical JSON bytes (ends with a newline).
std::string SerializeRecipe(const Recipe& recipe);

// "sha256:<hex>" of `serialized` (SerializeRecipe's output).
std::string RecipeDigest(std::string_view serialized);

// Parses and validates a recipe. A corrupt or foreign file is
// InvalidArgument "reading recipe `path`: ...": bad JSON, another format
// version, a path that is absolute or leaves the skeleton, a stub that is
// also a file.
absl::StatusOr<Recipe> ParseRecipe(std::string_view json,
                                   std::string_view path);

// Reads and parses the recipe file at `path` (`cook skeleton`, `cook build
// --recipe-path`). Errors say "reading the recipe: ..." or are ParseRecipe's.
absl::StatusOr<Recipe> ReadRecipe(const std::string& path);

// Checks what ParseRecipe checks beyond JSON types (WriteSkeleton calls it
// too): paths relative and inside the skeleton, no stub over a file, no path
// both a file and a directory, manifests and toolchain file present,
// directory sources absolute. InvalidArgument otherwise.
absl::Status ValidateRecipe(const Recipe& recipe);

// The toolchain file's contents, or nullopt.
std::optional<std::string> ToolchainFileContents(const Recipe& recipe);

}  // namespace cook::chef

#endif  // COOK_CHEF_RECIPE_H_
