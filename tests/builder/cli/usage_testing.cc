#include "tests/builder/cli/usage_testing.h"

#include <cstdio>
#include <cstdlib>

#include "builder/cli/report.h"
#include "gtest/gtest.h"

namespace cook::cli {

std::string PrintedUsageError(const absl::Status& status) {
  char* text = nullptr;
  size_t size = 0;
  std::FILE* err = open_memstream(&text, &size);
  EXPECT_EQ(ReportUsage(status, err), 2);
  std::fclose(err);
  std::string out(text, size);
  std::free(text);
  return out;
}

}  // namespace cook::cli
