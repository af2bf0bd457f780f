#include "builder/cli/command.h"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "builder/cli/subcommands.h"

namespace cook::cli {
namespace {

constexpr absl::string_view kDescription =
    "cook: a daemonless image builder for Rust dependency caches";

// CLI11 reports through exceptions; they stop here.
absl::Status UsageError(const CLI::Error& e) {
  std::string what = e.what();
  if (what.empty()) what = e.get_name();
  // A validator's error is "NAME: MESSAGE"; cook's messages name the option
  // themselves (`--env "X": expected KEY=VALUE`), so the prefix goes.
  if (dynamic_cast<const CLI::ValidationError*>(&e) != nullptr) {
    const std::string_view text = what;
    const size_t colon = text.find(": ");
    if (colon != std::string_view::npos &&
        text.substr(colon + 2).starts_with(text.substr(0, colon))) {
      what.erase(0, colon + 2);
    }
  }
  // CLI11 capitalises and punctuates; our errors are lowercase, no period.
  if (!what.empty()) what[0] = static_cast<char>(std::tolower(what[0]));
  while (!what.empty() && (what.back() == '.' || what.back() == '\n')) {
    what.pop_back();
  }
  return absl::InvalidArgumentError(what);
}

// Turns the parsed flags of one subcommand into its Command.
using Finish = std::function<absl::StatusOr<Command>(const Environment&)>;

// Declares a subcommand's options on `app`, bound to flags that the returned
// Finish owns.
template <typename Flags, typename Result>
Finish Declare(CLI::App& app, void (*add)(CLI::App&, Flags&),
               absl::StatusOr<Result> (*from)(const Flags&, const Environment&)) {
  auto flags = std::make_shared<Flags>();
  add(app, *flags);
  return [flags, from](const Environment& env) -> absl::StatusOr<Command> {
    ASSIGN_OR_RETURN(Result result, from(*flags, env));
    return Command(std::move(result));
  };
}

struct Subcommand {
  const char* name;
  const char* description;
  Finish (*declare)(CLI::App& app);
};

// In the order --help lists them.
const Subcommand kSubcommands[] = {
    {"assemble", "Build an image from local files and directories, without cargo",
     [](CLI::App& app) { return Declare(app, AddAssembleOptions, AssembleFrom); }},
    {"inspect", "Print an image's manifest, config and labels",
     [](CLI::App& app) { return Declare(app, AddInspectOptions, InspectFrom); }},
    {"prepare", "Write the recipe (the cache key) of a Cargo workspace",
     [](CLI::App& app) { return Declare(app, AddPrepareOptions, PrepareFrom); }},
    {"skeleton", "Write the stub workspace a recipe describes",
     [](CLI::App& app) { return Declare(app, AddSkeletonOptions, SkeletonFrom); }},
    {"build", "Build a workspace's dependencies in a sandbox into a cache image",
     [](CLI::App& app) { return Declare(app, AddBuildOptions, BuildFrom); }},
    {"restore", "Put a cache image's target directory and cargo home back",
     [](CLI::App& app) { return Declare(app, AddRestoreOptions, RestoreFrom); }},
    {"copy", "Copy an image between any two references, keeping its digest",
     [](CLI::App& app) { return Declare(app, AddCopyOptions, CopyFrom); }},
};

absl::StatusOr<Command> ParseArgs(int argc, const char* const* argv,
                                  const Environment& env) {
  CLI::App app{std::string(kDescription), "cook"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Print help for every command");
  std::vector<std::pair<CLI::App*, Finish>> subcommands;
  for (const Subcommand& s : kSubcommands) {
    CLI::App* sub = app.add_subcommand(s.name, s.description);
    subcommands.emplace_back(sub, s.declare(*sub));
    sub->fallthrough(false);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    CLI::App* which = &app;
    for (CLI::App* sub : app.get_subcommands()) which = sub;
    return HelpRequest{which->help()};
  } catch (const CLI::CallForAllHelp&) {
    return HelpRequest{app.help("", CLI::AppFormatMode::All)};
  } catch (const CLI::ParseError& e) {
    return UsageError(e);
  }
  for (const auto& [sub, finish] : subcommands) {
    if (sub->parsed()) return finish(env);
  }
  return absl::InternalError("no subcommand parsed");
}

}  // namespace

std::vector<std::string> CargoOptions::ToArgs() const {
  std::vector<std::string> args;
  if (release) args.push_back("--release");
  if (!profile.empty()) args.insert(args.end(), {"--profile", profile});
  for (const auto& t : targets) args.insert(args.end(), {"--target", t});
  if (!features.empty()) args.insert(args.end(), {"--features", features});
  if (all_features) args.push_back("--all-features");
  if (no_default_features) args.push_back("--no-default-features");
  for (const auto& p : packages) args.insert(args.end(), {"--package", p});
  for (const auto& b : bins) args.insert(args.end(), {"--bin", b});
  if (all_bins) args.push_back("--bins");
  if (workspace) args.push_back("--workspace");
  if (tests) args.push_back("--tests");
  if (benches) args.push_back("--benches");
  if (examples) args.push_back("--examples");
  if (all_targets) args.push_back("--all-targets");
  if (locked) args.push_back("--locked");
  if (frozen) args.push_back("--frozen");
  if (offline) args.push_back("--offline");
  if (jobs > 0) args.insert(args.end(), {"--jobs", std::to_string(jobs)});
  return args;
}

absl::StatusOr<absl::Time> EpochFrom(const Environment& env) {
  if (!env.source_date_epoch.has_value() || env.source_date_epoch->empty()) {
    return absl::FromUnixSeconds(1);
  }
  int64_t seconds = 0;
  if (!absl::SimpleAtoi(*env.source_date_epoch, &seconds) || seconds < 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "SOURCE_DATE_EPOCH=\"%s\": expected a non-negative number of seconds",
        *env.source_date_epoch));
  }
  return absl::FromUnixSeconds(seconds);
}

absl::StatusOr<Command> Parse(int argc, const char* const* argv,
                              const Environment& env) {
  ASSIGN_OR_RETURN(Command command, ParseArgs(argc, argv, env));
  std::visit(
      [&env](auto& c) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(c)>, HelpRequest>) {
          c.common.environment = env.variables;
          c.common.temp_dir = env.temp_dir;
        }
      },
      command);
  return command;
}

}  // namespace cook::cli
