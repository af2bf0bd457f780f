#include "chef/targets.h"

#include <filesystem>
#include <string>
#include <vector>

#include "chef/toml_parser.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace cook::chef {
namespace {

namespace fs = std::filesystem;
using ::cook::testing::IsOk;
using ::cook::testing::StatusIs;
using ::cook::testing::WriteTestFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

class TargetsTest : public cook::testing::TempDirTest {
 protected:
  void Touch(std::initializer_list<const char*> paths) {
    for (const char* path : paths) WriteTestFile(root_ / path, "");
  }

  absl::StatusOr<std::vector<Target>> Discover(
      const std::string& manifest, const std::string& edition = "2021") {
    absl::StatusOr<TomlTable> doc = ParseToml(manifest, "Cargo.toml");
    EXPECT_THAT(doc, IsOk());
    if (!doc.ok()) return doc.status();
    return DiscoverTargets(*doc, root_, "my-pkg", edition);
  }

  // "kind name path" for each target, paths relative to the package.
  std::vector<std::string> Describe(const std::vector<Target>& targets) {
    std::vector<std::string> out;
    out.reserve(targets.size());
    for (const Target& t : targets) {
      out.push_back(std::string(TargetKindName(t.kind)) + " " + t.name + " " +
                    t.path.lexically_relative(root_).string());
    }
    return out;
  }
};

TEST_F(TargetsTest, InfersEveryConventionalLocation) {
  Touch({"src/lib.rs", "src/main.rs", "src/bin/tool.rs",
         "src/bin/nested/main.rs", "src/bin/nested/helper.rs",
         "src/bin/notarget/other.rs", "src/bin/readme.md", "examples/ex.rs",
         "examples/multi/main.rs", "tests/it.rs", "tests/common/mod.rs",
         "tests/suite/main.rs", "benches/speed.rs", "build.rs"});
  absl::StatusOr<std::vector<Target>> targets =
      Discover("[package]\nname = \"my-pkg\"\n");
  ASSERT_THAT(targets, IsOk());
  EXPECT_THAT(
      Describe(*targets),
      UnorderedElementsAre(
          "lib my_pkg src/lib.rs", "bin my-pkg src/main.rs",
          "bin tool src/bin/tool.rs", "bin nested src/bin/nested/main.rs",
          "example ex examples/ex.rs", "example multi examples/multi/main.rs",
          "test it tests/it.rs", "test suite tests/suite/main.rs",
          "bench speed benches/speed.rs",
          "custom-build build-script-build build.rs"));
}

TEST_F(TargetsTest, DeclaredTargetsWithInferredAndCustomPaths) {
  Touch({"src/bin/explicit.rs", "src/bin/other.rs", "tools/custom.rs",
         "lib/core.rs"});
  absl::StatusOr<std::vector<Target>> targets = Discover(R"(
[package]
name = "my-pkg"
build = "tools/build.rs"
[lib]
name = "core_renamed"
path = "lib/core.rs"
crate-type = ["rlib", "cdylib"]
[[bin]]
name = "explicit"
[[bin]]
name = "custom"
path = "tools/custom.rs"
required-features = ["extra"]
[[test]]
name = "no-harness"
path = "tools/nh.rs"
harness = false
)");
  ASSERT_THAT(targets, IsOk());
  EXPECT_THAT(
      Describe(*targets),
      UnorderedElementsAre(
          "lib core_renamed lib/core.rs", "bin explicit src/bin/explicit.rs",
          "bin custom tools/custom.rs", "bin other src/bin/other.rs",
          "test no-harness tools/nh.rs",
          "custom-build build-script-build tools/build.rs"));
  for (const Target& t : *targets) {
    if (t.name == "custom") {
      EXPECT_THAT(t.required_features, ElementsAre("extra"));
    }
    if (t.name == "core_renamed") {
      EXPECT_THAT(t.crate_types, ElementsAre("rlib", "cdylib"));
    }
    if (t.name == "no-harness") {
      EXPECT_TRUE(StubNeedsMain(t));
    }
    if (t.kind == TargetKind::kLib) {
      EXPECT_FALSE(StubNeedsMain(t));
    }
  }
}

TEST_F(TargetsTest, DeclaredPathIsNotInferredTwice) {
  Touch({"src/bin/x.rs"});
  absl::StatusOr<std::vector<Target>> targets = Discover(
      "[package]\nname = \"p\"\n[[bin]]\nname = \"xx\"\npath = "
      "\"src/bin/x.rs\"\n");
  ASSERT_THAT(targets, IsOk());
  EXPECT_THAT(Describe(*targets), ElementsAre("bin xx src/bin/x.rs"));
}

TEST_F(TargetsTest, AutoDiscoveryCanBeTurnedOff) {
  Touch({"src/lib.rs", "src/main.rs", "examples/e.rs", "tests/t.rs",
         "benches/b.rs", "build.rs"});
  absl::StatusOr<std::vector<Target>> targets = Discover(R"(
[package]
name = "my-pkg"
autolib = false
autobins = false
autoexamples = false
autotests = false
autobenches = false
build = false
)");
  ASSERT_THAT(targets, IsOk());
  EXPECT_THAT(Describe(*targets), ElementsAre());
}

TEST_F(TargetsTest, Edition2015DeclaredTargetsStopDiscoveryAndUseLegacyPaths) {
  Touch(
      {"src/lib.rs", "src/main.rs", "src/bin/ignored.rs", "examples/found.rs"});
  const std::string manifest =
      "[package]\nname = \"my-pkg\"\n[[bin]]\nname = \"legacy\"\n";
  absl::StatusOr<std::vector<Target>> old = Discover(manifest, "2015");
  ASSERT_THAT(old, IsOk());
  EXPECT_THAT(
      Describe(*old),
      UnorderedElementsAre("lib my_pkg src/lib.rs", "bin legacy src/main.rs",
                           "example found examples/found.rs"));
  // From 2018 on, the same manifest cannot infer `legacy`.
  EXPECT_THAT(Discover(manifest, "2018"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("can't find `legacy` binary")));
}

TEST_F(TargetsTest, ProcMacroLibrary) {
  Touch({"src/lib.rs"});
  absl::StatusOr<std::vector<Target>> targets =
      Discover("[package]\nname = \"m\"\n[lib]\nproc-macro = true\n");
  ASSERT_THAT(targets, IsOk());
  ASSERT_EQ(targets->size(), 1u);
  EXPECT_THAT((*targets)[0].crate_types, ElementsAre("proc-macro"));
}

TEST_F(TargetsTest, ExampleBuiltAsLibraryGetsAnEmptyStub) {
  Touch({"examples/plugin.rs"});
  absl::StatusOr<std::vector<Target>> targets = Discover(
      "[package]\nname = \"m\"\n[[example]]\nname = \"plugin\"\ncrate-type = "
      "[\"cdylib\"]\n");
  ASSERT_THAT(targets, IsOk());
  ASSERT_EQ(targets->size(), 1u);
  EXPECT_FALSE(StubNeedsMain((*targets)[0]));
}

TEST_F(TargetsTest, Errors) {
  EXPECT_THAT(
      Discover("[package]\nname = \"p\"\n[[bin]]\npath = \"src/x.rs\"\n"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("bin.name is required")));
  EXPECT_THAT(Discover("[package]\nname = \"p\"\n[lib]\nname = \"p\"\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("can't find library")));
  Touch({"src/bin/dup.rs", "src/bin/dup/main.rs"});
  EXPECT_THAT(Discover("[package]\nname = \"p\"\n[[bin]]\nname = \"dup\"\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cannot infer the path")));
}

}  // namespace
}  // namespace cook::chef
