#include "chef/glob.h"

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace cook::chef {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;

TEST(GlobTest, MatchesOneComponent) {
  EXPECT_TRUE(GlobMatchComponent("*", "anything"));
  EXPECT_TRUE(GlobMatchComponent("*", ".hidden"));  // as cargo's glob crate
  EXPECT_TRUE(GlobMatchComponent("app-*", "app-one"));
  EXPECT_FALSE(GlobMatchComponent("app-*", "lib-one"));
  EXPECT_TRUE(GlobMatchComponent("a?c", "abc"));
  EXPECT_FALSE(GlobMatchComponent("a?c", "ac"));
  EXPECT_TRUE(GlobMatchComponent("[ab]*", "beta"));
  EXPECT_FALSE(GlobMatchComponent("[!ab]*", "beta"));
  EXPECT_TRUE(GlobMatchComponent("[a-c]x", "bx"));
  EXPECT_TRUE(GlobMatchComponent("*-*-end", "a-b-c-end"));
  EXPECT_FALSE(GlobMatchComponent("*-end", "a-ending"));
  EXPECT_TRUE(HasGlobMeta("crates/*"));
  EXPECT_FALSE(HasGlobMeta("crates/core"));
}

class ExpandGlobTest : public cook::testing::TempDirTest {};

TEST_F(ExpandGlobTest, ExpandsDirectoriesInOrder) {
  for (const char* dir :
       {"crates/b", "crates/a", "crates/.h", "apps/x/deep", "other"}) {
    fs::create_directories(root_ / dir);
  }
  cook::testing::WriteTestFile(root_ / "crates" / "file.txt", "");
  EXPECT_THAT(ExpandGlob(root_, "crates/*"),
              ElementsAre(root_ / "crates/.h", root_ / "crates/a",
                          root_ / "crates/b", root_ / "crates/file.txt"));
  EXPECT_THAT(ExpandGlob(root_, "crates/a"), ElementsAre(root_ / "crates/a"));
  EXPECT_THAT(ExpandGlob(root_, "./crates/../other"),
              ElementsAre(root_ / "other"));
  EXPECT_THAT(ExpandGlob(root_, "missing/*"), ElementsAre());
  EXPECT_THAT(ExpandGlob(root_, "**/deep"), ElementsAre(root_ / "apps/x/deep"));
}

}  // namespace
}  // namespace cook::chef
