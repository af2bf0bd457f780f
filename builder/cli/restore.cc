// `cook restore`: cache::Restore with the runner's toolchain, and what it
// prints. The verdict is the command's result: on stdout, before anything is
// downloaded, and not silenced by --quiet; with --json it is in the JSON
// object instead (and a progress step on stderr).

#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/json_line.h"
#include "base/status_macros.h"
#include "base/text.h"
#include "builder/cli/commands.h"
#include "cache/restore.h"
#include "nlohmann/json.hpp"
#include "sandbox/sandbox.h"

namespace cook::cli {
namespace {

void PrintVerdict(const cache::Verdict& verdict, const std::string& reference, bool json,
                  std::FILE* out, Progress& progress) {
  const std::string line = EscapeControls(cache::VerdictLine(verdict));
  if (json) {
    progress.Step(absl::StrCat(line, " (", reference, ")"));
    return;
  }
  absl::FPrintF(out, "%s\n", line);
  if (!verdict.hint.empty()) absl::FPrintF(out, "hint: %s\n", EscapeControls(verdict.hint));
  std::fflush(out);
}

// The verdict's part of the --json object.
void AddVerdict(const cache::Verdict& v, nlohmann::json& doc) {
  doc["verdict"] = cache::VerdictName(v.kind);
  doc["reasons"] = v.reasons;
  if (!v.hint.empty()) doc["hint"] = v.hint;
  if (v.crates.has_value()) {
    doc["crates"] = {
        {"added", v.crates->added}, {"removed", v.crates->removed}, {"changed", v.crates->changed}};
  }
}

nlohmann::json ResultJson(const RestoreCommand& command, const cache::RestoreResult& result) {
  nlohmann::json doc = {{"image", result.image_digest},
                        {"reference", result.reference},
                        {"recipe", result.cache.key.recipe_digest},
                        {"cargo_options", result.cache.key.cargo_options},
                        {"target_dir", command.restore.target_dir},
                        {"cargo_home", command.restore.cargo_home},
                        {"layers", result.layers}};
  if (result.verdict.has_value()) AddVerdict(*result.verdict, doc);
  return doc;
}

}  // namespace

absl::Status RunRestore(const RestoreCommand& command, std::FILE* out,
                        Progress& progress, registry::RegistrySession& registries) {
  ASSIGN_OR_RETURN(std::unique_ptr<sandbox::SandboxRunner> direct,
                   sandbox::NewSandboxRunner(sandbox::SandboxMode::kOff, nullptr));
  const std::unique_ptr<cache::ToolchainProbe> toolchain = cache::NewToolchainProbe(*direct);
  const bool json = command.common.json;
  std::optional<std::pair<cache::Verdict, std::string>> judged;
  absl::StatusOr<cache::RestoreResult> restored = cache::Restore(
      command.restore, progress, registries, toolchain.get(),
      [&](const cache::Verdict& verdict, const std::string& reference) {
        judged.emplace(verdict, reference);
        PrintVerdict(verdict, reference, json, out, progress);
      });
  if (!restored.ok() && json && judged.has_value()) {
    // --require-hit refused it (or extraction failed part way: how many
    // layers went in is then not said): the verdict is still the answer a
    // script asked for, next to the error on stderr.
    nlohmann::json doc = {{"reference", judged->second}};
    AddVerdict(judged->first, doc);
    absl::FPrintF(out, "%s\n", JsonLine(doc));
  }
  ASSIGN_OR_RETURN(const cache::RestoreResult result, std::move(restored));
  if (json) absl::FPrintF(out, "%s\n", JsonLine(ResultJson(command, result)));
  if (result.layers == 0 && result.verdict.has_value()) return absl::OkStatus();
  const std::string& options = result.cache.key.cargo_options;
  progress.Step(absl::StrFormat("restored %d layer%s from %s; build with: cargo build%s%s",
                                result.layers, result.layers == 1 ? "" : "s", result.reference,
                                options.empty() ? "" : " ", options));
  return absl::OkStatus();
}

}  // namespace cook::cli
