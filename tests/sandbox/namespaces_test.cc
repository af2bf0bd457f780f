// The mount points the sandbox remounts read-only, read from mountinfo text.

#include "sandbox/internal/namespaces.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cook::sandbox::internal {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(ParseMountPointsTest, KeepsMountOrderAndDropsRepeats) {
  constexpr char kMountinfo[] =
      "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
      "23 22 0:21 / /proc rw,nosuid - proc proc rw\n"
      "24 22 0:22 / /tmp rw - tmpfs tmpfs rw\n"
      "25 24 0:23 / /tmp rw - tmpfs tmpfs rw\n";
  EXPECT_THAT(ParseMountPoints(kMountinfo), ElementsAre("/", "/proc", "/tmp"));
}

TEST(ParseMountPointsTest, UnescapesOctalCharacters) {
  EXPECT_THAT(
      ParseMountPoints("30 22 0:30 / /mnt/my\\040disk\\134x rw - ext4 /dev/b rw"),
      ElementsAre("/mnt/my disk\\x"));
}

TEST(ParseMountPointsTest, SkipsAutofsMountsAndShortLines) {
  constexpr char kMountinfo[] =
      "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
      "40 22 0:40 / /net rw shared:5 master:2 - autofs systemd-1 rw\n"
      "broken line\n"
      "\n";
  EXPECT_THAT(ParseMountPoints(kMountinfo), ElementsAre("/"));
}

TEST(ParseMountPointsTest, EmptyText) {
  EXPECT_THAT(ParseMountPoints(""), IsEmpty());
}

}  // namespace
}  // namespace cook::sandbox::internal
