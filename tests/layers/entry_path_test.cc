// The extractor's checks on archive entry names, without an archive.

#include "layers/internal/entry_path.h"

#include <sys/stat.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace cook::layers::internal {
namespace {

using ::cook::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::IsNull;
using ::testing::StrEq;

TEST(SplitArchivePathTest, DropsEmptyAndDotComponents) {
  Components comps;
  EXPECT_THAT(SplitArchivePath("./a//b/./c/", &comps), IsNull());
  EXPECT_THAT(comps, ElementsAre("a", "b", "c"));
  EXPECT_THAT(SplitArchivePath("", &comps), IsNull());
  EXPECT_THAT(comps, IsEmpty());
}

TEST(SplitArchivePathTest, SaysWhyAPathIsUnsafe) {
  Components comps;
  EXPECT_THAT(SplitArchivePath("/etc/passwd", &comps), StrEq("absolute path"));
  EXPECT_THAT(SplitArchivePath("a/../../b", &comps),
              StrEq("path contains \"..\""));
}

TEST(StripPrefixTest, StripsOnlyWholeLeadingComponents) {
  Components comps = {"build", "target", "debug"};
  EXPECT_TRUE(StripPrefix({"build", "target"}, &comps));
  EXPECT_THAT(comps, ElementsAre("debug"));
  Components other = {"build", "targets"};
  EXPECT_FALSE(StripPrefix({"build", "target"}, &other));
  EXPECT_THAT(other, ElementsAre("build", "targets"));
  Components shorter = {"build"};
  EXPECT_FALSE(StripPrefix({"build", "target"}, &shorter));
}

TEST(JoinTest, JoinsTheFirstComponents) {
  const Components comps = {"a", "b", "c"};
  EXPECT_EQ(Join(comps, 2), "a/b");
  EXPECT_EQ(Join(comps, 0), "");
}

TEST(RefuseTest, NamesTheEntryAndWhatIsInTheWay) {
  EXPECT_THAT(
      RefuseNotADirectory("a/b/c", S_IFLNK | 0777, "a/b"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "refusing archive entry \"a/b/c\": path goes through symlink "
               "\"a/b\""));
  EXPECT_THAT(RefuseNotADirectory("a/b/c", S_IFREG | 0644, "a/b"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "refusing archive entry \"a/b/c\": \"a/b\" is not a "
                       "directory"));
}

}  // namespace
}  // namespace cook::layers::internal
