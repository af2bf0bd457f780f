#include "builder/cli/command.h"

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "builder/cli/flags.h"
#include "builder/cli/subcommands.h"

namespace cook::cli {
namespace {

constexpr absl::string_view kDescription =
    "cook: a daemonless image builder for Rust dependency caches";

// CLI11 reports through exceptions; they stop here.
absl::Status UsageError(const CLI::Error& e) {
  std::string what = e.what();
  if (what.empty()) what = e.get_name();
  // CLI11 capitalises and punctuates; our errors are lowercase, no period.
  if (!what.empty()) what[0] = static_cast<char>(std::tolower(what[0]));
  while (!what.empty() && (what.back() == '.' || what.back() == '\n')) {
    what.pop_back();
  }
  return absl::InvalidArgumentError(what);
}

HelpRequest Help(const CLI::App& app, bool all) {
  if (all) return HelpRequest{app.help("", CLI::AppFormatMode::All)};
  const CLI::App* which = &app;
  for (const CLI::App* sub : app.get_subcommands()) which = sub;
  return HelpRequest{which->help()};
}

// Whether --help (false) or --help-all (true) was given, to `app` or to the
// subcommand; nullopt when neither was.
std::optional<bool> HelpFlag(const CLI::App& app) {
  std::vector<const CLI::App*> apps = {&app};
  for (const CLI::App* sub : app.get_subcommands()) apps.push_back(sub);
  for (const CLI::App* a : apps) {
    if (a->get_help_ptr() != nullptr && a->get_help_ptr()->count() > 0) return false;
    if (a->get_help_all_ptr() != nullptr && a->get_help_all_ptr()->count() > 0) {
      return true;
    }
  }
  return std::nullopt;
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
  app.set_version_flag("--version", env.version,
                       "Print `cook VERSION (COMMIT)` and exit");
  std::vector<std::pair<CLI::App*, Finish>> subcommands;
  for (const Subcommand* s : kSubcommands) {
    CLI::App* sub = app.add_subcommand(s->name, s->description);
    subcommands.emplace_back(sub, s->declare(*sub, env));
    sub->fallthrough(false);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return Help(app, /*all=*/false);
  } catch (const CLI::CallForAllHelp&) {
    return Help(app, /*all=*/true);
  } catch (const CLI::CallForVersion& e) {
    return HelpRequest{absl::StrCat(e.what(), "\n")};
  } catch (const UsageText& e) {
    // CLI11 runs cook's conversions before it looks for --help; --help wins,
    // as it does over the checks made after parsing.
    if (std::optional<bool> all = HelpFlag(app)) return Help(app, *all);
    return e.status();
  } catch (const CLI::ParseError& e) {
    return UsageError(e);
  }
  for (const auto& [sub, finish] : subcommands) {
    if (sub->parsed()) return finish(env);
  }
  return absl::InternalError("no subcommand parsed");
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
