// `cook restore`: cache::Restore, and what it prints.

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "builder/cli/commands.h"
#include "base/json_line.h"
#include "cache/restore.h"
#include "nlohmann/json.hpp"

namespace cook::cli {

absl::Status RunRestore(const RestoreCommand& command, std::FILE* out,
                        Progress& progress, registry::RegistrySession& registries) {
  ASSIGN_OR_RETURN(const cache::RestoreResult result,
                   cache::Restore(command.restore, progress, registries));
  if (command.common.json) {
    const nlohmann::json doc = {{"image", result.image_digest},
                                {"recipe", result.cache.key.recipe_digest},
                                {"cargo_options", result.cache.key.cargo_options},
                                {"target_dir", command.restore.target_dir},
                                {"cargo_home", command.restore.cargo_home},
                                {"layers", result.layers}};
    absl::FPrintF(out, "%s\n", JsonLine(doc));
  }
  progress.Step(absl::StrFormat("restored %d layer%s; build with: cargo build %s",
                                result.layers, result.layers == 1 ? "" : "s",
                                result.cache.key.cargo_options));
  return absl::OkStatus();
}

}  // namespace cook::cli
