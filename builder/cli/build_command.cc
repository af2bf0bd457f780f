// `cook build`'s options, cargo's among them.

#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "builder/cli/flags.h"
#include "builder/cli/subcommands.h"

namespace cook::cli {
namespace {

struct BuildFlags {
  BuildCommand command;  // the options that need no conversion
  std::string manifest_path, recipe_path, cache_from, platform;
  std::string base = "scratch";
  std::vector<std::string> dests, labels, env;
  CompressionFlags compression;
};

// Cargo's options, with cargo's names and meaning.
void AddCargoOptions(CLI::App& app, CargoOptions& cargo) {
  CLI::Option* release =
      app.add_flag("--release", cargo.release, "cargo: release profile");
  app.add_option("--profile", cargo.profile, "cargo: build with this profile")
      ->excludes(release);
  app.add_option("--target", cargo.targets,
                 "cargo: target triple (repeatable)");
  app.add_option("-F,--features", cargo.features,
                 "cargo: features to activate");
  app.add_flag("--all-features", cargo.all_features, "cargo: all features");
  app.add_flag("--no-default-features", cargo.no_default_features,
               "cargo: no default features");
  app.add_option("-p,--package", cargo.packages, "cargo: package (repeatable)");
  app.add_option("--bin", cargo.bins, "cargo: binary (repeatable)");
  app.add_flag("--bins", cargo.all_bins, "cargo: all binaries");
  app.add_flag("--workspace", cargo.workspace, "cargo: the whole workspace");
  app.add_flag("--tests", cargo.tests, "cargo: all tests");
  app.add_flag("--benches", cargo.benches, "cargo: all benches");
  app.add_flag("--examples", cargo.examples, "cargo: all examples");
  app.add_flag("--all-targets", cargo.all_targets, "cargo: all targets");
  app.add_flag("--locked", cargo.locked, "cargo: require Cargo.lock unchanged");
  app.add_flag("--frozen", cargo.frozen, "cargo: --locked and --offline");
  app.add_flag("--offline", cargo.offline, "cargo: no network at all");
  // What is no number at all is left to CLI11's conversion error.
  app.add_option("-j,--jobs", cargo.jobs, "cargo: parallel jobs")
      ->check(Worded(
          CLI::NonNegativeNumber | !CLI::Number,
          [](const std::string&) { return "expected a positive number"; }));
}

// Where the image goes and what it holds besides the target directory.
void AddImageOptions(CLI::App& app, BuildFlags& flags) {
  app.add_option("--base", flags.base, "Base image (default scratch)");
  app.add_option("--dest", flags.dests, "Destination (default oci:cook-image)");
  app.add_option("--cache-from", flags.cache_from, "Restore this image first");
  app.add_option(
         "--image-root", flags.command.image_root,
         "Where the target directory goes in the image (default /build)")
      ->check(AbsolutePath("--image-root"));
  AddCompressionOptions(app, flags.compression);
  app.add_option("--label", flags.labels, "KEY=VALUE label")
      ->check(KeyValue("--label"));
  app.add_option("--env", flags.env, "KEY=VALUE for the image config")
      ->check(KeyValue("--env"));
  app.add_option("--platform", flags.platform, "OS/ARCH[/VARIANT]");
  app.add_option(
         "--max-layer-size", flags.command.max_layer_bytes,
         "Split layers larger than this: N[K|M|G] bytes (default 2G; 0: "
         "no limit)")
      ->type_name("TEXT")
      ->transform(SizeValue("--max-layer-size"));
}

void AddBuildOptions(CLI::App& app, const Environment& env, BuildFlags& flags) {
  BuildCommand& command = flags.command;
  CLI::Option* manifest = app.add_option("--manifest-path", flags.manifest_path,
                                         "Cargo.toml or a directory");
  app.add_option("--recipe-path", flags.recipe_path, "Use this recipe instead")
      ->excludes(manifest);
  AddCargoOptions(app, command.cargo);
  app.add_option("--sandbox", command.sandbox, "auto (default), on or off")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  app.add_option("--pass-env", command.pass_env,
                 "Pass this environment variable into the sandbox");
  app.add_option("--target-dir", command.target_dir,
                 "Keep the target directory here (default: a private one)")
      ->transform(ResolvedPath(env));
  AddImageOptions(app, flags);
  AddCommonOptions(app, env, command.common);
  AddRegistryOptions(app, env, command.common.registry);
}

absl::StatusOr<BuildCommand> BuildFrom(const BuildFlags& flags,
                                       const Environment& env) {
  BuildCommand c = flags.command;
  if (!flags.recipe_path.empty()) {
    c.recipe_path = Absolute(flags.recipe_path, env);
  } else {
    c.manifest_path =
        Absolute(flags.manifest_path.empty() ? "." : flags.manifest_path, env);
  }
  ASSIGN_OR_RETURN(c.base, ParseRef(flags.base, env));
  ASSIGN_OR_RETURN(c.dests,
                   ParseDests(flags.dests.empty()
                                  ? std::vector<std::string>{"oci:cook-image"}
                                  : flags.dests,
                              env));
  if (!flags.cache_from.empty()) {
    ASSIGN_OR_RETURN(c.cache_from, ParseRef(flags.cache_from, env));
  }
  c.env = SplitKeyValues(flags.env);
  c.labels = SplitKeyValues(flags.labels);
  ASSIGN_OR_RETURN(c.platform, ParseOptionalPlatform(flags.platform));
  RETURN_IF_ERROR(ParseCompressionFlags(flags.compression, c.compression,
                                        c.compression_level));
  ASSIGN_OR_RETURN(c.epoch, EpochFrom(env));
  return c;
}

}  // namespace

const Subcommand kBuildCommand = {
    "build", "Build a workspace's dependencies in a sandbox into a cache image",
    DeclareWith<AddBuildOptions, BuildFrom>};

}  // namespace cook::cli
