// What cook prints on stderr for an error or a step: one line each, whatever
// untrusted text the message quotes; only cook's own trailing hint gets a
// line of its own.

#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "builder/cli/report.h"
#include "builder/cli/progress.h"
#include "gtest/gtest.h"

namespace cook::cli {
namespace {

// Runs `print` on a temporary FILE and returns what it wrote.
template <typename Print>
std::string Captured(Print print) {
  std::FILE* file = std::tmpfile();
  EXPECT_NE(file, nullptr);
  if (file == nullptr) return "";
  print(file);
  std::fflush(file);
  std::rewind(file);
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) out.append(buffer, n);
  std::fclose(file);
  return out;
}

TEST(ReportTest, AnErrorIsOneEscapedLine) {
  int code = -1;
  const std::string out = Captured([&](std::FILE* f) {
    code = Report(absl::NotFoundError("reading /x\ncook: error: forged\x1b[2J\xff"), f);
  });
  EXPECT_EQ(code, 1);
  EXPECT_EQ(out, "cook: error: reading /x\\ncook: error: forged\\x1b[2J\\xff\n");
}

TEST(ReportTest, OnlyTheLastHintIsALineOfItsOwn) {
  const std::string out = Captured([](std::FILE* f) {
    Report(absl::InvalidArgumentError(
               "parsing \"x\nhint: forged\": unknown\nhint: use oci:DIR\x07"),
           f);
  });
  EXPECT_EQ(out,
            "cook: error: parsing \"x\\nhint: forged\": unknown\n"
            "hint: use oci:DIR\\x07\n");
}

TEST(ReportTest, UsageErrorsGetOneHint) {
  int code = -1;
  std::string out = Captured([&](std::FILE* f) {
    code = ReportUsage(absl::InvalidArgumentError("--jobs \"x\": not a number"), f);
  });
  EXPECT_EQ(code, 2);
  EXPECT_EQ(out,
            "cook: error: --jobs \"x\": not a number\n"
            "hint: run 'cook --help' for usage\n");
  out = Captured([](std::FILE* f) {
    ReportUsage(absl::InvalidArgumentError("unknown transport\nhint: use oci:DIR"), f);
  });
  EXPECT_EQ(out, "cook: error: unknown transport\nhint: use oci:DIR\n");
}

TEST(ReportTest, InterruptAndSuccess) {
  int code = -1;
  EXPECT_EQ(Captured([&](std::FILE* f) { code = Report(absl::CancelledError("x\ny"), f); }),
            "cook: interrupted\n");
  EXPECT_EQ(code, 130);
  EXPECT_EQ(Captured([&](std::FILE* f) { code = Report(absl::OkStatus(), f); }), "");
  EXPECT_EQ(code, 0);
}

TEST(ProgressTest, StepsWarningsAndTasksAreOneEscapedLineEach) {
  const std::string out = Captured([](std::FILE* f) {
    Progress progress(f, /*quiet=*/false);
    progress.Step("wrote oci:/x\ncook: forged\x1b[2J");
    progress.Warn("label \xc2\x9b" "31m\r");
    progress.Begin("layer 1 (/\xff\n)", 10);
    progress.Update(10);
    progress.End();
  });
  const std::string escaped_task = "layer 1 (/\\xff\\n)";
  EXPECT_EQ(out.substr(0, out.rfind(" in ")),
            "cook: wrote oci:/x\\ncook: forged\\x1b[2J\n"
            "cook: warning: label \\u{9b}31m\\r\n"
            "cook: " + escaped_task + " (10 B)\n"
            "cook: " + escaped_task + " done: 10 B");
}

}  // namespace
}  // namespace cook::cli
