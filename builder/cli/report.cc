#include <string>
#include <string_view>
#include <variant>

#include "absl/strings/str_format.h"
#include "base/text.h"
#include "builder/cli/commands.h"
#include "builder/cli/image_io.h"

namespace cook::cli {
namespace {

constexpr std::string_view kHintMarker = "\nhint: ";

// A message may end with a hint that cook added ("cause\nhint: next step").
// Everything else in it may quote untrusted text (paths, references, image
// and registry text, cargo's output), so the cause and the hint are each
// escaped onto one line: an error prints at most those two lines, and no
// terminal controls. The hint is the last marker's, so one quoted before
// cook's own stays inside the escaped cause. Returns whether a hint was
// printed.
bool PrintError(const absl::Status& status, std::FILE* err) {
  std::string_view message(status.message().data(), status.message().size());
  std::string_view hint;
  if (const size_t at = message.rfind(kHintMarker); at != std::string_view::npos) {
    hint = message.substr(at + kHintMarker.size());
    message = message.substr(0, at);
  }
  const std::string cause = message.empty()
                                ? absl::StatusCodeToString(status.code())
                                : EscapeControls(message);
  absl::FPrintF(err, "cook: error: %s\n", cause);
  if (hint.empty()) return false;
  absl::FPrintF(err, "hint: %s\n", EscapeControls(hint));
  return true;
}

}  // namespace

int Report(const absl::Status& status, std::FILE* err) {
  if (status.ok()) return 0;
  if (status.code() == absl::StatusCode::kCancelled) {
    absl::FPrintF(err, "cook: interrupted\n");
    return 130;
  }
  PrintError(status, err);
  return 1;
}

int ReportUsage(const absl::Status& status, std::FILE* err) {
  if (!PrintError(status, err)) absl::FPrintF(err, "hint: run 'cook --help' for usage\n");
  return 2;
}

absl::Status Run(const Command& command, std::FILE* out, std::FILE* err) {
  if (const auto* help = std::get_if<HelpRequest>(&command)) {
    absl::FPrintF(out, "%s", help->text);
    return absl::OkStatus();
  }
  if (const auto* assemble = std::get_if<AssembleOptions>(&command)) {
    Progress progress(err, assemble->common.quiet);
    auto registries = NewRegistrySession(assemble->common.registry, progress);
    return RunAssemble(*assemble, out, progress, *registries);
  }
  if (const auto* prepare = std::get_if<PrepareCommand>(&command)) {
    return RunPrepare(*prepare, out);
  }
  if (const auto* skeleton = std::get_if<SkeletonCommand>(&command)) {
    return RunSkeleton(*skeleton, out);
  }
  if (const auto* build = std::get_if<BuildCommand>(&command)) {
    Progress progress(err, build->common.quiet);
    auto registries = NewRegistrySession(build->common.registry, progress);
    return RunBuild(*build, out, progress, *registries);
  }
  if (const auto* restore = std::get_if<RestoreCommand>(&command)) {
    Progress progress(err, restore->common.quiet);
    auto registries = NewRegistrySession(restore->common.registry, progress);
    return RunRestore(*restore, out, progress, *registries);
  }
  if (const auto* copy = std::get_if<CopyCommand>(&command)) {
    Progress progress(err, copy->common.quiet);
    auto registries = NewRegistrySession(copy->common.registry, progress);
    return RunCopy(*copy, out, progress, *registries);
  }
  const auto& inspect = std::get<InspectOptions>(command);
  Progress progress(err, inspect.common.quiet);
  auto registries = NewRegistrySession(inspect.common.registry, progress);
  return RunInspect(inspect, out, *registries);
}

}  // namespace cook::cli
