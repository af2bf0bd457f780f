// PlanLayers / PlannedDiffId / WritePlannedLayer: one tree split into layers
// by group.

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include <cstring>
#include "base/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "layers/layer_writer.h"
#include "tests/layers/tar_testing.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace cook::layers {
namespace {

namespace fs = std::filesystem;
using ::cook::testing::WriteTestFile;
using ::cook::layers::testing::Decompress;
using ::cook::layers::testing::ReadTar;
using ::cook::layers::testing::TarEntry;
using ::testing::ElementsAre;

class LayerPlanTest : public cook::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    tree_ = root_ / "target";
    WriteTestFile(tree_ / "CACHEDIR.TAG", "tag");
    WriteTestFile(tree_ / "debug/deps/libserde-0123456789abcdef.rlib", std::string(3000, 's'));
    WriteTestFile(tree_ / "debug/deps/serde-0123456789abcdef.d", "d");
    WriteTestFile(tree_ / "debug/deps/liblog-fedcba9876543210.rlib", std::string(5000, 'l'));
    WriteTestFile(tree_ / "debug/build/serde-1111111111111111/out/x.rs", "x");
    fs::create_directories(tree_ / "debug/build/log-2222222222222222/out");
  }

  // Groups by the crate name in the file name; everything else is "".
  static std::string Group(std::string_view relative) {
    const std::string path(relative);
    if (absl::StrContains(path, "serde")) return "serde";
    if (absl::StrContains(path, "log")) return "log";
    return "";
  }

  // The names in a written layer.
  std::vector<std::string> Names(const LayerBlob& blob) {
    absl::StatusOr<std::string> bytes = ReadFile(blob.path);
    EXPECT_TRUE(bytes.ok());
    absl::StatusOr<std::string> tar = Decompress(*bytes);
    EXPECT_TRUE(tar.ok());
    absl::StatusOr<std::vector<TarEntry>> entries = ReadTar(*tar);
    EXPECT_TRUE(entries.ok());
    std::vector<std::string> names;
    for (const TarEntry& e : *entries) names.push_back(e.name);
    return names;
  }

  fs::path tree_;
};

TEST_F(LayerPlanTest, EachEntryInOneLayerWithItsDirectories) {
  absl::StatusOr<std::vector<LayerPlan>> plans =
      PlanLayers({tree_, "/build/target"}, &Group, 0);
  ASSERT_TRUE(plans.ok()) << plans.status();
  ASSERT_EQ(plans->size(), 3u);
  EXPECT_EQ((*plans)[0].group, "");
  EXPECT_EQ((*plans)[1].group, "log");
  EXPECT_EQ((*plans)[2].group, "serde");
  std::map<std::string, int> seen;
  std::vector<std::vector<std::string>> layers;
  for (size_t i = 0; i < plans->size(); ++i) {
    absl::StatusOr<LayerBlob> blob =
        WritePlannedLayer((*plans)[i], root_ / absl::StrCat("layer-", i), LayerOptions{});
    ASSERT_TRUE(blob.ok()) << blob.status();
    // The cheap diff_id is the written layer's.
    EXPECT_THAT(PlannedDiffId((*plans)[i], LayerOptions{}.epoch),
                cook::testing::IsOkAndHolds(blob->diff_id));
    layers.push_back(Names(*blob));
  }
  EXPECT_THAT(layers[1], ElementsAre("build/", "build/target/", "build/target/debug/",
                                     "build/target/debug/build/",
                                     "build/target/debug/build/log-2222222222222222/",
                                     "build/target/debug/build/log-2222222222222222/out/",
                                     "build/target/debug/deps/",
                                     "build/target/debug/deps/liblog-fedcba9876543210.rlib"));
  EXPECT_THAT(layers[0], ElementsAre("build/", "build/target/", "build/target/CACHEDIR.TAG",
                                     "build/target/debug/", "build/target/debug/build/",
                                     "build/target/debug/deps/"));
  // Every file is in exactly one layer.
  for (const auto& names : layers) {
    for (const std::string& n : names) {
      if (n.size() > strlen("build/target/") &&
          fs::is_regular_file(tree_ / n.substr(strlen("build/target/")))) {
        ++seen[n];
      }
    }
  }
  EXPECT_EQ(seen.size(), 5u);
  for (const auto& [name, count] : seen) EXPECT_EQ(count, 1) << name;
}

TEST_F(LayerPlanTest, LargeGroupsSplitUnderTheLimit) {
  for (int i = 0; i < 6; ++i) {
    WriteTestFile(tree_ / absl::StrCat("debug/deps/libserde-", i, "aaaaaaaaaaaaaaa.rmeta"),
                  std::string(4000, 'm'));
  }
  absl::StatusOr<std::vector<LayerPlan>> plans = PlanLayers({tree_, "/"}, &Group, 10000);
  ASSERT_TRUE(plans.ok()) << plans.status();
  std::vector<std::string> groups;
  for (const LayerPlan& p : *plans) {
    groups.push_back(p.group);
    // Directories come on top of the members; the members stay under it.
    EXPECT_LE(p.tar_bytes, 10000u + 8 * 512u) << p.group;
  }
  // 27 KB of serde in parts of at most 10 KB.
  ASSERT_GE(groups.size(), 5u);
  EXPECT_EQ(groups[0], "");
  EXPECT_EQ(groups[1], "log");
  for (size_t i = 2; i < groups.size(); ++i) {
    EXPECT_EQ(groups[i], absl::StrCat("serde#", i - 2));
  }
  // The same tree gives the same plans.
  absl::StatusOr<std::vector<LayerPlan>> again = PlanLayers({tree_, "/"}, &Group, 10000);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->size(), plans->size());
  for (size_t i = 0; i < plans->size(); ++i) {
    EXPECT_EQ(*PlannedDiffId((*plans)[i], absl::FromUnixSeconds(5)),
              *PlannedDiffId((*again)[i], absl::FromUnixSeconds(5)));
  }
}

// The two-step plan: `regroup` sees every group's tar bytes and merges
// groups; merged layers keep archive order.
TEST_F(LayerPlanTest, RegroupMergesGroupsKnowingTheirSizes) {
  GroupBytes seen;
  auto regroup = [&](const GroupBytes& bytes) {
    seen = bytes;
    return std::map<std::string, std::string>{{"serde", "small"}, {"log", "small"}};
  };
  absl::StatusOr<std::vector<LayerPlan>> plans =
      PlanLayers({tree_, "/build/target"}, &Group, 0, regroup);
  ASSERT_TRUE(plans.ok()) << plans.status();
  // A header per entry and contents padded to 512: "" is CACHEDIR.TAG and
  // three directories; log a 5000-byte rlib and two directories; serde a
  // 3000-byte rlib, two one-byte files and two directories.
  EXPECT_EQ(seen, (GroupBytes{{"", 2 * 512 + 3 * 512},
                              {"log", 512 + 5120 + 2 * 512},
                              {"serde", 512 + 3072 + 2 * 1024 + 2 * 512}}));
  ASSERT_EQ(plans->size(), 2u);
  EXPECT_EQ((*plans)[0].group, "");
  EXPECT_EQ((*plans)[1].group, "small");
  absl::StatusOr<LayerBlob> blob =
      WritePlannedLayer((*plans)[1], root_ / "small", LayerOptions{});
  ASSERT_TRUE(blob.ok()) << blob.status();
  const std::vector<std::string> names = Names(*blob);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end())) << absl::StrJoin(names, "\n");
  EXPECT_EQ(std::count_if(names.begin(), names.end(),
                          [](const std::string& n) { return !n.ends_with("/"); }),
            4);
}

// The plans depend on the entries, not on the order the file system lists
// them in: a tree made in another order gives the same diff_ids.
TEST_F(LayerPlanTest, CreationOrderDoesNotMatter) {
  const fs::path other = root_ / "other";
  WriteTestFile(other / "debug/build/serde-1111111111111111/out/x.rs", "x");
  fs::create_directories(other / "debug/build/log-2222222222222222/out");
  WriteTestFile(other / "debug/deps/liblog-fedcba9876543210.rlib", std::string(5000, 'l'));
  WriteTestFile(other / "debug/deps/serde-0123456789abcdef.d", "d");
  WriteTestFile(other / "debug/deps/libserde-0123456789abcdef.rlib", std::string(3000, 's'));
  WriteTestFile(other / "CACHEDIR.TAG", "tag");
  auto regroup = [](const GroupBytes& bytes) {
    std::map<std::string, std::string> out;
    for (const auto& [group, size] : bytes) out[group] = size > 6400 ? group : "small";
    return out;
  };
  std::vector<std::vector<std::string>> diff_ids;
  for (const fs::path& tree : {tree_, other}) {
    absl::StatusOr<std::vector<LayerPlan>> plans = PlanLayers({tree, "/t"}, &Group, 0, regroup);
    ASSERT_TRUE(plans.ok()) << plans.status();
    diff_ids.emplace_back();
    for (const LayerPlan& p : *plans) {
      diff_ids.back().push_back(p.group + " " + *PlannedDiffId(p, absl::FromUnixSeconds(5)));
    }
  }
  EXPECT_EQ(diff_ids[0].size(), 3u) << absl::StrJoin(diff_ids[0], "\n");  // "" is "small"
  EXPECT_EQ(diff_ids[0], diff_ids[1]);
}

}  // namespace
}  // namespace cook::layers
