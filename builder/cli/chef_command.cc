// `cook prepare`'s and `cook skeleton`'s options: paths, resolved as CLI11
// parses them.

#include "CLI/CLI.hpp"
#include "builder/cli/flags.h"
#include "builder/cli/subcommands.h"

namespace cook::cli {
namespace {

void AddPrepareOptions(CLI::App& app, const Environment& env,
                       PrepareCommand& command) {
  command.manifest_path = Absolute(".", env);
  command.recipe_path = Absolute("recipe.json", env);
  app.add_option("--manifest-path", command.manifest_path,
                 "Cargo.toml or a directory (default: .)")
      ->transform(ResolvedPath(env, /*keep_empty=*/false));
  app.add_option("--recipe-path", command.recipe_path,
                 "Where to write the recipe (default: recipe.json)")
      ->transform(ResolvedPath(env, /*keep_empty=*/false));
  app.add_option("--bin", command.bin,
                 "Keep only what this package or binary needs");
  AddCommonOptions(app, env, command.common, /*registry=*/false);
}

void AddSkeletonOptions(CLI::App& app, const Environment& env,
                        SkeletonCommand& command) {
  command.recipe_path = Absolute("recipe.json", env);
  app.add_option("--recipe-path", command.recipe_path,
                 "The recipe (default: recipe.json)")
      ->transform(ResolvedPath(env, /*keep_empty=*/false));
  app.add_option("--out", command.out_dir, "An absent or empty directory")
      ->required()
      ->transform(ResolvedPath(env, /*keep_empty=*/false));
  AddCommonOptions(app, env, command.common, /*registry=*/false);
}

}  // namespace

const Subcommand kPrepareCommand = {
    "prepare", "Write the recipe (the cache key) of a Cargo workspace",
    DeclareWith<PrepareCommand, AddPrepareOptions>};

const Subcommand kSkeletonCommand = {
    "skeleton", "Write the stub workspace a recipe describes",
    DeclareWith<SkeletonCommand, AddSkeletonOptions>};

}  // namespace cook::cli
