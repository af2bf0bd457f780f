// `cook copy`'s options.

#include "CLI/CLI.hpp"
#include "base/status_macros.h"
#include "builder/cli/flags.h"
#include "builder/cli/subcommands.h"

namespace cook::cli {
namespace {

constexpr char kNotScratch[] = "copy scratch: scratch can only be a base image";

void AddCopyOptions(CLI::App& app, const Environment& env,
                    CopyCommand& command) {
  AddConverted(app, "SRC", command.source, Reference(env, kNotScratch),
               "Image to copy")
      ->required();
  AddConverted(app, "DEST", command.dest, Reference(env, kNotScratch),
               "Where to copy it")
      ->required();
  AddConverted(app, "--platform", command.platform, ParseOptionalPlatform,
               "OS/ARCH[/VARIANT] to pick from a multi-platform source");
  AddSignKeyOption(app, env, command.sign_key);
  AddVerifyKeyOption(app, env, command.verify_keys,
                     "Copy only an image signed by this PEM public key (repeatable: any "
                     "of them), checked before any layer is copied");
  AddCommonOptions(app, env, command.common, /*registry=*/true);
}

absl::Status CompleteCopy(CopyCommand& command, const Environment&) {
  RETURN_IF_ERROR(CheckSignable(command.sign_key.has_value(), {command.dest}, "--sign-key"));
  return CheckSignable(!command.verify_keys.empty(), {command.source}, "--verify-key");
}

}  // namespace

const Subcommand kCopyCommand = {
    "copy", "Copy an image between any two references, keeping its digest",
    DeclareWith<CopyCommand, AddCopyOptions, CompleteCopy>};

}  // namespace cook::cli
