// `cook copy`'s options.

#include <string>

#include "CLI/CLI.hpp"
#include "base/status_macros.h"
#include "builder/cli/flags.h"
#include "builder/cli/subcommands.h"

namespace cook::cli {
namespace {

struct CopyFlags {
  CopyCommand command;
  std::string source, dest, platform;
};

void AddCopyOptions(CLI::App& app, const Environment& env, CopyFlags& flags) {
  app.add_option("SRC", flags.source, "Image to copy")->required();
  app.add_option("DEST", flags.dest, "Where to copy it")->required();
  app.add_option("--platform", flags.platform,
                 "OS/ARCH[/VARIANT] to pick from a multi-platform source");
  AddCommonOptions(app, env, flags.command.common);
  AddRegistryOptions(app, env, flags.command.common.registry);
}

absl::StatusOr<CopyCommand> CopyFrom(const CopyFlags& flags,
                                     const Environment& env) {
  CopyCommand c = flags.command;
  ASSIGN_OR_RETURN(c.source, ParseRef(flags.source, env));
  ASSIGN_OR_RETURN(c.dest, ParseRef(flags.dest, env));
  if (c.source.transport == oci::Transport::kScratch ||
      c.dest.transport == oci::Transport::kScratch) {
    return absl::InvalidArgumentError(
        "copy scratch: scratch can only be a base image");
  }
  ASSIGN_OR_RETURN(c.platform, ParseOptionalPlatform(flags.platform));
  return c;
}

}  // namespace

const Subcommand kCopyCommand = {
    "copy", "Copy an image between any two references, keeping its digest",
    DeclareWith<AddCopyOptions, CopyFrom>};

}  // namespace cook::cli
