// `cook assemble`'s options.

#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "builder/cli/flags.h"
#include "builder/cli/subcommands.h"

namespace cook::cli {
namespace {

// SRC[:DEST]: DEST is absolute inside the image, so the split is at the last
// ":" that is followed by "/".
std::function<absl::StatusOr<cache::AddSpec>(const std::string&)> AddSpecOf(
    const Environment& env) {
  return [dir = Environment{.working_dir = env.working_dir}](
             const std::string& text) -> absl::StatusOr<cache::AddSpec> {
    const size_t colon = text.rfind(":/");
    if (text.empty() || colon == 0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("--add \"%s\": expected SRC[:DEST]", text));
    }
    if (colon == std::string::npos) return cache::AddSpec{Absolute(text, dir), "/"};
    return cache::AddSpec{Absolute(text.substr(0, colon), dir),
                   text.substr(colon + 1)};
  };
}

void AddAssembleOptions(CLI::App& app, const Environment& env,
                        AssembleCommand& command) {
  cache::AssembleOptions& o = command.assemble;
  AddConverted(app, "--base", o.base, Reference(env),
               "Base image (default scratch)");
  AddEach(app, "--add", o.adds, AddSpecOf(env),
          "SRC[:DEST]: one layer per --add")
      ->required();
  AddEach(app, "--dest", o.dests,
          Reference(env, kDestNotScratch),
          "Destination image reference")
      ->required();
  AddEach(app, "--env", o.env, KeyValue("--env"),
          "KEY=VALUE for the image config");
  AddConverted<std::optional<std::string>>(
      app, "--workdir", o.workdir, Given<std::string>, "Working directory");
  AddConverted<std::optional<std::vector<std::string>>,
               std::vector<std::string>>(app, "--entrypoint", o.entrypoint,
                                         Given<std::vector<std::string>>,
                                         "Entrypoint argument");
  AddConverted<std::optional<std::vector<std::string>>,
               std::vector<std::string>>(
      app, "--cmd", o.cmd, Given<std::vector<std::string>>, "Cmd argument");
  AddEach(app, "--label", o.labels, KeyValue("--label"), "KEY=VALUE label");
  AddConverted(app, "--platform", o.platform, ParseOptionalPlatform,
               "OS/ARCH[/VARIANT]");
  AddCompressionOptions(app, o.compression, o.compression_level);
  AddSignKeyOption(app, env, o.sign_key);
  AddCommonOptions(app, env, command.common, /*registry=*/true);
}

absl::Status CompleteAssemble(AssembleCommand& command, const Environment& env) {
  cache::AssembleOptions& o = command.assemble;
  o.temp_dir = command.common.temp_dir;
  RETURN_IF_ERROR(CheckCompressionLevel(o.compression, o.compression_level));
  RETURN_IF_ERROR(CheckSignable(o.sign_key.has_value(), o.dests, "--sign-key"));
  ASSIGN_OR_RETURN(o.epoch, EpochFrom(env));
  return absl::OkStatus();
}

}  // namespace

const Subcommand kAssembleCommand = {
    "assemble",
    "Build an image from local files and directories, without cargo",
    DeclareWith<AssembleCommand, AddAssembleOptions, CompleteAssemble>};

}  // namespace cook::cli
