// `cook assemble`: cache::Assemble, and what it prints.

#include "base/status_macros.h"
#include "builder/cli/commands.h"
#include "builder/cli/image_io.h"
#include "cache/assemble.h"

namespace cook::cli {

absl::Status RunAssemble(const AssembleCommand& command, std::FILE* out,
                         Progress& progress, registry::RegistrySession& registries) {
  ASSIGN_OR_RETURN(const cache::ImageResult result,
                   cache::Assemble(command.assemble, progress, registries));
  PrintImageResult(result, command.common.json, out);
  return absl::OkStatus();
}

}  // namespace cook::cli
