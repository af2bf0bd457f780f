// `cook inspect`'s options.

#include "CLI/CLI.hpp"
#include "base/status_macros.h"
#include "builder/cli/flags.h"
#include "builder/cli/subcommands.h"

namespace cook::cli {

void AddInspectOptions(CLI::App& app, InspectFlags& flags) {
  app.add_option("REF", flags.ref, "Image reference")->required();
  app.add_option("--platform", flags.platform, "OS/ARCH[/VARIANT]");
  AddCommonOptions(app, flags.common);
  AddRegistryOptions(app, flags.registry);
}

absl::StatusOr<InspectOptions> InspectFrom(const InspectFlags& flags,
                                           const Environment& env) {
  InspectOptions o;
  o.common = flags.common;
  o.common.registry = RegistryFrom(flags.registry, env);
  ASSIGN_OR_RETURN(o.ref, ParseRef(flags.ref, env));
  if (o.ref.transport == oci::Transport::kScratch) {
    return absl::InvalidArgumentError("inspect scratch: scratch is not an image");
  }
  ASSIGN_OR_RETURN(o.platform, ParseOptionalPlatform(flags.platform));
  return o;
}

}  // namespace cook::cli
