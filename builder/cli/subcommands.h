#ifndef COOK_BUILDER_CLI_SUBCOMMANDS_H_
#define COOK_BUILDER_CLI_SUBCOMMANDS_H_

// One pair of functions per subcommand, which Parse puts together: AddXOptions
// declares the options on the subcommand's CLI::App, bound to an XFlags;
// XFrom turns the flags CLI11 filled (and validated) into the command, doing
// the checks that need more than one option or the Environment. XFrom's
// errors are usage errors. Private to builder/cli's command library.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "builder/cli/command.h"
#include "builder/cli/flags.h"

namespace cook::cli {

struct AssembleFlags {
  CommonOptions common;
  RegistryFlags registry;
  std::string base = "scratch";
  std::vector<std::string> adds, dests, env, labels, entrypoint, cmd;
  std::string workdir, platform;
  CompressionFlags compression;
  // Set by CLI11: whether --workdir, --entrypoint and --cmd were given.
  CLI::Option* workdir_option = nullptr;
  CLI::Option* entrypoint_option = nullptr;
  CLI::Option* cmd_option = nullptr;
};
void AddAssembleOptions(CLI::App& app, AssembleFlags& flags);
absl::StatusOr<AssembleOptions> AssembleFrom(const AssembleFlags& flags,
                                             const Environment& env);

struct InspectFlags {
  CommonOptions common;
  RegistryFlags registry;
  std::string ref, platform;
};
void AddInspectOptions(CLI::App& app, InspectFlags& flags);
absl::StatusOr<InspectOptions> InspectFrom(const InspectFlags& flags,
                                           const Environment& env);

struct PrepareFlags {
  PrepareCommand command;
  std::string manifest_path = ".";
  std::string recipe_path = "recipe.json";
};
void AddPrepareOptions(CLI::App& app, PrepareFlags& flags);
absl::StatusOr<PrepareCommand> PrepareFrom(const PrepareFlags& flags,
                                           const Environment& env);

struct SkeletonFlags {
  SkeletonCommand command;
  std::string recipe_path = "recipe.json";
  std::string out_dir;
};
void AddSkeletonOptions(CLI::App& app, SkeletonFlags& flags);
absl::StatusOr<SkeletonCommand> SkeletonFrom(const SkeletonFlags& flags,
                                             const Environment& env);

struct BuildFlags {
  BuildCommand command;  // the options that need no conversion
  RegistryFlags registry;
  std::string manifest_path, recipe_path, target_dir, cache_from, platform;
  std::string base = "scratch";
  std::vector<std::string> dests, labels, env;
  CompressionFlags compression;
};
void AddBuildOptions(CLI::App& app, BuildFlags& flags);
absl::StatusOr<BuildCommand> BuildFrom(const BuildFlags& flags, const Environment& env);

struct RestoreFlags {
  RestoreCommand command;
  RegistryFlags registry;
  std::string from, cargo_home, platform;
  std::string target_dir = "target";
};
void AddRestoreOptions(CLI::App& app, RestoreFlags& flags);
absl::StatusOr<RestoreCommand> RestoreFrom(const RestoreFlags& flags,
                                           const Environment& env);

struct CopyFlags {
  CopyCommand command;
  RegistryFlags registry;
  std::string source, dest, platform;
};
void AddCopyOptions(CLI::App& app, CopyFlags& flags);
absl::StatusOr<CopyCommand> CopyFrom(const CopyFlags& flags, const Environment& env);

}  // namespace cook::cli

#endif  // COOK_BUILDER_CLI_SUBCOMMANDS_H_
