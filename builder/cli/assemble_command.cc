// `cook assemble`'s options.

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "builder/cli/flags.h"
#include "builder/cli/subcommands.h"

namespace cook::cli {

void AddAssembleOptions(CLI::App& app, AssembleFlags& flags) {
  app.add_option("--base", flags.base, "Base image (default scratch)");
  app.add_option("--add", flags.adds, "SRC[:DEST]: one layer per --add")
      ->required()
      ->check(CLI::Validator(
          [](const std::string& text) -> std::string {
            // SRC[:DEST]: DEST is absolute inside the image, so the split is
            // at the last ":" that is followed by "/".
            if (!text.empty() && text.rfind(":/") != 0) return "";
            return absl::StrFormat("--add \"%s\": expected SRC[:DEST]", text);
          },
          ""));
  app.add_option("--dest", flags.dests, "Destination image reference")->required();
  app.add_option("--env", flags.env, "KEY=VALUE for the image config")
      ->check(KeyValue("--env"));
  flags.workdir_option = app.add_option("--workdir", flags.workdir, "Working directory");
  flags.entrypoint_option =
      app.add_option("--entrypoint", flags.entrypoint, "Entrypoint argument");
  flags.cmd_option = app.add_option("--cmd", flags.cmd, "Cmd argument");
  app.add_option("--label", flags.labels, "KEY=VALUE label")->check(KeyValue("--label"));
  app.add_option("--platform", flags.platform, "OS/ARCH[/VARIANT]");
  AddCompressionOptions(app, flags.compression);
  AddCommonOptions(app, flags.common);
  AddRegistryOptions(app, flags.registry);
}

absl::StatusOr<AssembleOptions> AssembleFrom(const AssembleFlags& flags,
                                             const Environment& env) {
  AssembleOptions o;
  o.common = flags.common;
  o.common.registry = RegistryFrom(flags.registry, env);
  ASSIGN_OR_RETURN(o.base, ParseRef(flags.base, env));
  for (const std::string& text : flags.adds) {
    const size_t colon = text.rfind(":/");
    AddSpec& spec = o.adds.emplace_back();
    spec.source = Absolute(colon == std::string::npos ? text : text.substr(0, colon), env);
    spec.dest = colon == std::string::npos ? "/" : text.substr(colon + 1);
  }
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

}  // namespace cook::cli
