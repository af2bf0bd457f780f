// Tricky workspaces checked against the real cargo: the skeleton must be
// described exactly as the original, must build, and must keep [patch]ed
// local crates in use.

#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>

#include "base/files.h"
#include "chef/prepare.h"
#include "chef/recipe.h"
#include "chef/skeleton.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/chef/cargo_testing.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace cook::chef {
namespace {

namespace fs = std::filesystem;
using ::cook::testing::IsOk;
using ::cook::testing::IsOkAndHolds;
using ::cook::testing::WriteTestFile;
using ::testing::HasSubstr;
using Json = nlohmann::json;

void WriteTree(const fs::path& root,
               const std::map<std::string, std::string>& files) {
  for (const auto& [path, contents] : files)
    WriteTestFile(root / path, contents);
}

// Glob members, exclude, default-members, nested bins, custom paths, renamed
// dependencies (also through [workspace.dependencies]), target-specific
// tables, inheritance, an excluded path dependency, a path dependency
// outside the workspace root, the 2015 edition rules, a nested workspace,
// and package metadata with every kind of TOML value.
const std::map<std::string, std::string> kTricky = {
    {"ws/Cargo.toml", R"(
[workspace]
members = ["crates/*", "apps/app-*"]
exclude = ["crates/excluded"]
default-members = ["apps/app-one"]
resolver = "2"

[workspace.package]
version = "1.2.3"
edition = "2021"
authors = ["someone"]

[workspace.dependencies]
util = { path = "crates/util", version = "1.2.3" }
renamed-core = { package = "core-lib", path = "crates/core", version = "1.2", features = ["fast"] }
outside = { path = "../outside", version = "0.5" }

[workspace.lints.rust]
missing_docs = "deny"

[profile.release]
strip = "symbols"
split-debuginfo = "packed"

[profile.custom]
inherits = "release"
)"},
    {"ws/crates/util/Cargo.toml", R"(
[package]
name = "util"
version.workspace = true
edition.workspace = true
authors.workspace = true

[[bench]]
name = "speed"
harness = false

[lints]
workspace = true
)"},
    {"ws/crates/util/src/lib.rs", "//! util\n"},
    {"ws/crates/util/build.rs", "fn main() {}\n"},
    {"ws/crates/util/benches/speed.rs", "fn main() {}\n"},
    {"ws/crates/core/Cargo.toml", R"(
[package]
name = "core-lib"
version = "1.2.0"
edition = "2021"

[lib]
name = "core_renamed"
path = "lib/core.rs"
crate-type = ["rlib", "cdylib"]

[features]
default = []
fast = []
slow = ["fast"]
a-feature-with-a-rather-long-name = []
another-feature-with-a-long-name = []
yet-another-feature-with-a-long-name = []
and-one-more-feature-with-a-long-name = []

[dependencies]
util = { workspace = true, optional = true }
)"},
    {"ws/crates/core/lib/core.rs", ""},
    {"ws/crates/core/tests/it.rs", ""},
    {"ws/crates/core/tests/multi/main.rs", ""},
    {"ws/crates/core/tests/common/mod.rs", ""},
    {"ws/crates/macros/Cargo.toml", R"(
[package]
name = "macros"
version = "0.1.0"
edition = "2018"

[lib]
proc-macro = true
)"},
    {"ws/crates/macros/src/lib.rs", ""},
    {"ws/crates/excluded/Cargo.toml", R"(
[package]
name = "excluded"
version = "3.0.0"
edition = "2021"
)"},
    {"ws/crates/excluded/src/lib.rs", ""},
    {"ws/apps/app-one/Cargo.toml", R"(
[package]
name = "app-one"
version.workspace = true
edition.workspace = true

[[bin]]
name = "explicit"

[[example]]
name = "custom"
path = "demos/custom.rs"
required-features = ["extra"]

[features]
extra = ["renamed-core/slow"]

[dependencies]
util = { workspace = true }
renamed-core = { workspace = true, features = ["slow"] }
outside = { workspace = true }
macros = { path = "../../crates/macros", version = "0.1" }

[target.'cfg(unix)'.dependencies]
ex = { package = "excluded", path = "../../crates/excluded", version = "3" }

[target.'cfg(windows)'.build-dependencies]
macros = { path = "../../crates/macros" }

[dev-dependencies]
deep = { package = "deeper", path = "../../../deeper" }
)"},
    {"ws/apps/app-one/src/main.rs", "fn main() {}\n"},
    {"ws/apps/app-one/src/bin/explicit.rs", "fn main() {}\n"},
    {"ws/apps/app-one/src/bin/tool.rs", "fn main() {}\n"},
    {"ws/apps/app-one/src/bin/nested/main.rs", "mod helper;\nfn main() {}\n"},
    {"ws/apps/app-one/src/bin/nested/helper.rs", ""},
    {"ws/apps/app-one/examples/ex.rs", "fn main() {}\n"},
    {"ws/apps/app-one/examples/multi/main.rs", "fn main() {}\n"},
    {"ws/apps/app-one/demos/custom.rs", "fn main() {}\n"},
    {"ws/apps/app-two/Cargo.toml", R"(
[package]
name = "app-two"
version = "0.2.0"
autoexamples = false

# Long enough for TOML++ to wrap the array inside the inline table.
[dependencies]
long-features = { package = "core-lib", path = "../../crates/core", features = ["a-feature-with-a-rather-long-name", "another-feature-with-a-long-name", "yet-another-feature-with-a-long-name", "and-one-more-feature-with-a-long-name"] }

# cargo metadata reports this table as it reads it.
[package.metadata.formatting]
day = 1979-05-27
floats = [2.5, -0.0, 1e300, 0.1, 3.0]
integers = [0, -7, 0xff, 9223372036854775807]
text = "tab\there \"quoted\" back\\slash 'single' ünïcode 🦀 \u0001"
multi = """
two
lines"""
when = 1979-05-27T07:32:00Z
"not bare.key" = { list = ["a rather long string to push the line", "past the 120 columns where TOML++ wraps", "even inside an inline table"], flag = true }

[[package.metadata.formatting.sections]]
name = "one"

[[package.metadata.formatting.sections]]
name = "two"
deep = { a = { b = 1 } }

[[bin]]
name = "two-main"

[[bin]]
name = "two"
path = "src/two.rs"
)"},
    {"ws/apps/app-two/src/lib.rs", ""},
    {"ws/apps/app-two/src/main.rs", "fn main() {}\n"},
    {"ws/apps/app-two/src/two.rs", "fn main() {}\n"},
    {"ws/apps/app-two/src/bin/ignored.rs", "fn main() {}\n"},
    {"ws/apps/app-two/examples/ignored.rs", "fn main() {}\n"},
    {"ws/fuzz/Cargo.toml",
     "[package]\nname = \"fuzz\"\nversion = \"0.0.0\"\n[workspace]\n"},
    {"ws/fuzz/src/main.rs", ""},
    {"outside/Cargo.toml", R"(
[package]
name = "outside"
version = "0.5.1"
edition = "2021"

[dependencies]
deeper = { path = "../deeper" }
)"},
    {"outside/src/lib.rs", ""},
    {"deeper/Cargo.toml",
     "[package]\nname = \"deeper\"\nversion = \"0.0.1\"\n"},
    {"deeper/src/lib.rs", ""},
};

class CargoFixtureTest : public cook::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    cargo_ = testing::FindCargo();
    if (!cargo_) GTEST_SKIP() << "cargo is not installed";
  }

  // Prepares `ws` (under root_/original), writes the skeleton to
  // root_/skeleton and returns the recipe.
  Recipe PrepareAndWrite(const fs::path& ws, const std::string& bin = "") {
    absl::StatusOr<Recipe> recipe = Prepare({ws, bin});
    EXPECT_THAT(recipe, IsOk());
    if (!recipe.ok()) return Recipe();
    EXPECT_THAT(ParseRecipe(SerializeRecipe(*recipe), "recipe.json"),
                IsOkAndHolds(*recipe));
    EXPECT_THAT(WriteSkeleton(*recipe, root_ / "skeleton"), IsOk());
    return *recipe;
  }

  // Runs `cargo generate-lockfile` in `ws` (which must succeed), then
  // PrepareAndWrite(ws) into `recipe`.
  void LockAndPrepare(const fs::path& ws, Recipe* recipe) {
    const cook::testing::RunResult lock = testing::RunCargo(
        *cargo_, {"generate-lockfile", "--offline"}, ws, root_);
    ASSERT_EQ(lock.exit_code, 0) << lock.err;
    *recipe = PrepareAndWrite(ws);
  }

  std::optional<std::string> cargo_;
};

TEST_F(CargoFixtureTest, TrickyWorkspaceMetadataMatches) {
  WriteTree(root_ / "original", kTricky);
  const fs::path ws = root_ / "original" / "ws";
  const Recipe recipe =
      PrepareAndWrite(ws / "apps" / "app-one");  // found from a member
  EXPECT_EQ(recipe.workspace_root, "ws");
  const Json want =
      testing::NormalizedMetadata(*cargo_, ws, root_ / "original", root_);
  const Json got = testing::NormalizedMetadata(
      *cargo_, SkeletonWorkspaceRoot(recipe, root_ / "skeleton"),
      root_ / "skeleton", root_);
  ASSERT_TRUE(want.is_object());
  EXPECT_EQ(want["packages"].size(),
            5u);  // members only: cargo lists no path deps
  EXPECT_EQ(got.dump(1), want.dump(1));

  // The outside crates are in the skeleton with their relative layout.
  std::map<std::string, bool> members;
  for (const RecipePackage& p : recipe.packages) members[p.name] = p.member;
  EXPECT_EQ(members, (std::map<std::string, bool>{{"app-one", true},
                                                  {"app-two", true},
                                                  {"core-lib", true},
                                                  {"deeper", false},
                                                  {"excluded", false},
                                                  {"macros", true},
                                                  {"outside", false},
                                                  {"util", true}}));
  EXPECT_TRUE(fs::exists(root_ / "skeleton" / "outside" / "src" / "lib.rs"));
  EXPECT_TRUE(fs::exists(root_ / "skeleton" / "deeper" / "Cargo.toml"));
  EXPECT_FALSE(fs::exists(root_ / "skeleton" / "ws" / "fuzz"));
  EXPECT_FALSE(fs::exists(root_ / "skeleton" / "ws" / "apps" / "app-two" /
                          "src" / "bin"));
}

TEST_F(CargoFixtureTest, MetadataWithDependenciesResolvesTheSameGraph) {
  // Full `cargo metadata` (not --no-deps) on a dependency-free graph of path
  // crates: the skeleton resolves outside and excluded crates too.
  WriteTree(root_ / "original", kTricky);
  const fs::path ws = root_ / "original" / "ws";
  Recipe recipe;
  ASSERT_NO_FATAL_FAILURE(LockAndPrepare(ws, &recipe));
  const fs::path skeleton_ws =
      SkeletonWorkspaceRoot(recipe, root_ / "skeleton");
  const fs::path lock = skeleton_ws / "Cargo.lock";
  absl::StatusOr<std::string> before = ReadFile(lock);
  ASSERT_THAT(before, IsOk());
  // --locked: the masked lockfile is exactly what cargo would write.
  cook::testing::RunResult r = testing::RunCargo(
      *cargo_, {"metadata", "--locked", "--offline", "--format-version", "1"},
      skeleton_ws, root_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(ReadFile(lock), IsOkAndHolds(*before));
  EXPECT_THAT(*before, HasSubstr("name = \"app-one\"\nversion = \"0.0.1\""));
  EXPECT_THAT(*before, HasSubstr("name = \"outside\"\nversion = \"0.0.1\""));
  EXPECT_EQ(Json::parse(r.out)["packages"].size(), 8u);
}

// Every target kind, a proc-macro, a cdylib, `missing_docs = "deny"` lints
// and a path dependency outside the workspace, without registry crates.
const std::map<std::string, std::string> kBuildable = {
    {"ws/Cargo.toml", R"(
[workspace]
members = ["kinds", "pm"]
resolver = "2"

[workspace.lints.rust]
missing_docs = "deny"
unsafe_code = "forbid"

[profile.dev]
debug = 0
)"},
    {"ws/kinds/Cargo.toml", R"(
[package]
name = "kinds"
version = "4.5.6"
edition = "2021"

[lib]
crate-type = ["rlib", "cdylib"]

[[bin]]
name = "needs-x"
path = "src/needs_x.rs"
required-features = ["x"]

[[test]]
name = "noharness"
harness = false

[[bench]]
name = "bench"
harness = false

[features]
x = []

[dependencies]
pm = { path = "../pm", version = "0.1" }
lib-outside = { path = "../../outside", version = "2" }

[build-dependencies]
lib-outside = { path = "../../outside", version = "2" }

[lints]
workspace = true
)"},
    {"ws/kinds/src/lib.rs", "pub fn undocumented() -> u32 { 1 }\n"},
    {"ws/kinds/src/main.rs",
     "fn main() { println!(\"{}\", kinds::undocumented()); }\n"},
    {"ws/kinds/src/needs_x.rs", "fn main() {}\n"},
    {"ws/kinds/src/bin/second.rs",
     "fn main() { compile_error!(\"real sources are never built\"); }\n"},
    {"ws/kinds/examples/ex.rs", "fn main() {}\n"},
    {"ws/kinds/tests/t.rs", "#[test]\nfn t() {}\n"},
    {"ws/kinds/tests/noharness.rs", "fn main() {}\n"},
    {"ws/kinds/benches/bench.rs", "fn main() {}\n"},
    {"ws/kinds/benches/harnessed.rs", ""},
    {"ws/kinds/build.rs", "fn main() {}\n"},
    {"ws/pm/Cargo.toml", R"(
[package]
name = "pm"
version = "0.1.0"
edition = "2021"

[lib]
proc-macro = true

[lints]
workspace = true
)"},
    {"ws/pm/src/lib.rs", "this is not rust\n"},
    {"outside/Cargo.toml",
     "[package]\nname = \"lib-outside\"\nversion = \"2.0.0\"\nedition = "
     "\"2021\"\n"},
    {"outside/src/lib.rs", "pub fn f() {}\n"},
};

TEST_F(CargoFixtureTest, SkeletonOfEveryTargetKindBuilds) {
  WriteTree(root_ / "original", kBuildable);
  const fs::path ws = root_ / "original" / "ws";
  Recipe recipe;
  ASSERT_NO_FATAL_FAILURE(LockAndPrepare(ws, &recipe));
  const fs::path skeleton_ws =
      SkeletonWorkspaceRoot(recipe, root_ / "skeleton");
  cook::testing::RunResult r = testing::RunCargo(
      *cargo_,
      {"build", "--offline", "--locked", "--all-targets", "--all-features",
       "--target-dir", (root_ / "target").string()},
      skeleton_ws, root_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(root_ / "target" / "debug" / "libkinds.so"));
  EXPECT_TRUE(fs::exists(root_ / "target" / "debug" / "needs-x"));
}

constexpr char kDebianRegistry[] = "/usr/share/cargo/registry";

TEST_F(CargoFixtureTest, PatchedLocalCrateStaysInUse) {
  bool have_log = false;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kDebianRegistry, ec)) {
    have_log |= entry.path().filename().string().rfind("log-0.4.", 0) == 0;
  }
  if (!have_log) GTEST_SKIP() << "Debian's librust-log-dev is not installed";
  const fs::path ws = root_ / "original" / "ws";
  // A relative directory source: the skeleton must still reach it.
  const std::string registry =
      fs::path(kDebianRegistry).lexically_relative(ws).string();
  WriteTree(root_ / "original",
            {
                {"ws/Cargo.toml",
                 "[workspace]\nmembers = [\"app\"]\nresolver = \"2\"\n"
                 "[patch.crates-io]\ncfg-if = { path = \"patched/cfg-if\" }\n"},
                {"ws/.cargo/config.toml",
                 "[source.crates-io]\nreplace-with = "
                 "\"debian\"\n[source.debian]\ndirectory = \"" +
                     registry + "\"\n"},
                {"ws/app/Cargo.toml",
                 "[package]\nname = \"app\"\nversion = \"7.0.0\"\nedition = "
                 "\"2021\"\n"
                 "[dependencies]\nlog = \"0.4\"\nhelper = { path = "
                 "\"../helper\", version = \"0.3\" }\n"},
                {"ws/app/src/main.rs", "fn main() {}\n"},
                {"ws/helper/Cargo.toml",
                 "[package]\nname = \"helper\"\nversion = \"0.3.0\"\n"},
                {"ws/helper/src/lib.rs", ""},
                {"ws/patched/cfg-if/Cargo.toml",
                 "[package]\nname = \"cfg-if\"\nversion = \"1.0.0\"\nedition = "
                 "\"2018\"\n"},
                {"ws/patched/cfg-if/src/lib.rs", ""},
            });
  Recipe recipe;
  ASSERT_NO_FATAL_FAILURE(LockAndPrepare(ws, &recipe));
  EXPECT_EQ(recipe.directory_sources,
            std::vector<std::string>{kDebianRegistry});
  for (const RecipePackage& package : recipe.packages) {
    EXPECT_EQ(package.version_masked, package.name != "cfg-if") << package.name;
  }
  const fs::path skeleton_ws =
      SkeletonWorkspaceRoot(recipe, root_ / "skeleton");
  EXPECT_THAT(ReadFile(skeleton_ws / ".cargo" / "config.toml"),
              IsOkAndHolds(HasSubstr(std::string("directory = \"") +
                                     kDebianRegistry + "\"")));
  cook::testing::RunResult r = testing::RunCargo(
      *cargo_, {"metadata", "--locked", "--offline", "--format-version", "1"},
      skeleton_ws, root_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  bool found = false;
  const Json metadata = Json::parse(r.out);
  for (const Json& package : metadata["packages"]) {
    if (package["name"] != "cfg-if") continue;
    found = true;
    EXPECT_TRUE(package["source"].is_null()) << package.dump();
    EXPECT_EQ(package["version"], "1.0.0");
    EXPECT_THAT(package["manifest_path"].get<std::string>(),
                HasSubstr("/skeleton/patched/cfg-if/"));
  }
  EXPECT_TRUE(found);
}

TEST_F(CargoFixtureTest, OutsideCrateInheritsFromItsOwnWorkspace) {
  WriteTree(
      root_ / "original",
      {
          {"ws/Cargo.toml", "[workspace]\nmembers = [\"app\"]\n"},
          {"ws/app/Cargo.toml",
           "[package]\nname = \"app\"\nversion = \"1.0.0\"\nedition = "
           "\"2021\"\n"
           "[dependencies]\nshared = { path = \"../../libs/shared\", version = "
           "\"5\" }\n"},
          {"ws/app/src/main.rs", "fn main() {}\n"},
          {"libs/Cargo.toml",
           "[workspace]\nmembers = [\"shared\", "
           "\"unrelated\"]\n[workspace.package]\n"
           "version = \"5.1.0\"\nedition = \"2021\"\n[workspace.dependencies]\n"
           "helper = { path = \"helper\", version = \"5\" }\n"},
          {"libs/shared/Cargo.toml",
           "[package]\nname = \"shared\"\nversion.workspace = "
           "true\nedition.workspace = true\n"
           "[dependencies]\nhelper = { workspace = true }\n"},
          {"libs/shared/src/lib.rs", ""},
          {"libs/helper/Cargo.toml",
           "[package]\nname = \"helper\"\nversion.workspace = "
           "true\nedition.workspace = true\n"},
          {"libs/helper/src/lib.rs", ""},
      });
  const fs::path ws = root_ / "original" / "ws";
  Recipe recipe;
  ASSERT_NO_FATAL_FAILURE(LockAndPrepare(ws, &recipe));
  EXPECT_EQ(recipe.workspace_root, "ws");
  EXPECT_TRUE(recipe.files.count("libs/Cargo.toml"));
  cook::testing::RunResult r = testing::RunCargo(
      *cargo_, {"metadata", "--locked", "--offline", "--format-version", "1"},
      SkeletonWorkspaceRoot(recipe, root_ / "skeleton"), root_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out)["packages"].size(), 3u);
  const Json want =
      testing::NormalizedMetadata(*cargo_, ws, root_ / "original", root_);
  const Json got = testing::NormalizedMetadata(
      *cargo_, SkeletonWorkspaceRoot(recipe, root_ / "skeleton"),
      root_ / "skeleton", root_);
  EXPECT_EQ(got.dump(1), want.dump(1));
}

// Target discovery against cargo on many generated layouts at once: every
// combination of conventional files, auto* switches, editions, declared
// targets with and without paths, custom build scripts.
TEST_F(CargoFixtureTest, GeneratedTargetLayoutsMatchCargo) {
  // COOK_TEST_SEED explores other layouts; the default keeps CI stable.
  const char* seed = std::getenv("COOK_TEST_SEED");
  std::mt19937 random(seed ? std::strtoul(seed, nullptr, 10) : 20260825);
  auto chance = [&](int percent) {
    return static_cast<int>(random() % 100) < percent;
  };
  std::map<std::string, std::string> files;
  std::string members;
  constexpr int kPackages = 48;
  for (int i = 0; i < kPackages; ++i) {
    const std::string name = "p" + std::to_string(i);
    const std::string dir = "ws/" + name + "/";
    members += "\"" + name + "\", ";
    const char* editions[] = {"2015", "2018", "2021", "2024"};
    std::string manifest = "[package]\nname = \"" + name +
                           "\"\nversion = \"0.1.0\"\nedition = \"" +
                           editions[random() % 4] + "\"\n";
    auto flag = [&](const char* key) {
      const int r = random() % 4;
      if (r == 1) manifest += std::string(key) + " = true\n";
      if (r == 2) manifest += std::string(key) + " = false\n";
    };
    for (const char* key :
         {"autolib", "autobins", "autoexamples", "autotests", "autobenches"}) {
      flag(key);
    }
    auto add = [&](const std::string& path) { files[dir + path] = ""; };
    const bool lib = chance(50), main = chance(50);
    if (lib) add("src/lib.rs");
    if (main) add("src/main.rs");
    const int bins = random() % 3;
    for (int b = 0; b < bins; ++b) add("src/bin/x" + std::to_string(b) + ".rs");
    if (chance(40)) add("src/bin/dir/main.rs");
    if (chance(20)) add("src/bin/nomain/other.rs");
    if (chance(40)) add("examples/e.rs");
    if (chance(40)) add("examples/ed/main.rs");
    const bool test_t = chance(50);
    if (test_t) add("tests/t.rs");
    if (chance(40)) add("tests/td/main.rs");
    if (chance(40)) add("benches/b.rs");
    const int build = random() % 4;
    if (build == 0 || build == 1) add("build.rs");
    if (build == 1) manifest += "build = false\n";
    if (build == 2) {
      manifest += "build = \"tools/gen.rs\"\n";
      add("tools/gen.rs");
    }
    if (lib && chance(30))
      manifest += "\n[lib]\nname = \"renamed_" + name + "\"\n";
    if (bins > 0 && chance(50)) manifest += "\n[[bin]]\nname = \"x0\"\n";
    if (main && chance(30)) manifest += "\n[[bin]]\nname = \"" + name + "\"\n";
    if (chance(30)) {
      manifest += "\n[[bin]]\nname = \"custom-bin\"\npath = \"other/cb.rs\"\n";
      add("other/cb.rs");
    }
    if (chance(30)) {
      manifest +=
          "\n[[example]]\nname = \"custom\"\npath = \"demos/custom.rs\"\n"
          "required-features = [\"f\"]\n";
      add("demos/custom.rs");
    }
    if (test_t && chance(50))
      manifest += "\n[[test]]\nname = \"t\"\nharness = false\n";
    if (chance(30)) {
      manifest +=
          "\n[[bench]]\nname = \"declared\"\npath = \"perf/declared.rs\"\n";
      add("perf/declared.rs");
    }
    // cargo refuses a package without a library or binary.
    manifest += "\n[[bin]]\nname = \"always\"\npath = \"always.rs\"\n";
    add("always.rs");
    manifest += "\n[features]\nf = []\n";
    files[dir + "Cargo.toml"] = manifest;
  }
  files["ws/Cargo.toml"] =
      "[workspace]\nresolver = \"2\"\nmembers = [" + members + "]\n";
  WriteTree(root_ / "original", files);
  const fs::path ws = root_ / "original" / "ws";
  const Recipe recipe = PrepareAndWrite(ws);
  const Json want = testing::NormalizedMetadata(*cargo_, ws, ws, root_);
  const Json got = testing::NormalizedMetadata(
      *cargo_, SkeletonWorkspaceRoot(recipe, root_ / "skeleton"),
      root_ / "skeleton", root_);
  ASSERT_TRUE(want.is_object());
  EXPECT_EQ(want["packages"].size(), static_cast<size_t>(kPackages));
  if (got != want) {
    for (size_t i = 0;
         i < want["packages"].size() && i < got["packages"].size(); ++i) {
      EXPECT_EQ(got["packages"][i].dump(1), want["packages"][i].dump(1));
    }
  }
}

}  // namespace
}  // namespace cook::chef
