#ifndef COOK_TESTS_BUILDER_CLI_USAGE_TESTING_H_
#define COOK_TESTS_BUILDER_CLI_USAGE_TESTING_H_

#include <string>

#include "absl/status/status.h"

namespace cook::cli {

// What cook prints for `status` as a usage error (cli::ReportUsage), checking
// (gtest) that it would exit 2.
std::string PrintedUsageError(const absl::Status& status);

}  // namespace cook::cli

#endif  // COOK_TESTS_BUILDER_CLI_USAGE_TESTING_H_
