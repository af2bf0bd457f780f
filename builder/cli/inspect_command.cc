// `cook inspect`'s options.

#include "CLI/CLI.hpp"
#include "base/status_macros.h"
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
  AddVerifyKeyOption(app, env, command.verify_keys,
                     "Check the signatures with this PEM public key (repeatable); exit 1 "
                     "unless one verifies");
  AddCommonOptions(app, env, command.common, /*registry=*/true);
}

absl::Status CompleteInspect(InspectOptions& command, const Environment&) {
  return CheckSignable(!command.verify_keys.empty(), {command.ref}, "--verify-key");
}

}  // namespace

const Subcommand kInspectCommand = {
    "inspect", "Print an image's manifest, config and labels",
    DeclareWith<InspectOptions, AddInspectOptions, CompleteInspect>};

}  // namespace cook::cli
