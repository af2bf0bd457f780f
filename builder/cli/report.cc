#include "builder/cli/report.h"

#include <string>
#include <string_view>

#include "absl/strings/str_format.h"
#include "base/text.h"

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

}  // namespace cook::cli
