// `cook restore`'s options.

#include "CLI/CLI.hpp"
#include "base/status_macros.h"
#include "builder/cli/flags.h"
#include "builder/cli/subcommands.h"

namespace cook::cli {

void AddRestoreOptions(CLI::App& app, RestoreFlags& flags) {
  app.add_option("--from", flags.from, "The cache image")->required();
  app.add_option("--target-dir", flags.target_dir, "Target directory (default ./target)");
  app.add_option("--cargo-home", flags.cargo_home,
                 "Cargo home (default $CARGO_HOME or ~/.cargo)");
  app.add_option("--platform", flags.platform, "OS/ARCH[/VARIANT]");
  AddCommonOptions(app, flags.command.common);
  AddRegistryOptions(app, flags.registry);
}

absl::StatusOr<RestoreCommand> RestoreFrom(const RestoreFlags& flags,
                                           const Environment& env) {
  RestoreCommand c = flags.command;
  c.common.registry = RegistryFrom(flags.registry, env);
  ASSIGN_OR_RETURN(c.from, ParseRef(flags.from, env));
  if (c.from.transport == oci::Transport::kScratch) {
    return absl::InvalidArgumentError("--from scratch: scratch holds no cache");
  }
  c.target_dir = Absolute(flags.target_dir, env);
  if (flags.cargo_home.empty() && env.cargo_home.empty()) {
    // Absolute("") would be the working directory.
    return absl::InvalidArgumentError(
        "no cargo home: CARGO_HOME and HOME are unset and the password database "
        "names no home directory\nhint: pass --cargo-home DIR");
  }
  c.cargo_home = Absolute(flags.cargo_home.empty() ? env.cargo_home : flags.cargo_home, env);
  ASSIGN_OR_RETURN(c.platform, ParseOptionalPlatform(flags.platform));
  return c;
}

}  // namespace cook::cli
