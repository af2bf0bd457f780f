// The verdict of a restore (cache/verdict.h) and the cache-key tag
// (cache/cache_tag.h), over labels and recipes: no image, no cargo.

#include "cache/verdict.h"

#include <string>
#include <vector>

#include "cache/cache_tag.h"
#include "chef/recipe.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "oci/reference.h"

namespace cook::cache {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr char kRustc[] =
    "rustc 1.90.0 (1159e78c4 2025-09-14)\nbinary: rustc\nhost: x86_64-unknown-linux-gnu\n"
    "release: 1.90.0";
constexpr char kOtherRustc[] =
    "rustc 1.70.0 (90c541806 2023-05-31)\nbinary: rustc\nhost: x86_64-unknown-linux-gnu\n"
    "release: 1.70.0";
constexpr char kHost[] = "x86_64-unknown-linux-gnu";

CacheImage Image() {
  CacheImage image;
  image.key = {"sha256:" + std::string(64, 'a'), "--release", kRustc};
  image.targets = kHost;
  image.lock_packages = std::vector<std::string>{"libc 0.2.139", "serde 1.0.152",
                                                 "serde_json 1.0.87"};
  return image;
}

RunnerCache Runner() {
  RunnerCache runner;
  runner.key = Image().key;
  runner.targets = kHost;
  runner.lock_packages = *Image().lock_packages;
  return runner;
}

TEST(JudgeTest, SameRecipeToolchainAndOptionsIsAHit) {
  const Verdict v = Judge(Image(), Runner());
  EXPECT_EQ(v.kind, VerdictKind::kHit);
  EXPECT_THAT(v.reasons, IsEmpty());
  EXPECT_THAT(VerdictLine(v), StartsWith("cache hit"));
  EXPECT_STREQ(VerdictName(v.kind), "hit");
}

TEST(JudgeTest, AnotherRecipeIsAPartialHitThatCountsTheCrates) {
  RunnerCache runner = Runner();
  runner.key.recipe_digest = "sha256:" + std::string(64, 'b');
  runner.lock_packages = {"either 1.6.1", "serde 1.0.152", "serde_json 1.0.88",
                          "smallvec 1.9.0"};
  const Verdict v = Judge(Image(), runner);
  EXPECT_EQ(v.kind, VerdictKind::kPartial);
  ASSERT_TRUE(v.crates.has_value());
  EXPECT_EQ(v.crates->added, 2);    // either, smallvec
  EXPECT_EQ(v.crates->removed, 1);  // libc
  EXPECT_EQ(v.crates->changed, 1);  // serde_json
  EXPECT_THAT(VerdictLine(v),
              AllOf(StartsWith("partial hit: "), HasSubstr("2 crates added, 1 removed, 1 changed")));
  EXPECT_STREQ(VerdictName(v.kind), "partial");
}

TEST(JudgeTest, AnImageThatDoesNotRecordItsCratesSaysTheCountIsUnknown) {
  CacheImage image = Image();
  image.lock_packages.reset();
  RunnerCache runner = Runner();
  runner.key.recipe_digest = "sha256:" + std::string(64, 'b');
  const Verdict v = Judge(image, runner);
  EXPECT_EQ(v.kind, VerdictKind::kPartial);
  EXPECT_FALSE(v.crates.has_value());
  EXPECT_THAT(VerdictLine(v), HasSubstr("unknown"));
}

TEST(JudgeTest, AnotherRustcIsAMissNamingBothVersions) {
  RunnerCache runner = Runner();
  runner.key.rustc_version = kOtherRustc;
  runner.key.recipe_digest = "sha256:" + std::string(64, 'b');
  const Verdict v = Judge(Image(), runner);
  EXPECT_EQ(v.kind, VerdictKind::kMiss);
  ASSERT_THAT(v.reasons, SizeIs(1));
  EXPECT_THAT(v.reasons[0], AllOf(HasSubstr("rustc 1.90.0 (1159e78c4 2025-09-14)"),
                                  HasSubstr("rustc 1.70.0 (90c541806 2023-05-31)")));
  EXPECT_THAT(v.hint, HasSubstr("rustc 1.90.0"));
  EXPECT_THAT(VerdictLine(v), StartsWith("cache miss: rustc differs"));
}

TEST(JudgeTest, OnlyTheDetailsOfRustcDifferingNamesTheLineThatDiffers) {
  RunnerCache runner = Runner();
  runner.key.rustc_version = std::string(kRustc) + "\nLLVM version: 22.1.2";
  const Verdict v = Judge(Image(), runner);
  EXPECT_EQ(v.kind, VerdictKind::kMiss);
  ASSERT_THAT(v.reasons, SizeIs(1));
  EXPECT_THAT(v.reasons[0], HasSubstr("LLVM version: 22.1.2"));
}

TEST(JudgeTest, OtherOptionsOrTargetsAreAMissNamingBoth) {
  RunnerCache dev = Runner();
  dev.key.cargo_options = "";
  const Verdict options = Judge(Image(), dev);
  EXPECT_EQ(options.kind, VerdictKind::kMiss);
  ASSERT_THAT(options.reasons, SizeIs(1));
  EXPECT_THAT(options.reasons[0], AllOf(HasSubstr("cargo options"), HasSubstr("--release"),
                                        HasSubstr("(none)")));
  EXPECT_THAT(options.hint, HasSubstr("cargo build --release"));

  RunnerCache arm = Runner();
  arm.targets = "aarch64-unknown-linux-gnu";
  const Verdict targets = Judge(Image(), arm);
  EXPECT_EQ(targets.kind, VerdictKind::kMiss);
  ASSERT_THAT(targets.reasons, SizeIs(1));
  EXPECT_THAT(targets.reasons[0],
              AllOf(HasSubstr(kHost), HasSubstr("aarch64-unknown-linux-gnu")));
  EXPECT_STREQ(VerdictName(targets.kind), "miss");
}

TEST(JudgeTest, LabelsQuotedInAMissAreCutShort) {
  // Labels come from the image: a miss quotes at most 200 bytes of each.
  CacheImage image = Image();
  image.key.cargo_options = std::string(100000, 'x');
  image.key.rustc_version = "rustc " + std::string(100000, 'y');
  image.targets = std::string(100000, 'z');
  const Verdict v = Judge(image, Runner());
  ASSERT_EQ(v.kind, VerdictKind::kMiss);
  ASSERT_THAT(v.reasons, SizeIs(3));
  for (const std::string& reason : v.reasons) {
    EXPECT_LT(reason.size(), 600u) << reason.substr(0, 300);
    EXPECT_THAT(reason, HasSubstr("..."));
  }
  EXPECT_LT(v.hint.size(), 1000u);
}

TEST(CompareLockPackagesTest, AVersionAddedBesideAnotherIsAChange) {
  const CrateChanges c = CompareLockPackages({"syn 1.0.107"}, {"syn 1.0.107", "syn 2.0.0"});
  EXPECT_EQ(c, (CrateChanges{0, 0, 1}));
}

TEST(LockPackagesTest, DependenciesOfTheLockfileSortedWithoutLocalPackages) {
  chef::Recipe recipe;
  recipe.workspace_root = "ws";
  recipe.files["ws/Cargo.lock"] =
      "version = 3\n\n"
      "[[package]]\nname = \"serde\"\nversion = \"1.0.152\"\n"
      "source = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n"
      "[[package]]\nname = \"app\"\nversion = \"0.0.1\"\n"
      "dependencies = [\n \"libc\",\n \"serde\",\n]\n\n"
      "[[package]]\nname = \"libc\"\nversion = \"0.2.139\"\n"
      "source = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
  const absl::StatusOr<std::vector<std::string>> packages = LockPackages(recipe);
  ASSERT_TRUE(packages.ok()) << packages.status();
  EXPECT_THAT(*packages, ElementsAre("libc 0.2.139", "serde 1.0.152"));

  recipe.files.clear();
  const absl::StatusOr<std::vector<std::string>> none = LockPackages(recipe);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_THAT(*none, IsEmpty());
}

TEST(CacheKeyTagTest, IsStableForFixedInputs) {
  CacheKey fixed{"sha256:", "--release",
                 "rustc 1.90.0 (1159e78c4 2025-09-14)\nhost: x86_64-unknown-linux-gnu"};
  for (int i = 0; i < 32; ++i) fixed.recipe_digest += "ab";
  // sha256 of the JSON line
  // ["sha256:abab...ab","--release","rustc 1.90.0 (...)\nhost: ...","x86_64-unknown-linux-gnu"]:
  // part of the image format, the same in every version of cook.
  EXPECT_EQ(CacheKeyDigest(fixed, kHost),
            "sha256:35079fa8edf177fcf6da54b186ed3e80adc5f99a852666ace6671770f8f820b5");
  EXPECT_EQ(CacheKeyTag(fixed, kHost), "cook-35079fa8edf177fc");
  // Every part counts.
  EXPECT_NE(CacheKeyTag(fixed, "aarch64-unknown-linux-gnu"), CacheKeyTag(fixed, kHost));
  CacheKey dev = fixed;
  dev.cargo_options = "";
  EXPECT_NE(CacheKeyTag(dev, kHost), CacheKeyTag(fixed, kHost));
}

TEST(TargetTriplesTest, TheTargetOptionsElseTheHost) {
  CargoOptions cargo;
  EXPECT_EQ(TargetTriples(cargo, kHost), kHost);
  cargo.targets = {"wasm32-unknown-unknown", "aarch64-unknown-linux-gnu"};
  EXPECT_EQ(TargetTriples(cargo, kHost), "wasm32-unknown-unknown,aarch64-unknown-linux-gnu");
}

TEST(WithTagTest, RegistryTagsAndLayoutsOnly) {
  const auto tagged = [](const std::string& ref) -> std::string {
    const std::optional<oci::ImageReference> r =
        WithTag(*oci::ParseReference(ref), "cook-0123456789abcdef");
    return r.has_value() ? r->ToString() : "none";
  };
  EXPECT_EQ(tagged("docker://localhost:5000/team/cache:main"),
            "docker://localhost:5000/team/cache:cook-0123456789abcdef");
  EXPECT_EQ(tagged("oci:/srv/layout:main"), "oci:/srv/layout:cook-0123456789abcdef");
  EXPECT_EQ(tagged("oci:/srv/layout"), "oci:/srv/layout:cook-0123456789abcdef");
  EXPECT_EQ(tagged("docker://localhost:5000/cache@sha256:" + std::string(64, 'c')), "none");
  EXPECT_EQ(tagged("docker-archive:/srv/cache.tar"), "none");
}

}  // namespace
}  // namespace cook::cache
