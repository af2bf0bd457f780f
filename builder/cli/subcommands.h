#ifndef COOK_BUILDER_CLI_SUBCOMMANDS_H_
#define COOK_BUILDER_CLI_SUBCOMMANDS_H_

// The subcommands Parse puts on its CLI::App. Each *_command.cc pairs
// AddXOptions, which declares the options on the subcommand's CLI::App bound
// to an XFlags (CLI11 validates and converts what it can), with XFrom, which
// turns the parsed flags into the command (image references, platforms, the
// checks that need more than one option). XFrom's errors are usage errors.
// Private to builder/cli's command library.

#include <functional>
#include <memory>
#include <utility>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "base/status_macros.h"
#include "builder/cli/command.h"

namespace cook::cli {

// Turns the parsed flags of one subcommand into its Command.
using Finish = std::function<absl::StatusOr<Command>(const Environment& env)>;

struct Subcommand {
  const char* name;
  const char* description;  // for --help
  // Declares the options on `app`; the Finish holds the flags they fill.
  Finish (*declare)(CLI::App& app, const Environment& env);
};

extern const Subcommand kAssembleCommand;
extern const Subcommand kInspectCommand;
extern const Subcommand kPrepareCommand;
extern const Subcommand kSkeletonCommand;
extern const Subcommand kBuildCommand;
extern const Subcommand kRestoreCommand;
extern const Subcommand kCopyCommand;

// A Subcommand::declare from an AddXOptions / XFrom pair.
template <typename Flags, typename Result>
Finish Declare(CLI::App& app, const Environment& env,
               void (*add)(CLI::App&, const Environment&, Flags&),
               absl::StatusOr<Result> (*from)(const Flags&,
                                              const Environment&)) {
  auto flags = std::make_shared<Flags>();
  add(app, env, *flags);
  return [flags, from](const Environment& env) -> absl::StatusOr<Command> {
    ASSIGN_OR_RETURN(Result result, from(*flags, env));
    return Command(std::move(result));
  };
}

// Declare for Subcommand::declare: `DeclareWith<AddXOptions, XFrom>`.
template <auto kAdd, auto kFrom>
Finish DeclareWith(CLI::App& app, const Environment& env) {
  return Declare(app, env, kAdd, kFrom);
}

}  // namespace cook::cli

#endif  // COOK_BUILDER_CLI_SUBCOMMANDS_H_
