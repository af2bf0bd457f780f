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

// Skips without cargo or without the corpus.
class CorpusTest : public cook::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    const std::optional<std::string> found_cargo = testing::FindCargo();
    if (!found_cargo) GTEST_SKIP() << "cargo is not installed";
    const std::optional<fs::path> found_corpus = testing::CorpusDir();
    if (!found_corpus)
      GTEST_SKIP() << "../shared/corpus not found beside the source tree";
    cargo_ = *found_cargo;
    corpus_ = *found_corpus;
  }

  std::string cargo_;
  fs::path corpus_;
};

TEST_F(CorpusTest, SkeletonMetadataMatchesOriginal) {
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(corpus_)) {
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
        testing::NormalizedMetadata(cargo_, original, original, root_);
    const auto got = testing::NormalizedMetadata(
        cargo_, SkeletonWorkspaceRoot(*recipe, skeleton), skeleton, root_);
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
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(corpus_)) {
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
          cargo_,
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
