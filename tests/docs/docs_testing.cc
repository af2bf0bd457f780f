#include "tests/docs/docs_testing.h"


#include "absl/status/statusor.h"
#include "base/files.h"
#include "gtest/gtest.h"
#include "tests/testing/subprocess.h"

namespace cook::testing {

std::string ReadTestData(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) {
    ADD_FAILURE() << "reading " << path << ": " << text.status();
    return "";
  }
  return *text;
}

std::string RenderedManPage() {
  RunResult r = RunProgram({"groff", "-man", "-Tascii", "-P-cbou", "-rLL=2000n", "-rHY=0",
                            RunfilePath("docs/cook.1")});
  EXPECT_EQ(r.exit_code, 0) << "groff is needed (Debian: groff-base)\n" << r.err;
  return r.out;
}

}  // namespace cook::testing
