// `cook assemble`'s options.

#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "builder/cli/flags.h"
#include "builder/cli/subcommands.h"

namespace cook::cli {
namespace {

struct AssembleFlags {
  AssembleOptions command;  // the options that need no conversion
  std::string base = "scratch";
  std::vector<std::string> adds, dests, env, labels, entrypoint, cmd;
  std::string workdir, platform;
  CompressionFlags compression;
  // Whether --workdir, --entrypoint and --cmd were given.
  CLI::Option* workdir_option = nullptr;
  CLI::Option* entrypoint_option = nullptr;
  CLI::Option* cmd_option = nullptr;
};

// SRC[:DEST]: DEST is absolute inside the image, so the split is at the last
// ":" that is followed by "/".
CLI::Validator AddSpecText() {
  return CLI::Validator(
      [](const std::string& text) -> std::string {
        if (!text.empty() && text.rfind(":/") != 0) return "";
        return absl::StrFormat("--add \"%s\": expected SRC[:DEST]", text);
      },
      "");
}

AddSpec ParseAdd(const std::string& text, const Environment& env) {
  const size_t colon = text.rfind(":/");
  if (colon == std::string::npos) return AddSpec{Absolute(text, env), "/"};
  return AddSpec{Absolute(text.substr(0, colon), env), text.substr(colon + 1)};
}

void AddAssembleOptions(CLI::App& app, const Environment& env,
                        AssembleFlags& flags) {
  app.add_option("--base", flags.base, "Base image (default scratch)");
  app.add_option("--add", flags.adds, "SRC[:DEST]: one layer per --add")
      ->required()
      ->check(AddSpecText());
  app.add_option("--dest", flags.dests, "Destination image reference")
      ->required();
  app.add_option("--env", flags.env, "KEY=VALUE for the image config")
      ->check(KeyValue("--env"));
  flags.workdir_option =
      app.add_option("--workdir", flags.workdir, "Working directory");
  flags.entrypoint_option =
      app.add_option("--entrypoint", flags.entrypoint, "Entrypoint argument");
  flags.cmd_option = app.add_option("--cmd", flags.cmd, "Cmd argument");
  app.add_option("--label", flags.labels, "KEY=VALUE label")
      ->check(KeyValue("--label"));
  app.add_option("--platform", flags.platform, "OS/ARCH[/VARIANT]");
  AddCompressionOptions(app, flags.compression);
  AddCommonOptions(app, env, flags.command.common);
  AddRegistryOptions(app, env, flags.command.common.registry);
}

absl::StatusOr<AssembleOptions> AssembleFrom(const AssembleFlags& flags,
                                             const Environment& env) {
  AssembleOptions o = flags.command;
  ASSIGN_OR_RETURN(o.base, ParseRef(flags.base, env));
  for (const std::string& text : flags.adds)
    o.adds.push_back(ParseAdd(text, env));
  ASSIGN_OR_RETURN(o.dests, ParseDests(flags.dests, env));
  o.env = SplitKeyValues(flags.env);
  o.labels = SplitKeyValues(flags.labels);
  if (*flags.workdir_option) o.workdir = flags.workdir;
  if (*flags.entrypoint_option) o.entrypoint = flags.entrypoint;
  if (*flags.cmd_option) o.cmd = flags.cmd;
  ASSIGN_OR_RETURN(o.platform, ParseOptionalPlatform(flags.platform));
  RETURN_IF_ERROR(ParseCompressionFlags(flags.compression, o.compression,
                                        o.compression_level));
  ASSIGN_OR_RETURN(o.epoch, EpochFrom(env));
  return o;
}

}  // namespace

const Subcommand kAssembleCommand = {
    "assemble",
    "Build an image from local files and directories, without cargo",
    DeclareWith<AddAssembleOptions, AssembleFrom>};

}  // namespace cook::cli
