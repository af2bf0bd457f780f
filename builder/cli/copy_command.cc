// `cook copy`'s options.

#include "CLI/CLI.hpp"
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
  AddCommonOptions(app, env, command.common, /*registry=*/true);
}

}  // namespace

const Subcommand kCopyCommand = {
    "copy", "Copy an image between any two references, keeping its digest",
    DeclareWith<CopyCommand, AddCopyOptions>};

}  // namespace cook::cli
