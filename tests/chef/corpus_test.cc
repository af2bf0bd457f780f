// Acceptance: for every workspace in ../shared/corpus, cargo describes the
// skeleton exactly as it describes the original (masked versions aside).

#include <filesystem>
#include <string>

#include "base/files.h"
#include "chef/prepare.h"
#include "chef/recipe.h"
#include "chef/skeleton.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/chef/cargo_testing.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace cook::chef {
namespace {

namespace fs = std::filesystem;
using ::cook::testing::IsOk;
using ::cook::testing::IsOkAndHolds;

class CorpusTest : public cook::testing::TempDirTest {};

TEST_F(CorpusTest, SkeletonMetadataMatchesOriginal) {
  const std::optional<std::string> cargo = testing::FindCargo();
  if (!cargo) GTEST_SKIP() << "cargo is not installed";
  const std::optional<fs::path> corpus = testing::CorpusDir();
  if (!corpus)
    GTEST_SKIP() << "../shared/corpus not found beside the source tree";
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(*corpus)) {
    if (!entry.is_directory()) continue;
    const std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    const fs::path original = root_ / "original" / name;
    testing::CopyTree(entry.path(), original);
    absl::StatusOr<Recipe> recipe = Prepare({original, ""});
    ASSERT_THAT(recipe, IsOk());
    const std::string bytes = SerializeRecipe(*recipe);
    ASSERT_THAT(ParseRecipe(bytes, "recipe.json"), IsOkAndHolds(*recipe));
    // Same bytes for the read-only original at another path.
    absl::StatusOr<Recipe> in_place = Prepare({entry.path(), ""});
    ASSERT_THAT(in_place, IsOk());
    EXPECT_EQ(SerializeRecipe(*in_place), bytes);
    const fs::path skeleton = root_ / "skeleton" / name;
    ASSERT_THAT(WriteSkeleton(*recipe, skeleton), IsOk());
    const auto want =
        testing::NormalizedMetadata(*cargo, original, original, root_);
    const auto got = testing::NormalizedMetadata(
        *cargo, SkeletonWorkspaceRoot(*recipe, skeleton), skeleton, root_);
    ASSERT_TRUE(want.is_object());
    EXPECT_FALSE(want["packages"].empty());
    EXPECT_EQ(got.dump(1), want.dump(1));
    ++checked;
  }
  EXPECT_GE(checked, 3);
}

// `--bin` for every member of every corpus workspace: cargo accepts the
// pruned skeleton and lists the selected package among the members.
TEST_F(CorpusTest, EveryBinSelectionGivesAValidSkeleton) {
  const std::optional<std::string> cargo = testing::FindCargo();
  if (!cargo) GTEST_SKIP() << "cargo is not installed";
  const std::optional<fs::path> corpus = testing::CorpusDir();
  if (!corpus)
    GTEST_SKIP() << "../shared/corpus not found beside the source tree";
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(*corpus)) {
    if (!entry.is_directory()) continue;
    const std::string name = entry.path().filename().string();
    absl::StatusOr<Recipe> full = Prepare({entry.path(), ""});
    ASSERT_THAT(full, IsOk());
    for (const RecipePackage& package : full->packages) {
      if (!package.member) continue;
      SCOPED_TRACE(name + " --bin " + package.name);
      absl::StatusOr<Recipe> recipe = Prepare({entry.path(), package.name});
      ASSERT_THAT(recipe, IsOk());
      EXPECT_LE(recipe->packages.size(), full->packages.size());
      const fs::path skeleton = root_ / "bin" / name / package.name;
      ASSERT_THAT(WriteSkeleton(*recipe, skeleton), IsOk());
      cook::testing::RunResult r = testing::RunCargo(
          *cargo,
          {"metadata", "--no-deps", "--offline", "--format-version", "1"},
          SkeletonWorkspaceRoot(*recipe, skeleton), root_);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_THAT(r.out,
                  ::testing::HasSubstr("\"name\":\"" + package.name + "\""));
      ++checked;
    }
  }
  EXPECT_GE(checked, 10);
}

}  // namespace
}  // namespace cook::chef
