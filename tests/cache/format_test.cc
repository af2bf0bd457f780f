#include "cache/format.h"

#include <set>
#include <string>

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

TEST(LayerGroupTest, BucketsCratesAndLeavesOutUnusedUnits) {
  const std::set<std::string> used = {"0123456789abcdef"};
  EXPECT_EQ(TargetLayerGroup("debug/deps/libserde-0123456789abcdef.rlib", used),
            "crates-02");
  EXPECT_EQ(TargetLayerGroup("debug/deps/libserde-fedcba9876543210.rlib", used), "unused");
  EXPECT_EQ(TargetLayerGroup("CACHEDIR.TAG", used), "shared");
  EXPECT_EQ(CargoHomeLayerGroup("registry/cache/index/serde-1.0.1.crate"),
            absl::StrFormat("crates-%02d", CrateBucket("serde", kCargoHomeBuckets)));
  EXPECT_TRUE(IsUnusedGroup("unused#1"));
  EXPECT_FALSE(IsUnusedGroup("shared"));
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
