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

// In the order --help lists them.
const Subcommand* const kSubcommands[] = {
    &kAssembleCommand, &kInspectCommand, &kPrepareCommand, &kSkeletonCommand,
    &kBuildCommand,    &kRestoreCommand, &kCopyCommand,
};

}  // namespace

absl::StatusOr<Command> Parse(int argc, const char* const* argv,
                              const Environment& env) {
  CLI::App app{std::string(kDescription), "cook"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Print help for every command");
  std::vector<std::pair<CLI::App*, Finish>> subcommands;
  for (const Subcommand* s : kSubcommands) {
    CLI::App* sub = app.add_subcommand(s->name, s->description);
    subcommands.emplace_back(sub, s->declare(*sub, env));
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

}  // namespace cook::cli
