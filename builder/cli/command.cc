#include "builder/cli/command.h"

#include <filesystem>
#include <memory>
#include <sstream>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"

namespace cook::cli {
namespace {

constexpr absl::string_view kDescription =
    "cook: a daemonless image builder for Rust dependency caches";

std::string Absolute(const std::string& path, const Environment& env) {
  std::filesystem::path p(path);
  if (p.is_absolute()) return p.lexically_normal().string();
  return (std::filesystem::path(env.working_dir) / p).lexically_normal().string();
}

absl::StatusOr<std::pair<std::string, std::string>> ParseKeyValue(
    std::string_view flag, const std::string& text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s \"%s\": expected KEY=VALUE", flag, text));
  }
  return std::make_pair(text.substr(0, eq), text.substr(eq + 1));
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ParseKeyValues(
    std::string_view flag, const std::vector<std::string>& texts) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& text : texts) {
    ASSIGN_OR_RETURN(auto kv, ParseKeyValue(flag, text));
    out.push_back(std::move(kv));
  }
  return out;
}

absl::StatusOr<oci::ImageReference> ParseRef(const std::string& text,
                                             const Environment& env) {
  ASSIGN_OR_RETURN(oci::ImageReference ref, oci::ParseReference(text));
  return oci::ResolvePaths(std::move(ref), env.working_dir);
}

absl::StatusOr<AddSpec> ParseAdd(const std::string& text,
                                 const Environment& env) {
  // SRC[:DEST]: DEST is absolute inside the image, so the split is at the
  // last ":" that is followed by "/".
  AddSpec spec;
  size_t colon = text.rfind(":/");
  std::string source = text;
  spec.dest = "/";
  if (colon != std::string::npos) {
    source = text.substr(0, colon);
    spec.dest = text.substr(colon + 1);
  }
  if (source.empty()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("--add \"%s\": expected SRC[:DEST]", text));
  }
  spec.source = Absolute(source, env);
  return spec;
}

void AddCommon(CLI::App* app, CommonOptions* common) {
  app->add_flag("--json", common->json,
                "Print the result as one JSON object on stdout");
  app->add_flag("-q,--quiet", common->quiet, "Silence progress output");
}

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

}  // namespace

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
  CLI::App app{std::string(kDescription), "cook"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Print help for every command");

  // assemble
  CLI::App* assemble = app.add_subcommand(
      "assemble", "Build an image from local files and directories, without cargo");
  CommonOptions assemble_common;
  std::string base_text = "scratch";
  std::vector<std::string> adds, dests, envs, labels, entrypoint, cmd;
  std::string workdir, platform_text, compression_text = "zstd";
  int level = 0;
  assemble->add_option("--base", base_text, "Base image (default scratch)");
  assemble->add_option("--add", adds, "SRC[:DEST]: one layer per --add")
      ->required();
  assemble->add_option("--dest", dests, "Destination image reference")
      ->required();
  assemble->add_option("--env", envs, "KEY=VALUE for the image config");
  auto* workdir_opt = assemble->add_option("--workdir", workdir, "Working directory");
  auto* entrypoint_opt =
      assemble->add_option("--entrypoint", entrypoint, "Entrypoint argument");
  auto* cmd_opt = assemble->add_option("--cmd", cmd, "Cmd argument");
  assemble->add_option("--label", labels, "KEY=VALUE label");
  assemble->add_option("--platform", platform_text, "OS/ARCH[/VARIANT]");
  assemble->add_option("--compression", compression_text, "zstd or gzip")
      ->check(CLI::IsMember({"zstd", "gzip"}));
  assemble->add_option("--compression-level", level, "Compression level");
  AddCommon(assemble, &assemble_common);

  // inspect
  CLI::App* inspect =
      app.add_subcommand("inspect", "Print an image's manifest, config and labels");
  CommonOptions inspect_common;
  std::string inspect_ref, inspect_platform;
  inspect->add_option("REF", inspect_ref, "Image reference")->required();
  inspect->add_option("--platform", inspect_platform, "OS/ARCH[/VARIANT]");
  AddCommon(inspect, &inspect_common);

  for (CLI::App* sub : app.get_subcommands({})) {
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

  if (assemble->parsed()) {
    AssembleOptions o;
    o.common = assemble_common;
    ASSIGN_OR_RETURN(o.base, ParseRef(base_text, env));
    for (const auto& a : adds) {
      ASSIGN_OR_RETURN(AddSpec spec, ParseAdd(a, env));
      o.adds.push_back(std::move(spec));
    }
    for (const auto& d : dests) {
      ASSIGN_OR_RETURN(oci::ImageReference ref, ParseRef(d, env));
      if (ref.transport == oci::Transport::kScratch) {
        return absl::InvalidArgumentError(
            "--dest scratch: scratch can only be a base image");
      }
      o.dests.push_back(std::move(ref));
    }
    ASSIGN_OR_RETURN(o.env, ParseKeyValues("--env", envs));
    ASSIGN_OR_RETURN(o.labels, ParseKeyValues("--label", labels));
    if (*workdir_opt) o.workdir = workdir;
    if (*entrypoint_opt) o.entrypoint = entrypoint;
    if (*cmd_opt) o.cmd = cmd;
    if (!platform_text.empty()) {
      ASSIGN_OR_RETURN(o.platform, oci::ParsePlatform(platform_text));
    }
    ASSIGN_OR_RETURN(o.compression, layers::ParseCompression(compression_text));
    if (level != 0) RETURN_IF_ERROR(layers::ValidateLevel(o.compression, level));
    o.compression_level = level;
    ASSIGN_OR_RETURN(o.epoch, EpochFrom(env));
    return o;
  }
  InspectOptions o;
  o.common = inspect_common;
  ASSIGN_OR_RETURN(o.ref, ParseRef(inspect_ref, env));
  if (o.ref.transport == oci::Transport::kScratch) {
    return absl::InvalidArgumentError("inspect scratch: scratch is not an image");
  }
  if (!inspect_platform.empty()) {
    ASSIGN_OR_RETURN(o.platform, oci::ParsePlatform(inspect_platform));
  }
  return o;
}

}  // namespace cook::cli
