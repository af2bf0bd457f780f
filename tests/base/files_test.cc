#include "base/files.h"

#include <sys/stat.h>

#include "base/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace cook {
namespace {

using ::cook::testing::IsOk;
using ::cook::testing::IsOkAndHolds;
using ::cook::testing::StatusIs;
using ::testing::HasSubstr;

class FilesTest : public cook::testing::TempDirTest {};

TEST_F(FilesTest, AtomicWriteReplacesAndLeavesNoTemporary) {
  const auto path = root_ / "index.json";
  ASSERT_THAT(WriteFileAtomically(path, "old"), IsOk());
  ASSERT_THAT(WriteFileAtomically(path, "new contents"), IsOk());
  EXPECT_THAT(ReadFile(path), IsOkAndHolds(std::string("new contents")));
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(root_)) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST_F(FilesTest, ReadMissingFileIsNotFoundAndNamesThePath) {
  EXPECT_THAT(ReadFile(root_ / "missing"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing")));
}

TEST_F(FilesTest, ReadFileAtMostRefusesALargerFile) {
  const std::filesystem::path path = root_ / "f";
  ASSERT_THAT(WriteFileAtomically(path, std::string(100, 'x')), IsOk());
  EXPECT_THAT(ReadFileAtMost(path, 100), IsOkAndHolds(std::string(100, 'x')));
  EXPECT_THAT(ReadFileAtMost(path, 99),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr(path.string() + ": larger than 99 bytes")));
  EXPECT_THAT(ReadFileAtMost(root_ / "missing", 99),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(FilesTest, AtomicWriteIntoUnwritableDirectoryKeepsOldFile) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  const auto path = root_ / "f";
  ASSERT_THAT(WriteFileAtomically(path, "old"), IsOk());
  ::chmod(root_.c_str(), 0555);
  EXPECT_THAT(WriteFileAtomically(path, "new"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("f")));
  ::chmod(root_.c_str(), 0755);
  EXPECT_THAT(ReadFile(path), IsOkAndHolds(std::string("old")));
}

absl::StatusOr<int> Half(int x) {
  if (x % 2) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::StatusOr<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int half, Half(x));
  ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

absl::Status CheckEven(int x) {
  RETURN_IF_ERROR(Half(x));
  return absl::OkStatus();
}

TEST(StatusMacrosTest, PropagateErrorsAndValues) {
  EXPECT_THAT(Quarter(8), IsOkAndHolds(2));
  EXPECT_THAT(Quarter(6), StatusIs(absl::StatusCode::kInvalidArgument, "odd"));
  EXPECT_THAT(CheckEven(3), StatusIs(absl::StatusCode::kInvalidArgument, "odd"));
  EXPECT_THAT(Annotate(Half(3), "halving 3"),
              StatusIs(absl::StatusCode::kInvalidArgument, "halving 3: odd"));
}

}  // namespace
}  // namespace cook
