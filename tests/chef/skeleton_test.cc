#include "chef/skeleton.h"

#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "base/files.h"
#include "chef/recipe.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace cook::chef {
namespace {

namespace fs = std::filesystem;
using ::cook::testing::IsOk;
using ::cook::testing::IsOkAndHolds;
using ::cook::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

Recipe SampleRecipe() {
  Recipe recipe;
  recipe.workspace_root = "ws";
  recipe.files = {{"ws/Cargo.toml", "[workspace]\n"},
                  {"ws/Cargo.lock", "version = 4\n"},
                  {"ws/.cargo/config.toml", "[build]\n"},
                  {"ws/rust-toolchain.toml", "[toolchain]\n"},
                  {"ws/app/Cargo.toml", "[package]\nname = \"app\"\n"},
                  {"lib/Cargo.toml", "[package]\nname = \"lib\"\n"}};
  recipe.toolchain_file = "ws/rust-toolchain.toml";
  RecipePackage app{"app", "0.0.1", "ws/app/Cargo.toml", true, true, {}};
  app.targets = {
      {"app", "lib", {}, "ws/app/src/lib.rs", {}, StubKind::kEmpty},
      {"app", "bin", {}, "ws/app/src/main.rs", {}, StubKind::kMain},
      {"t", "test", {}, "ws/app/tests/t.rs", {}, StubKind::kEmpty},
      {"nh", "test", {}, "ws/app/tests/nh.rs", {}, StubKind::kMain},
      {"build-script-build",
       "custom-build",
       {},
       "ws/app/build.rs",
       {},
       StubKind::kMain},
      // Two targets sharing a source: main wins.
      {"shared", "example", {}, "ws/app/src/main.rs", {}, StubKind::kEmpty}};
  RecipePackage lib{"lib", "0.0.1", "lib/Cargo.toml", false, true, {}};
  lib.targets = {{"lib", "lib", {}, "lib/src/lib.rs", {}, StubKind::kEmpty}};
  recipe.packages = {app, lib};
  return recipe;
}

std::vector<std::string> Files(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file())
      out.push_back(entry.path().lexically_relative(dir).string());
  }
  return out;
}

class SkeletonTest : public cook::testing::TempDirTest {};

TEST_F(SkeletonTest, WritesFilesAndStubs) {
  const fs::path out = root_ / "new" / "skeleton";
  ASSERT_THAT(WriteSkeleton(SampleRecipe(), out), IsOk());
  EXPECT_THAT(
      Files(out),
      UnorderedElementsAre(
          "ws/Cargo.toml", "ws/Cargo.lock", "ws/.cargo/config.toml",
          "ws/rust-toolchain.toml", "ws/app/Cargo.toml", "lib/Cargo.toml",
          "ws/app/src/lib.rs", "ws/app/src/main.rs", "ws/app/tests/t.rs",
          "ws/app/tests/nh.rs", "ws/app/build.rs", "lib/src/lib.rs"));
  EXPECT_THAT(ReadFile(out / "ws/app/src/main.rs"),
              IsOkAndHolds(std::string(kMainStub)));
  EXPECT_THAT(ReadFile(out / "ws/app/tests/nh.rs"),
              IsOkAndHolds(std::string(kMainStub)));
  EXPECT_THAT(ReadFile(out / "ws/app/build.rs"),
              IsOkAndHolds(std::string(kMainStub)));
  EXPECT_THAT(ReadFile(out / "ws/app/src/lib.rs"), IsOkAndHolds(std::string()));
  EXPECT_THAT(ReadFile(out / "ws/app/tests/t.rs"), IsOkAndHolds(std::string()));
  EXPECT_THAT(ReadFile(out / "ws/Cargo.toml"),
              IsOkAndHolds(std::string("[workspace]\n")));
  EXPECT_EQ(SkeletonWorkspaceRoot(SampleRecipe(), out), out / "ws");
  // Nothing but the skeleton beside it.
  EXPECT_EQ(std::distance(fs::directory_iterator(root_ / "new"),
                          fs::directory_iterator()),
            1);
}

TEST_F(SkeletonTest, AcceptsAnEmptyDirectory) {
  fs::create_directories(root_ / "empty");
  EXPECT_THAT(WriteSkeleton(SampleRecipe(), root_ / "empty"), IsOk());
  EXPECT_TRUE(fs::exists(root_ / "empty" / "ws" / "Cargo.toml"));
}

TEST_F(SkeletonTest, RefusesANonEmptyDirectoryAndTouchesNothing) {
  cook::testing::WriteTestFile(root_ / "busy" / "keep.txt", "mine");
  EXPECT_THAT(
      WriteSkeleton(SampleRecipe(), root_ / "busy"),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not empty")));
  EXPECT_THAT(Files(root_ / "busy"), UnorderedElementsAre("keep.txt"));
  cook::testing::WriteTestFile(root_ / "file", "x");
  EXPECT_THAT(WriteSkeleton(SampleRecipe(), root_ / "file"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("not a directory")));
  EXPECT_EQ(
      std::distance(fs::directory_iterator(root_), fs::directory_iterator()),
      2);
}

TEST_F(SkeletonTest, LeavesNothingBehindOnError) {
  Recipe recipe = SampleRecipe();
  // Valid, but the file system refuses a name this long half-way through.
  recipe.files["ws/zz/" + std::string(300, 'x')] = "";
  EXPECT_THAT(
      WriteSkeleton(recipe, root_ / "out"),
      StatusIs(absl::StatusCode::kUnknown, HasSubstr("writing the skeleton")));
  EXPECT_EQ(
      std::distance(fs::directory_iterator(root_), fs::directory_iterator()),
      0);
}

TEST_F(SkeletonTest, RefusesAnInvalidRecipe) {
  Recipe recipe = SampleRecipe();
  recipe.files["ws/app/src/main.rs/inner"] = "";
  EXPECT_THAT(WriteSkeleton(recipe, root_ / "out"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("both a file and a directory")));
  recipe = SampleRecipe();
  recipe.files["../../escape"] = "";
  EXPECT_THAT(WriteSkeleton(recipe, root_ / "out"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unsafe path ../../escape")));
  EXPECT_FALSE(fs::exists(root_ / "out"));
}

}  // namespace
}  // namespace cook::chef
