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

absl::Status RunAssemble(const AssembleOptions& options, std::FILE* out,
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

// Extracts the target-directory and cargo-home layers of a cook cache image
// (opened by OpenImage) into `target_dir` and `cargo_home` through the safe
// extractor, each layer verified (digest, size, diff_id) and all or nothing;
// returns the diff_ids of the layers extracted, in order. Labels naming a
// layer the image lacks, or no layer at all, are InvalidArgument. Errors
// name `context` and the layer.
absl::StatusOr<std::vector<std::string>> ExtractCache(
    const OpenedImage& image, const std::filesystem::path& target_dir,
    const std::filesystem::path& cargo_home, Progress& progress,
    const std::string& context);

// Runs whichever command `command` holds.
absl::Status Run(const Command& command, std::FILE* out, std::FILE* err);

}  // namespace cook::cli

#endif  // COOK_BUILDER_CLI_COMMANDS_H_
