// `cook prepare`'s and `cook skeleton`'s options: paths only, no registry.

#include "CLI/CLI.hpp"
#include "builder/cli/flags.h"
#include "builder/cli/subcommands.h"

namespace cook::cli {

void AddPrepareOptions(CLI::App& app, PrepareFlags& flags) {
  app.add_option("--manifest-path", flags.manifest_path,
                 "Cargo.toml or a directory (default: .)");
  app.add_option("--recipe-path", flags.recipe_path,
                 "Where to write the recipe (default: recipe.json)");
  app.add_option("--bin", flags.command.bin, "Keep only what this package or binary needs");
  AddCommonOptions(app, flags.command.common);
}

absl::StatusOr<PrepareCommand> PrepareFrom(const PrepareFlags& flags,
                                           const Environment& env) {
  PrepareCommand c = flags.command;
  c.manifest_path = Absolute(flags.manifest_path, env);
  c.recipe_path = Absolute(flags.recipe_path, env);
  return c;
}

void AddSkeletonOptions(CLI::App& app, SkeletonFlags& flags) {
  app.add_option("--recipe-path", flags.recipe_path, "The recipe (default: recipe.json)");
  app.add_option("--out", flags.out_dir, "An absent or empty directory")->required();
  AddCommonOptions(app, flags.command.common);
}

absl::StatusOr<SkeletonCommand> SkeletonFrom(const SkeletonFlags& flags,
                                             const Environment& env) {
  SkeletonCommand c = flags.command;
  c.recipe_path = Absolute(flags.recipe_path, env);
  c.out_dir = Absolute(flags.out_dir, env);
  return c;
}

}  // namespace cook::cli
