#ifndef COOK_BUILDER_CLI_COMMANDS_H_
#define COOK_BUILDER_CLI_COMMANDS_H_

// The subcommands, as testable functions. Results go to `out` (stdout);
// progress and warnings to `progress`.

#include <cstdio>

#include "absl/status/status.h"
#include <filesystem>
#include <string>

#include "builder/cli/command.h"
#include "builder/cli/image_io.h"
#include "builder/cli/progress.h"
#include "registry/session.h"

namespace cook::cli {

absl::Status RunAssemble(const AssembleCommand& command, std::FILE* out,
                         Progress& progress, registry::RegistrySession& registries);
absl::Status RunInspect(const InspectOptions& options, std::FILE* out,
                        registry::RegistrySession& registries);
absl::Status RunPrepare(const PrepareCommand& command, std::FILE* out);
absl::Status RunSkeleton(const SkeletonCommand& command, std::FILE* out);
absl::Status RunBuild(const BuildCommand& command, std::FILE* out,
                      Progress& progress, registry::RegistrySession& registries);
absl::Status RunRestore(const RestoreCommand& command, std::FILE* out,
                        Progress& progress, registry::RegistrySession& registries);
absl::Status RunCopy(const CopyCommand& command, std::FILE* out, Progress& progress,
                     registry::RegistrySession& registries);

// Runs whichever command `command` holds.
absl::Status Run(const Command& command, std::FILE* out, std::FILE* err);

}  // namespace cook::cli

#endif  // COOK_BUILDER_CLI_COMMANDS_H_
