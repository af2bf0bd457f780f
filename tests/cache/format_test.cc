#include "cache/format.h"

#include <map>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace cook::cache {
namespace {

using ::cook::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(CrateBucketTest, IsFnv1aModuloBuckets) {
  // FNV-1a 32 of "", "a" and "foobar" are the published 0x811c9dc5,
  // 0xe40c292c and 0xbf9cf968; these values are part of the image format.
  EXPECT_EQ(CrateBucket("", 1000), 261);
  EXPECT_EQ(CrateBucket("a", 1000), 220);
  EXPECT_EQ(CrateBucket("foobar", 1000), 720);
  EXPECT_EQ(CrateBucket("serde", 16), 2);
  EXPECT_EQ(CrateBucket("serde_json", 16), 5);
  EXPECT_EQ(CrateBucket("libc", 16), 13);
  EXPECT_EQ(CrateBucket("md_5", 7), 6);
}

TEST(CrateBucketTest, StaysInRange) {
  for (int buckets : {1, 2, 3, 16, 255, 1 << 30, 0x7fffffff}) {
    for (const char* crate : {"", "a", "serde", "serde_json", "\xff\xfe", "tokio"}) {
      const int b = CrateBucket(crate, buckets);
      EXPECT_GE(b, 0);
      EXPECT_LT(b, buckets);
    }
  }
  EXPECT_EQ(CrateBucket("serde", 0), 0);
  EXPECT_EQ(CrateBucket("serde", -3), 0);
}

TEST(CrateBucketTest, SpreadsCrates) {
  std::set<int> seen;
  for (int i = 0; i < 200; ++i) seen.insert(CrateBucket(absl::StrCat("crate", i), 8));
  EXPECT_EQ(seen.size(), 8u);
}

TEST(LayerGroupTest, GroupsEntriesByCrateAndLeavesOutUnusedUnits) {
  const std::set<std::string> used = {"0123456789abcdef"};
  EXPECT_EQ(TargetEntryGroup("debug/deps/libserde-0123456789abcdef.rlib", used), "crate-serde");
  EXPECT_EQ(TargetEntryGroup("debug/.fingerprint/serde-json-0123456789abcdef/lib", used),
            "crate-serde_json");
  EXPECT_EQ(TargetEntryGroup("debug/deps/libserde-fedcba9876543210.rlib", used), "unused");
  EXPECT_EQ(TargetEntryGroup("CACHEDIR.TAG", used), "shared");
  EXPECT_EQ(CargoHomeEntryGroup("registry/cache/index/serde-1.0.1.crate"), "crate-serde");
  EXPECT_EQ(CargoHomeEntryGroup("registry/index/index/.cache/se/rd/serde"), "shared");
  EXPECT_TRUE(IsUnusedGroup("unused#1"));
  EXPECT_FALSE(IsUnusedGroup("shared"));
  EXPECT_FALSE(IsUnusedGroup("crate-unused"));
}

constexpr uint64_t kMiB = uint64_t{1} << 20;

std::string Bucket(std::string_view crate, int buckets) {
  return absl::StrFormat("crates-%02d", CrateBucket(crate, buckets));
}

TEST(AssignCrateLayersTest, LargeCratesGetOwnLayersSmallOnesShareBuckets) {
  const CrateLayout layout{.own_layer_bytes = 4 * kMiB, .max_own_layers = 10, .buckets = 16};
  const std::map<std::string, uint64_t> bytes = {
      {"crate-syn", 17 * kMiB},      {"crate-serde", 4 * kMiB},  // exactly the threshold
      {"crate-itoa", 4 * kMiB - 1},  {"crate-cfg_if", 20 << 10},
      {"shared", 50 * kMiB},         {"unused", 90 * kMiB}};
  EXPECT_EQ(AssignCrateLayers(bytes, layout),
            (std::map<std::string, std::string>{{"crate-cfg_if", Bucket("cfg_if", 16)},
                                                {"crate-itoa", Bucket("itoa", 16)},
                                                {"crate-serde", "crate-serde"},
                                                {"crate-syn", "crate-syn"}}));
}

TEST(AssignCrateLayersTest, PastTheCapOnlyTheLargestKeepTheirsTiesByName) {
  const CrateLayout layout{.own_layer_bytes = kMiB, .max_own_layers = 3, .buckets = 4};
  const std::map<std::string, uint64_t> bytes = {{"crate-a", 2 * kMiB},
                                                 {"crate-b", 5 * kMiB},
                                                 {"crate-c", 2 * kMiB},
                                                 {"crate-d", 9 * kMiB},
                                                 {"crate-e", 2 * kMiB}};
  const std::map<std::string, std::string> groups = AssignCrateLayers(bytes, layout);
  EXPECT_EQ(groups.at("crate-d"), "crate-d");
  EXPECT_EQ(groups.at("crate-b"), "crate-b");
  EXPECT_EQ(groups.at("crate-a"), "crate-a");  // a, c and e tie: a comes first
  EXPECT_EQ(groups.at("crate-c"), Bucket("c", 4));
  EXPECT_EQ(groups.at("crate-e"), Bucket("e", 4));

  const CrateLayout none{.own_layer_bytes = kMiB, .max_own_layers = 0, .buckets = 4};
  for (const auto& [group, layer] : AssignCrateLayers(bytes, none)) {
    EXPECT_TRUE(absl::StartsWith(layer, "crates-")) << group << " -> " << layer;
  }
}

// The layers stay few whatever the workspace: at most the cap plus the
// buckets, the shared layer aside.
TEST(AssignCrateLayersTest, LayerCountHasAHardCap) {
  std::map<std::string, uint64_t> bytes;
  for (int i = 0; i < 900; ++i) bytes[absl::StrCat("crate-c", i)] = (1 + i % 37) * kMiB;
  for (const CrateLayout& layout : {kTargetLayout, kCargoHomeLayout}) {
    std::set<std::string> layers;
    for (const auto& [group, layer] : AssignCrateLayers(bytes, layout)) layers.insert(layer);
    EXPECT_EQ(layers.size(), static_cast<size_t>(layout.max_own_layers + layout.buckets));
  }
  EXPECT_LE(kTargetLayout.max_own_layers + kTargetLayout.buckets + 1 +
                kCargoHomeLayout.max_own_layers + kCargoHomeLayout.buckets + 1,
            80);
}

// Under the cap, a crate's layer depends on its own size and name only: a
// crate coming or going moves no other crate.
TEST(AssignCrateLayersTest, AnotherCrateComingOrGoingMovesNoOtherCrate) {
  std::map<std::string, uint64_t> bytes;
  // 30 crates from half the threshold to one and a half times it.
  for (int i = 0; i < 30; ++i) {
    bytes[absl::StrCat("crate-c", i)] = kOwnLayerBytes / 2 + i * (kOwnLayerBytes / 30);
  }
  const std::map<std::string, std::string> before = AssignCrateLayers(bytes, kTargetLayout);
  for (uint64_t size : {uint64_t{1}, kOwnLayerBytes, 40 * kOwnLayerBytes}) {
    std::map<std::string, uint64_t> added = bytes;
    added["crate-new"] = size;
    std::map<std::string, std::string> after = AssignCrateLayers(added, kTargetLayout);
    after.erase("crate-new");
    EXPECT_EQ(after, before) << "adding a crate of " << size << " bytes";
  }
  std::map<std::string, uint64_t> removed = bytes;
  removed.erase("crate-c20");
  std::map<std::string, std::string> expected = before;
  expected.erase("crate-c20");
  EXPECT_EQ(AssignCrateLayers(removed, kTargetLayout), expected);
}

oci::ImageConfig CacheConfig() {
  oci::ImageConfig config;
  config.diff_ids = {"sha256:aa", "sha256:bb", "sha256:cc"};
  CacheImage image;
  image.key = {"sha256:recipe", "--release", "rustc 1.0"};
  image.cargo_version = "cargo 1.0";
  image.targets = "x86_64-unknown-linux-gnu";
  image.target_dir = "/build/target";
  image.cargo_home = "/usr/local/cargo";
  image.target_layers = {"sha256:bb", "sha256:aa"};
  image.cargo_home_layers = {"sha256:cc"};
  WriteCacheLabels(image, config.labels);
  return config;
}

TEST(CacheImageTest, LabelsRoundTripInOrder) {
  const oci::ImageConfig config = CacheConfig();
  EXPECT_EQ(config.labels.at(kLabelTargetLayers), "sha256:bb,sha256:aa");
  absl::StatusOr<CacheImage> image = ParseCacheImage(config, 3, "ctx");
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->key, (CacheKey{"sha256:recipe", "--release", "rustc 1.0"}));
  EXPECT_EQ(image->cargo_version, "cargo 1.0");
  EXPECT_EQ(image->targets, "x86_64-unknown-linux-gnu");
  EXPECT_THAT(image->target_layers, ElementsAre("sha256:bb", "sha256:aa"));
  EXPECT_THAT(image->cargo_home_layers, ElementsAre("sha256:cc"));
}

TEST(CacheImageTest, RejectsWhatIsNoCache) {
  EXPECT_THAT(ParseCacheImage(oci::ImageConfig{}, 0, "ctx"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("ctx: not a cook cache image")));
  oci::ImageConfig config = CacheConfig();
  EXPECT_THAT(ParseCacheImage(config, 2, "ctx"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("the config and the manifest list different layers")));
  config.labels[kLabelCargoHomeLayers] = "sha256:zz";
  EXPECT_THAT(ParseCacheImage(config, 3, "ctx"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("names layer sha256:zz, which the image does not have")));
  config.labels[kLabelCargoHomeLayers] = "";
  config.labels[kLabelTargetLayers] = "";
  EXPECT_THAT(ParseCacheImage(config, 3, "ctx"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nothing to restore")));
}

TEST(CacheImageTest, ReadingLabelsNeverFails) {
  const CacheImage image = ReadCacheLabels(oci::ImageConfig{});
  EXPECT_EQ(image.key, CacheKey{});
  EXPECT_TRUE(image.target_layers.empty());
}

}  // namespace
}  // namespace cook::cache
