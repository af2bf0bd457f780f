#include <string>
#include <variant>

#include "absl/strings/str_format.h"
#include "builder/cli/commands.h"

namespace cook::cli {
namespace {

// A message may carry a hint after a newline ("cause\nhint: next step").
void PrintError(const absl::Status& status, std::FILE* err) {
  std::string message(status.message());
  if (message.empty()) message = absl::StatusCodeToString(status.code());
  absl::FPrintF(err, "cook: error: %s\n", message);
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
  PrintError(status, err);
  absl::FPrintF(err, "hint: run 'cook --help' for usage\n");
  return 2;
}

absl::Status Run(const Command& command, std::FILE* out, std::FILE* err) {
  if (const auto* help = std::get_if<HelpRequest>(&command)) {
    absl::FPrintF(out, "%s", help->text);
    return absl::OkStatus();
  }
  if (const auto* assemble = std::get_if<AssembleOptions>(&command)) {
    Progress progress(err, assemble->common.quiet);
    return RunAssemble(*assemble, out, progress);
  }
  if (const auto* prepare = std::get_if<PrepareCommand>(&command)) {
    return RunPrepare(*prepare, out);
  }
  if (const auto* skeleton = std::get_if<SkeletonCommand>(&command)) {
    return RunSkeleton(*skeleton, out);
  }
  if (const auto* build = std::get_if<BuildCommand>(&command)) {
    Progress progress(err, build->common.quiet);
    return RunBuild(*build, out, progress);
  }
  if (const auto* restore = std::get_if<RestoreCommand>(&command)) {
    Progress progress(err, restore->common.quiet);
    return RunRestore(*restore, out, progress);
  }
  return RunInspect(std::get<InspectOptions>(command), out);
}

}  // namespace cook::cli
