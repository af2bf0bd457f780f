#ifndef COOK_BUILDER_CLI_SUBCOMMANDS_H_
#define COOK_BUILDER_CLI_SUBCOMMANDS_H_

// The subcommands Parse puts on its CLI::App, one *_command.cc each. There,
// AddXOptions declares the options on the subcommand's CLI::App, bound to
// the command, which CLI11 fills, validates and converts as it parses; where
// a check needs more than one option or the Environment, CompleteX finishes
// the command after parsing. Errors are usage errors. Private to builder/cli's
// command library.

#include <functional>
#include <memory>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/status_macros.h"
#include "builder/cli/command.h"

namespace cook::cli {

// Yields the parsed command of one subcommand.
using Finish = std::function<absl::StatusOr<Command>(const Environment& env)>;

struct Subcommand {
  const char* name;
  const char* description;  // for --help
  // Declares the options on `app`; the Finish holds the command they fill.
  Finish (*declare)(CLI::App& app, const Environment& env);
};

extern const Subcommand kAssembleCommand;
extern const Subcommand kInspectCommand;
extern const Subcommand kPrepareCommand;
extern const Subcommand kSkeletonCommand;
extern const Subcommand kBuildCommand;
extern const Subcommand kRestoreCommand;
extern const Subcommand kCopyCommand;

template <typename C>
absl::Status NothingToComplete(C&, const Environment&) {
  return absl::OkStatus();
}

// A Subcommand::declare: DeclareWith<XCommand, AddXOptions, CompleteX>.
template <typename C, void (*kAdd)(CLI::App&, const Environment&, C&),
          absl::Status (*kComplete)(C&,
                                    const Environment&) = NothingToComplete<C>>
Finish DeclareWith(CLI::App& app, const Environment& env) {
  auto command = std::make_shared<C>();
  kAdd(app, env, *command);
  return [command](const Environment& env) -> absl::StatusOr<Command> {
    RETURN_IF_ERROR(kComplete(*command, env));
    return Command(*command);
  };
}

}  // namespace cook::cli

#endif  // COOK_BUILDER_CLI_SUBCOMMANDS_H_
