// `cook restore`'s options.

#include "CLI/CLI.hpp"
#include "base/status_macros.h"
#include "builder/cli/flags.h"
#include "builder/cli/subcommands.h"

namespace cook::cli {
namespace {

void AddRestoreOptions(CLI::App& app, const Environment& env,
                       RestoreCommand& command) {
  cache::RestoreOptions& c = command.restore;
  c.target_dir = Absolute("target", env);
  AddConverted(app, "--from", c.from,
               Reference(env, "--from scratch: scratch holds no cache"),
               "The cache image; with --manifest-path, its cache-key tag "
               "(cook-KEY) first where that exists")
      ->required();
  app.add_option("--target-dir", c.target_dir,
                 "Target directory (default ./target)")
      ->transform(ResolvedPath(env, /*keep_empty=*/false));
  app.add_option("--cargo-home", c.cargo_home,
                 "Cargo home (default $CARGO_HOME or ~/.cargo)")
      ->transform(ResolvedPath(env));
  AddConverted(app, "--platform", c.platform, ParseOptionalPlatform,
               "OS/ARCH[/VARIANT]");
  app.add_option("--manifest-path", c.manifest_path,
                 "Judge the cache for this workspace (Cargo.toml or a directory), "
                 "this rustc and the cargo options given before downloading: "
                 "cache hit, partial hit or cache miss (on stdout; a miss "
                 "downloads nothing)")
      ->transform(ResolvedPath(env));
  AddCargoOptions(app, c.cargo);
  app.add_flag("--require-hit", c.require_hit,
               "Exit 1, extracting nothing, unless the verdict is a cache hit "
               "(also with --force)");
  app.add_flag("--force", c.force, "Restore after a cache miss too");
  AddVerifyKeyOption(app, env, c.verify_keys,
                     "Restore only an image signed by this PEM public key (repeatable: "
                     "any of them), checked before anything is downloaded");
  AddCommonOptions(app, env, command.common, /*registry=*/true);
}

absl::Status CompleteRestore(RestoreCommand& command, const Environment& env) {
  cache::RestoreOptions& c = command.restore;
  c.temp_dir = command.common.temp_dir;
  c.environment = command.common.environment;
  if (c.manifest_path.empty() &&
      (c.require_hit || c.force || !c.cargo.ToArgs().empty())) {
    return absl::InvalidArgumentError(
        "--require-hit, --force and cargo options need --manifest-path: "
        "without a workspace there is no verdict");
  }
  RETURN_IF_ERROR(CheckSignable(!c.verify_keys.empty(), {c.from}, "--verify-key"));
  if (!c.cargo_home.empty()) return absl::OkStatus();
  if (env.cargo_home.empty()) {
    // Absolute("") would be the working directory.
    return absl::InvalidArgumentError(
        "no cargo home: CARGO_HOME and HOME are unset and the password "
        "database "
        "names no home directory\nhint: pass --cargo-home DIR");
  }
  c.cargo_home = Absolute(env.cargo_home, env);
  return absl::OkStatus();
}

}  // namespace

const Subcommand kRestoreCommand = {
    "restore", "Put a cache image's target directory and cargo home back",
    DeclareWith<RestoreCommand, AddRestoreOptions, CompleteRestore>};

}  // namespace cook::cli
