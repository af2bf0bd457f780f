#ifndef COOK_BUILDER_CLI_REPORT_H_
#define COOK_BUILDER_CLI_REPORT_H_

// How a command's outcome reaches the user: the error line(s) on stderr and
// the exit status.

#include <cstdio>

#include "absl/status/status.h"

namespace cook::cli {

// Prints "cook: error: <message>" (and a "hint:" line when the message ends
// with one after "\nhint: ") and returns the exit status: 0 success, 1
// failure, 130 interrupted. The message and the hint are each escaped onto
// one line (EscapeForDisplay): quoted untrusted text adds no lines. Usage
// errors are reported by ReportUsage, which adds a hint to run --help when
// the message carries none.
int Report(const absl::Status& status, std::FILE* err);
int ReportUsage(const absl::Status& status, std::FILE* err);

}  // namespace cook::cli

#endif  // COOK_BUILDER_CLI_REPORT_H_
