// `cook restore`'s options.

#include <string>

#include "CLI/CLI.hpp"
#include "base/status_macros.h"
#include "builder/cli/flags.h"
#include "builder/cli/subcommands.h"

namespace cook::cli {
namespace {

struct RestoreFlags {
  RestoreCommand command;
  std::string from, platform;
};

void AddRestoreOptions(CLI::App& app, const Environment& env,
                       RestoreFlags& flags) {
  RestoreCommand& command = flags.command;
  command.target_dir = Absolute("target", env);
  app.add_option("--from", flags.from, "The cache image")->required();
  app.add_option("--target-dir", command.target_dir,
                 "Target directory (default ./target)")
      ->transform(ResolvedPath(env, /*keep_empty=*/false));
  app.add_option("--cargo-home", command.cargo_home,
                 "Cargo home (default $CARGO_HOME or ~/.cargo)")
      ->transform(ResolvedPath(env));
  app.add_option("--platform", flags.platform, "OS/ARCH[/VARIANT]");
  AddCommonOptions(app, env, command.common);
  AddRegistryOptions(app, env, command.common.registry);
}

absl::StatusOr<RestoreCommand> RestoreFrom(const RestoreFlags& flags,
                                           const Environment& env) {
  RestoreCommand c = flags.command;
  ASSIGN_OR_RETURN(c.from, ParseRef(flags.from, env));
  if (c.from.transport == oci::Transport::kScratch) {
    return absl::InvalidArgumentError("--from scratch: scratch holds no cache");
  }
  if (c.cargo_home.empty() && env.cargo_home.empty()) {
    // Absolute("") would be the working directory.
    return absl::InvalidArgumentError(
        "no cargo home: CARGO_HOME and HOME are unset and the password "
        "database "
        "names no home directory\nhint: pass --cargo-home DIR");
  }
  if (c.cargo_home.empty()) c.cargo_home = Absolute(env.cargo_home, env);
  ASSIGN_OR_RETURN(c.platform, ParseOptionalPlatform(flags.platform));
  return c;
}

}  // namespace

const Subcommand kRestoreCommand = {
    "restore", "Put a cache image's target directory and cargo home back",
    DeclareWith<AddRestoreOptions, RestoreFrom>};

}  // namespace cook::cli
