// `cook build`'s options, cargo's among them.

#include <string>

#include "CLI/CLI.hpp"
#include "base/status_macros.h"
#include "builder/cli/flags.h"
#include "builder/cli/subcommands.h"

namespace cook::cli {
namespace {

// Where the image goes and what it holds besides the target directory.
void AddImageOptions(CLI::App& app, const Environment& env,
                     cache::BuildOptions& c) {
  AddConverted(app, "--base", c.base, Reference(env),
               "Base image (default scratch)");
  AddEach(app, "--dest", c.dests,
          Reference(env, kDestNotScratch),
          "Destination (default oci:cook-image); a tagged one also gets the "
          "cache-key tag cook-KEY");
  AddConverted<std::optional<oci::ImageReference>>(
      app, "--cache-from", c.cache_from,
      [convert = Reference(env)](const std::string& text)
          -> absl::StatusOr<std::optional<oci::ImageReference>> {
        if (text.empty()) return std::nullopt;
        return convert(text);
      },
      "Restore this image first: its cache-key tag (cook-KEY) where that "
      "exists, else the reference as given");
  app.add_option(
         "--image-root", c.image_root,
         "Where the target directory goes in the image (default /build)")
      ->check(AbsolutePath("--image-root"));
  AddCompressionOptions(app, c.compression, c.compression_level);
  AddEach(app, "--label", c.labels, KeyValue("--label"), "KEY=VALUE label");
  AddEach(app, "--env", c.env, KeyValue("--env"),
          "KEY=VALUE for the image config");
  AddConverted(app, "--platform", c.platform, ParseOptionalPlatform,
               "OS/ARCH[/VARIANT]");
  AddConverted(app, "--max-layer-size", c.max_layer_bytes,
               Size("--max-layer-size"),
               "Split layers larger than this: N[K|M|G] bytes (default 2G; 0: "
               "no limit)");
}

void AddBuildOptions(CLI::App& app, const Environment& env, BuildCommand& command) {
  cache::BuildOptions& c = command.build;
  CLI::Option* manifest = app.add_option("--manifest-path", c.manifest_path,
                                         "Cargo.toml or a directory")
                              ->transform(ResolvedPath(env));
  app.add_option("--recipe-path", c.recipe_path, "Use this recipe instead")
      ->excludes(manifest)
      ->transform(ResolvedPath(env));
  AddCargoOptions(app, c.cargo);
  app.add_option("--sandbox", command.sandbox, "auto (default), on or off")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  app.add_option("--pass-env", c.pass_env,
                 "Pass this environment variable into the sandbox");
  app.add_option("--target-dir", c.target_dir,
                 "Keep the target directory here (default: a private one)")
      ->transform(ResolvedPath(env));
  AddImageOptions(app, env, c);
  AddSignKeyOption(app, env, c.sign_key);
  AddVerifyKeyOption(app, env, c.verify_keys,
                     "Restore --cache-from only when it is signed by this PEM public key "
                     "(repeatable: any of them)");
  AddCommonOptions(app, env, command.common, /*registry=*/true);
}

absl::Status CompleteBuild(BuildCommand& command, const Environment& env) {
  cache::BuildOptions& c = command.build;
  if (!c.recipe_path.empty()) {
    c.manifest_path.clear();
  } else if (c.manifest_path.empty()) {
    c.manifest_path = Absolute(".", env);
  }
  if (c.dests.empty()) {
    ASSIGN_OR_RETURN(oci::ImageReference dest,
                     Reference(env)("oci:cook-image"));
    c.dests.push_back(std::move(dest));
  }
  RETURN_IF_ERROR(CheckCompressionLevel(c.compression, c.compression_level));
  RETURN_IF_ERROR(CheckSignable(c.sign_key.has_value(), c.dests, "--sign-key"));
  if (!c.verify_keys.empty()) {
    if (!c.cache_from.has_value()) {
      return absl::InvalidArgumentError(
          "--verify-key checks the --cache-from image; there is no --cache-from");
    }
    RETURN_IF_ERROR(CheckSignable(true, {*c.cache_from}, "--verify-key"));
  }
  ASSIGN_OR_RETURN(c.epoch, EpochFrom(env));
  c.quiet = command.common.quiet;
  c.environment = command.common.environment;
  c.temp_dir = command.common.temp_dir;
  return absl::OkStatus();
}

}  // namespace

const Subcommand kBuildCommand = {
    "build", "Build a workspace's dependencies in a sandbox into a cache image",
    DeclareWith<BuildCommand, AddBuildOptions, CompleteBuild>};

}  // namespace cook::cli
