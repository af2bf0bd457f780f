// Dispatches a parsed Command to its subcommand.

#include <variant>

#include "absl/strings/str_format.h"
#include "builder/cli/commands.h"
#include "builder/cli/image_io.h"

namespace cook::cli {

absl::Status Run(const Command& command, std::FILE* out, std::FILE* err) {
  if (const auto* help = std::get_if<HelpRequest>(&command)) {
    absl::FPrintF(out, "%s", help->text);
    return absl::OkStatus();
  }
  if (const auto* assemble = std::get_if<AssembleCommand>(&command)) {
    Progress progress(err, assemble->common.quiet);
    auto registries = NewRegistrySession(assemble->common.registry, progress);
    return RunAssemble(*assemble, out, progress, *registries);
  }
  if (const auto* prepare = std::get_if<PrepareCommand>(&command)) {
    return RunPrepare(*prepare, out);
  }
  if (const auto* skeleton = std::get_if<SkeletonCommand>(&command)) {
    return RunSkeleton(*skeleton, out);
  }
  if (const auto* build = std::get_if<BuildCommand>(&command)) {
    Progress progress(err, build->common.quiet);
    auto registries = NewRegistrySession(build->common.registry, progress);
    return RunBuild(*build, out, progress, *registries);
  }
  if (const auto* restore = std::get_if<RestoreCommand>(&command)) {
    Progress progress(err, restore->common.quiet);
    auto registries = NewRegistrySession(restore->common.registry, progress);
    return RunRestore(*restore, out, progress, *registries);
  }
  if (const auto* copy = std::get_if<CopyCommand>(&command)) {
    Progress progress(err, copy->common.quiet);
    auto registries = NewRegistrySession(copy->common.registry, progress);
    return RunCopy(*copy, out, progress, *registries);
  }
  const auto& inspect = std::get<InspectOptions>(command);
  Progress progress(err, inspect.common.quiet);
  auto registries = NewRegistrySession(inspect.common.registry, progress);
  return RunInspect(inspect, out, *registries);
}

}  // namespace cook::cli
