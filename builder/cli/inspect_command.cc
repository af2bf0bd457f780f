// `cook inspect`'s options.

#include "CLI/CLI.hpp"
#include "builder/cli/flags.h"
#include "builder/cli/subcommands.h"

namespace cook::cli {
namespace {

void AddInspectOptions(CLI::App& app, const Environment& env,
                       InspectOptions& command) {
  AddConverted(app, "REF", command.ref,
               Reference(env, "inspect scratch: scratch is not an image"),
               "Image reference")
      ->required();
  AddConverted(app, "--platform", command.platform, ParseOptionalPlatform,
               "OS/ARCH[/VARIANT]");
  AddCommonOptions(app, env, command.common, /*registry=*/true);
}

}  // namespace

const Subcommand kInspectCommand = {
    "inspect", "Print an image's manifest, config and labels",
    DeclareWith<InspectOptions, AddInspectOptions>};

}  // namespace cook::cli
