// What cook makes of the supervisor's reports, and the allocation-free
// string the cloned processes build paths with.

#include "sandbox/internal/report.h"

#include <signal.h>

#include <string>

#include "gtest/gtest.h"
#include "sandbox/internal/fixed_string.h"
#include "sandbox/internal/plan.h"

namespace cook::sandbox::internal {
namespace {

TEST(DescribeTest, NamesTheWritablePathOrMountPointOfTheStep) {
  Plan plan;
  plan.writable = {"/work", "/work/target"};
  plan.mount_points = {"/", "/home"};
  EXPECT_EQ(Describe(plan, Report{ReportKind::kFailed, Step::kBindWritable, 1,
                                  EPERM, 0}),
            "setting up the sandbox: binding /work/target");
  EXPECT_EQ(Describe(plan, Report{ReportKind::kFailed, Step::kRemountReadOnly,
                                  1, EPERM, 0}),
            "setting up the sandbox: remounting /home read-only");
  EXPECT_EQ(Describe(plan, Report{ReportKind::kFailed, Step::kOpenWritable, 7,
                                  EPERM, 0}),
            "setting up the sandbox: opening ?");
}

TEST(DescribeTest, NamesTheProgramAndDirectory) {
  std::string program = "/bin/cargo";
  Plan plan;
  plan.argv = {program.data(), nullptr};
  plan.cwd = "/src";
  EXPECT_EQ(Describe(plan, Report{ReportKind::kFailed, Step::kChdir, -1,
                                  ENOENT, 0}),
            "running /bin/cargo: changing to directory /src");
  EXPECT_EQ(
      Describe(plan, Report{ReportKind::kFailed, Step::kExec, -1, ENOENT, 0}),
      "running /bin/cargo");
}

TEST(WaitStatusTest, ExitCodeAndDescriptionFollowTheShell) {
  const int exited_3 = 3 << 8;
  const int killed_by_9 = SIGKILL;
  EXPECT_EQ(ExitCode(exited_3), 3);
  EXPECT_EQ(ExitCode(killed_by_9), 128 + SIGKILL);
  EXPECT_EQ(DescribeWait(exited_3), "exited with status 3");
  EXPECT_EQ(DescribeWait(killed_by_9), "killed by signal 9");
}

TEST(FixedStringTest, AppendsTextAndNumbers) {
  FixedString<32> s;
  s.Append("/proc/").Append(1234L).Append("/stat");
  EXPECT_STREQ(s.c_str(), "/proc/1234/stat");
  EXPECT_FALSE(s.overflow());
  FixedString<8> n;
  n.Append(-42L).Append(0L);
  EXPECT_STREQ(n.c_str(), "-420");
}

TEST(FixedStringTest, TruncatesAndFlagsOverflow) {
  FixedString<5> s;
  s.Append("abcdef");
  EXPECT_STREQ(s.c_str(), "abcd");
  EXPECT_TRUE(s.overflow());
}

}  // namespace
}  // namespace cook::sandbox::internal
