#ifndef COOK_CHEF_SKELETON_H_
#define COOK_CHEF_SKELETON_H_

// Materialises a recipe: the stub workspace that compiles every dependency
// and nothing of the workspace's own code.

#include <filesystem>
#include <string_view>

#include "absl/status/status.h"
#include "chef/recipe.h"

namespace cook::chef {

inline constexpr std::string_view kMainStub = "fn main() {}\n";

// Writes the manifests, Cargo.lock, cargo config, toolchain file and one stub
// per target source into `out_dir`, which must be absent or an empty
// directory (FailedPrecondition otherwise: it never overwrites a file); an
// invalid recipe (ValidateRecipe) is InvalidArgument. The
// tree is written into a temporary sibling and renamed into place, so an
// error leaves nothing behind. Parent directories are created.
absl::Status WriteSkeleton(const Recipe& recipe,
                           const std::filesystem::path& out_dir);

// Where cargo must run inside a skeleton written to `out_dir`.
std::filesystem::path SkeletonWorkspaceRoot(
    const Recipe& recipe, const std::filesystem::path& out_dir);

}  // namespace cook::chef

#endif  // COOK_CHEF_SKELETON_H_
