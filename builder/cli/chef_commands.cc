// `cook prepare` and `cook skeleton`: thin wrappers over chef/.

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/files.h"
#include "base/status_macros.h"
#include "base/text.h"
#include "builder/cli/commands.h"
#include "base/json_line.h"
#include "chef/prepare.h"
#include "chef/recipe.h"
#include "chef/skeleton.h"
#include "nlohmann/json.hpp"

namespace cook::cli {

absl::Status RunPrepare(const PrepareCommand& command, std::FILE* out) {
  ASSIGN_OR_RETURN(chef::Recipe recipe,
                   Annotate(chef::Prepare({command.manifest_path, command.bin}),
                            "preparing the recipe"));
  const std::string bytes = chef::SerializeRecipe(recipe);
  const std::string digest = chef::RecipeDigest(bytes);
  // Like cargo with Cargo.lock: no fsync. The rename still means an
  // interrupted run leaves the old recipe or the new one, and a recipe is
  // cheap to prepare again; the fsync was a third of prepare's time.
  RETURN_IF_ERROR(Annotate(
      WriteFileAtomically(command.recipe_path, bytes, Durability::kNoSync),
      "writing the recipe"));
  if (command.common.json) {
    absl::FPrintF(out, "%s\n",
                  JsonLine(nlohmann::json({{"recipe", command.recipe_path},
                                           {"digest", digest}})));
  } else {
    absl::FPrintF(out, "%s\n", digest);
  }
  return absl::OkStatus();
}

absl::Status RunSkeleton(const SkeletonCommand& command, std::FILE* out) {
  ASSIGN_OR_RETURN(chef::Recipe recipe, chef::ReadRecipe(command.recipe_path));
  // chef's errors already say "writing the skeleton to DIR: ...".
  RETURN_IF_ERROR(chef::WriteSkeleton(recipe, command.out_dir));
  const std::string root =
      chef::SkeletonWorkspaceRoot(recipe, command.out_dir).string();
  if (command.common.json) {
    absl::FPrintF(out, "%s\n",
                  JsonLine(nlohmann::json({{"skeleton", command.out_dir},
                                           {"workspace_root", root}})));
  } else {
    absl::FPrintF(out, "%s\n", EscapeForDisplay(root));
  }
  return absl::OkStatus();
}

}  // namespace cook::cli
