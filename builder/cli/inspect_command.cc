// `cook inspect`'s options.

#include <string>

#include "CLI/CLI.hpp"
#include "base/status_macros.h"
#include "builder/cli/flags.h"
#include "builder/cli/subcommands.h"

namespace cook::cli {
namespace {

struct InspectFlags {
  InspectOptions command;
  std::string ref, platform;
};

void AddInspectOptions(CLI::App& app, const Environment& env,
                       InspectFlags& flags) {
  app.add_option("REF", flags.ref, "Image reference")->required();
  app.add_option("--platform", flags.platform, "OS/ARCH[/VARIANT]");
  AddCommonOptions(app, env, flags.command.common);
  AddRegistryOptions(app, env, flags.command.common.registry);
}

absl::StatusOr<InspectOptions> InspectFrom(const InspectFlags& flags,
                                           const Environment& env) {
  InspectOptions o = flags.command;
  ASSIGN_OR_RETURN(o.ref, ParseRef(flags.ref, env));
  if (o.ref.transport == oci::Transport::kScratch) {
    return absl::InvalidArgumentError(
        "inspect scratch: scratch is not an image");
  }
  ASSIGN_OR_RETURN(o.platform, ParseOptionalPlatform(flags.platform));
  return o;
}

}  // namespace

const Subcommand kInspectCommand = {
    "inspect", "Print an image's manifest, config and labels",
    DeclareWith<AddInspectOptions, InspectFrom>};

}  // namespace cook::cli
