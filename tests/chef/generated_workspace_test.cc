// Chef against cargo, at scale: seeded random workspaces, each described by
// `cargo metadata --no-deps --offline` once as written and once as cook's
// skeleton (chef's Prepare + WriteSkeleton). Packages, targets (names, kinds,
// crate types, required features, paths relative to the skeleton root,
// editions), features, dependencies as declared, members and default members
// must match; versions of local packages are masked by design and not
// compared (tests/chef/cargo_testing.h says exactly what is).
//
// The generator covers: `members` globs and lists, `exclude` (of glob members
// and of path dependencies), nested path dependencies (implicit members),
// path dependencies outside the root (and theirs), renamed dependencies,
// optional dependencies and features, dev/build/target-specific
// dependencies, registry dependencies (never resolved: --no-deps), [patch]
// with a local path, workspace inheritance of package keys and dependencies,
// default-members, lib/bin/example/test/bench targets found by cargo's
// auto-discovery and declared with and without paths, auto* = false,
// required-features, harness = false, crate types, proc macros, build scripts
// (auto-detected, `build = "..."`, `build = false`), and all four editions.
//
// Environment (pass with --test_env):
//   COOK_GENERATED_WORKSPACES  how many workspaces (default 200)
//   COOK_GENERATED_SEED        the first seed (default 1)
//   COOK_GENERATED_KEEP        a directory to keep the workspaces in
// A failure prints its seed and the command that reproduces it alone.

#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/files.h"
#include "chef/prepare.h"
#include "chef/recipe.h"
#include "chef/skeleton.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/chef/cargo_testing.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace cook::chef {
namespace {

namespace fs = std::filesystem;
using ::cook::testing::WriteTestFile;

int EnvInt(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::atoi(value) : fallback;
}

// A tiny seeded generator: std::mt19937's output is fixed by the standard,
// unlike the std distributions, so a seed means the same workspace anywhere.
class Random {
 public:
  explicit Random(uint32_t seed) : engine_(seed) {}
  int Below(int n) { return static_cast<int>(engine_() % n); }
  bool Chance(int percent) { return Below(100) < percent; }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[Below(static_cast<int>(items.size()))];
  }

 private:
  std::mt19937 engine_;
};

using Files = std::map<std::string, std::string>;

struct Crate {
  std::string name;
  std::string dir;  // relative to the case directory
  bool member = true;
  bool outside = false;     // below outside/, no workspace
  bool standalone = false;  // in no workspace: outside, or excluded
  std::vector<std::string> features;
};

// "a/b" relative to "a/c/d" -> "../../b".
std::string RelativePath(const std::string& to, const std::string& from) {
  return fs::path(to).lexically_relative(from).generic_string();
}

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  // Directories of the root's [patch] path entries, relative to the case.
  const std::vector<std::string>& patch_dirs() const { return patch_dirs_; }

  Files Generate() {
    const int members = 1 + rng_.Below(5);
    for (int i = 0; i < members; ++i) {
      crates_.push_back(
          {"c" + std::to_string(i), "ws/crates/c" + std::to_string(i)});
    }
    if (rng_.Chance(40)) {  // a path dependency nested in a member
      crates_.push_back({"nested", "ws/crates/c0/nested"});
    }
    if (rng_.Chance(30)) {  // excluded from the glob; maybe still a path dep
      crates_.push_back({"skipped", "ws/crates/skipped", false});
      crates_.back().standalone = true;
      excluded_ = crates_.size() - 1;
    }
    if (rng_.Chance(35)) {
      crates_.push_back({"out0", "outside/out0", false, true, true});
      if (rng_.Chance(50))
        crates_.push_back({"out1", "outside/out1", false, true, true});
    }
    root_package_ = rng_.Chance(35);
    inherit_package_ = rng_.Chance(60);
    inherit_deps_ = rng_.Chance(50);
    glob_ = rng_.Chance(60);
    for (Crate& crate : crates_) {
      if (rng_.Chance(60)) crate.features = {"f1", "f2"};
    }
    WriteRoot();
    for (size_t i = 0; i < crates_.size(); ++i) WriteCrate(i);
    return files_;
  }

 private:
  std::string Edition() {
    return rng_.Pick<std::string>({"2015", "2018", "2021", "2024"});
  }

  // [package.metadata] with every kind of TOML value: chef rewrites the
  // manifest, and cargo metadata reports the table as it read it.
  std::string Metadata() {
    std::string text = "\n[package.metadata.gen]\n";
    const std::vector<std::string> scalars = {
        "1",
        "-17",
        "9223372036854775807",
        "0x1F",
        "0o17",
        "0b101",
        "1_000",
        "1.5",
        "-0.25",
        "6.02e23",
        "1e-7",
        "true",
        "false",
        "\"plain\"",
        "\"tab\\tquote\\\"back\\\\slash\"",
        "\"\\u00e9\\U0001F600\"",
        "'literal \\ string'",
        "\"\"\"\nmulti\nline\"\"\"",
        "'''\nraw\nmulti'''",
        "1979-05-27T07:32:00Z",
        "1979-05-27T00:32:00.999999-07:00",
        "1979-05-27T07:32:00",
        "1979-05-27",
        "07:32:00"};
    const int keys = 1 + rng_.Below(5);
    for (int k = 0; k < keys; ++k) {
      text += "k" + std::to_string(k) + " = ";
      switch (rng_.Below(4)) {
        case 0:
          text += rng_.Pick(scalars);
          break;
        case 1:
          text += "[" + rng_.Pick(scalars) + ", " + rng_.Pick(scalars) + "]";
          break;
        case 2:
          text += "{ a = " + rng_.Pick(scalars) + ", b.c = [" +
                  rng_.Pick(scalars) + "] }";
          break;
        default:
          text += "[[" + rng_.Pick(scalars) + "], { x = " + rng_.Pick(scalars) +
                  " }]";
      }
      text += "\n";
    }
    if (rng_.Chance(50)) {
      text +=
          "\n[[package.metadata.gen.list]]\nname = \"one\"\n"
          "\n[[package.metadata.gen.list]]\nname = \"two\"\n"
          "sub.deep = 2\n";
    }
    return text;
  }

  void WriteRoot() {
    std::string text;
    if (root_package_) {
      text += "[package]\nname = \"root\"\nversion = \"0.3.0\"\nedition = \"" +
              Edition() + "\"\n\n";
      text += "[dependencies]\nc0 = { path = \"crates/c0\" }\n\n";
      files_["ws/src/lib.rs"] = "";
      if (rng_.Chance(50)) files_["ws/src/main.rs"] = "";
    }
    text += "[workspace]\n";
    std::vector<std::string> members;
    if (glob_) {
      members.push_back(rng_.Chance(50) ? "\"crates/*\"" : "\"crates/c*\"");
      if (excluded_ >= 0) members.push_back("\"crates/s*\"");
    } else {
      for (const Crate& crate : crates_) {
        if (crate.name[0] == 'c')
          members.push_back("\"" + crate.dir.substr(3) + "\"");
      }
    }
    text += "members = [" + absl::StrJoin(members, ", ") + "]\n";
    if (excluded_ >= 0) text += "exclude = [\"crates/skipped\"]\n";
    if (rng_.Chance(30)) text += "default-members = [\"crates/c0\"]\n";
    text += "resolver = \"" + rng_.Pick<std::string>({"1", "2", "3"}) + "\"\n";
    if (inherit_package_) {
      text += "\n[workspace.package]\nversion = \"1.2.3\"\nedition = \"" +
              Edition() +
              "\"\nauthors = [\"someone\"]\nlicense = \"MIT\"\n"
              "description = \"d\\u00e9j\u00e0 \\\"vu\\\"\"\npublish = false\n"
              "keywords = [\"a\", \"b\"]\n";
    }
    if (inherit_deps_) {
      text +=
          "\n[workspace.dependencies]\nserde = { version = \"1.0\", "
          "default-features = false }\n";
      for (const Crate& crate : crates_) {
        if (crate.outside) continue;
        text += crate.name + " = { path = \"" + crate.dir.substr(3) + "\" }\n";
        text += "ws_" + crate.name + " = { path = \"" + crate.dir.substr(3) +
                "\", package = \"" + crate.name + "\" }\n";
      }
    }
    if (rng_.Chance(25)) {
      text += "\n[patch.crates-io]\nserde = { path = \"patches/serde\" }\n";
      patch_dirs_.push_back("ws/patches/serde");
      files_["ws/patches/serde/Cargo.toml"] =
          "[package]\nname = \"serde\"\nversion = \"1.0.999\"\n";
      files_["ws/patches/serde/src/lib.rs"] = "";
    }
    if (rng_.Chance(30)) {
      text += "\n[profile.release]\nlto = true\nstrip = \"symbols\"\n";
    }
    files_["ws/Cargo.toml"] = text;
  }

  // A dependency on crate `j` from crate `i`: by path, renamed, through the
  // workspace, optional.
  std::string DependencyOn(size_t i, size_t j, bool& optional,
                           std::string& key) {
    const Crate& from = crates_[i];
    const Crate& to = crates_[j];
    key = to.name;
    std::vector<std::string> parts;
    const bool via_workspace =
        inherit_deps_ && !from.standalone && !to.outside && rng_.Chance(50);
    if (via_workspace) {
      if (rng_.Chance(30)) key = "ws_" + to.name;  // renamed in the root
      parts.push_back("workspace = true");
    } else {
      parts.push_back("path = \"" + RelativePath(to.dir, from.dir) + "\"");
      if (rng_.Chance(30)) {
        key = "renamed_" + to.name;
        parts.push_back("package = \"" + to.name + "\"");
      }
    }
    optional = rng_.Chance(25);
    if (optional) parts.push_back("optional = true");
    if (!to.features.empty() && rng_.Chance(30))
      parts.push_back("features = [\"f1\"]");
    return key + " = { " + absl::StrJoin(parts, ", ") + " }\n";
  }

  void WriteCrate(size_t i) {
    Crate& crate = crates_[i];
    const std::string& dir = crate.dir;
    std::string text = "[package]\nname = \"" + crate.name + "\"\n";
    const bool inherits = inherit_package_ && !crate.standalone;
    if (inherits && rng_.Chance(60)) {
      text += "version.workspace = true\n";
    } else {
      text += "version = \"0." + std::to_string(rng_.Below(9)) + ".1\"\n";
    }
    if (inherits && rng_.Chance(60)) {
      text += "edition.workspace = true\nauthors.workspace = true\n";
    } else if (rng_.Chance(85)) {
      text += "edition = \"" + Edition() + "\"\n";
    }
    bool autobins = true;
    for (const char* key :
         {"autobins", "autoexamples", "autotests", "autobenches"}) {
      if (!rng_.Chance(15)) continue;
      absl::StrAppend(&text, key, " = false\n");
      if (std::string_view(key) == "autobins") autobins = false;
    }
    // Build scripts.
    const int build = rng_.Below(10);
    if (build < 3) {
      files_[dir + "/build.rs"] = "";
    } else if (build == 3) {
      text += "build = \"tools/gen.rs\"\n";
      files_[dir + "/tools/gen.rs"] = "";
    } else if (build == 4) {
      text += "build = false\n";
      files_[dir + "/build.rs"] = "";
    }
    if (build < 4 && rng_.Chance(30)) {
      text += "links = \"native_" + crate.name + "\"\n";
    }
    if (rng_.Chance(20)) {
      text += "\n[package.metadata.docs.rs]\nall-features = true\n";
    }
    if (!crate.standalone && crate.dir.substr(0, 9) == "ws/crates" &&
        rng_.Chance(15)) {
      text += "workspace = \"" + RelativePath("ws", crate.dir) + "\"\n";
    }
    const bool autolib = !rng_.Chance(10);
    if (!autolib) text += "autolib = false\n";
    if (rng_.Chance(40)) text += Metadata();
    // Targets.
    const bool lib = rng_.Chance(75);
    const bool main = !lib || rng_.Chance(40);
    if (lib) {
      std::vector<std::string> keys;
      std::string lib_path = "src/lib.rs";
      if (rng_.Chance(20)) {
        lib_path = "lib/entry.rs";
        keys.push_back("path = \"lib/entry.rs\"");
      }
      if (rng_.Chance(15)) keys.push_back("name = \"" + crate.name + "_lib\"");
      const int kind = rng_.Below(10);
      if (kind == 0) {
        keys.push_back("proc-macro = true");
      } else if (kind == 1) {
        keys.push_back("crate-type = [\"cdylib\", \"rlib\"]");
      } else if (kind == 2) {
        keys.push_back("crate-type = [\"staticlib\"]");
      }
      if (rng_.Chance(15)) keys.push_back("doctest = false");
      if (rng_.Chance(10)) keys.push_back("test = false");
      if (rng_.Chance(10)) keys.push_back("edition = \"" + Edition() + "\"");
      if (!keys.empty() || !autolib || rng_.Chance(10)) {
        text += "\n[lib]\n" + absl::StrJoin(keys, "\n") + "\n";
      }
      files_[dir + "/" + lib_path] = "";
    }
    if (main) files_[dir + "/src/main.rs"] = "";
    if (!lib && !autobins) {  // else the package would have no target
      text +=
          "\n[[bin]]\nname = \"" + crate.name + "\"\npath = \"src/main.rs\"\n";
    }
    if (rng_.Chance(40)) files_[dir + "/src/bin/tool.rs"] = "";
    if (rng_.Chance(25)) files_[dir + "/src/bin/multi/main.rs"] = "";
    if (rng_.Chance(30)) files_[dir + "/examples/demo.rs"] = "";
    if (rng_.Chance(15)) files_[dir + "/examples/big/main.rs"] = "";
    if (rng_.Chance(35)) files_[dir + "/tests/it.rs"] = "";
    if (rng_.Chance(15)) files_[dir + "/tests/suite/main.rs"] = "";
    if (rng_.Chance(20)) files_[dir + "/benches/speed.rs"] = "";
    const bool features = !crate.features.empty();
    if (!crate.standalone && rng_.Chance(10)) {  // a source outside the package
      text += "\n[[bin]]\nname = \"shared-" + crate.name + "\"\npath = \"" +
              RelativePath("ws/shared/main.rs", crate.dir) +
              "\"\nedition = \"" + Edition() + "\"\ntest = false\n";
      files_["ws/shared/main.rs"] = "";
    }
    if (rng_.Chance(25)) {
      text += "\n[[bin]]\nname = \"explicit\"\npath = \"cli/explicit.rs\"\n";
      if (features && rng_.Chance(50)) text += "required-features = [\"f1\"]\n";
      files_[dir + "/cli/explicit.rs"] = "";
    }
    if (rng_.Chance(20)) {  // names an auto-discovered bin, or makes one up
      text += "\n[[bin]]\nname = \"tool\"\n";
      files_[dir + "/src/bin/tool.rs"] = "";
      if (features) text += "required-features = [\"f2\"]\n";
    }
    if (rng_.Chance(15)) {
      text += "\n[[example]]\nname = \"demo\"\n";
      files_[dir + "/examples/demo.rs"] = "";
      if (rng_.Chance(30)) text += "crate-type = [\"staticlib\"]\n";
      if (features) text += "required-features = [\"f1\"]\n";
    }
    if (rng_.Chance(15)) {
      text += "\n[[test]]\nname = \"it\"\nharness = false\n";
      files_[dir + "/tests/it.rs"] = "";
    }
    if (rng_.Chance(15)) {
      text += "\n[[bench]]\nname = \"speed\"\nharness = false\n";
      files_[dir + "/benches/speed.rs"] = "";
      if (features) text += "required-features = [\"f2\"]\n";
    }
    // Dependencies.
    std::string deps, dev, build_deps, unix;
    std::vector<std::string> optional_keys;
    // Dependencies with features, and whether they are optional.
    std::vector<std::pair<std::string, bool>> featured_keys;
    for (size_t j = 0; j < crates_.size(); ++j) {
      if (!CanDependOn(i, j) || !rng_.Chance(45)) continue;
      bool optional = false;
      std::string key;
      const std::string line = DependencyOn(i, j, optional, key);
      const int table = rng_.Below(crate.outside ? 2 : 5);
      if (optional || table <= 1) {
        deps += line;
      } else if (table == 2) {
        dev += line;
      } else if (table == 3) {
        build_deps += line;
      } else {
        unix += line;
      }
      if (optional) optional_keys.push_back(key);
      if (!crates_[j].features.empty() && table <= 1 && rng_.Chance(40))
        featured_keys.emplace_back(key, optional);
    }
    if (excluded_ >= 0 && crate.name == "c0" && rng_.Chance(50)) {
      deps += "skipped = { path = \"../skipped\" }\n";
    }
    if (rng_.Chance(30)) {
      deps += inherit_deps_ && !crate.standalone && rng_.Chance(50)
                  ? "serde = { workspace = true, features = [\"std\"] }\n"
                  : "serde = \"1.0\"\n";
    }
    if (rng_.Chance(15)) {
      build_deps += "cc = { version = \"1\", optional = false }\n";
    }
    if (!deps.empty()) text += "\n[dependencies]\n" + deps;
    if (!dev.empty()) text += "\n[dev-dependencies]\n" + dev;
    if (!build_deps.empty()) text += "\n[build-dependencies]\n" + build_deps;
    if (!unix.empty()) {
      text += "\n[target." +
              rng_.Pick<std::string>(
                  {"'cfg(unix)'", "'cfg(windows)'", "x86_64-unknown-linux-gnu",
                   "'cfg(all(unix, target_pointer_width = \"64\"))'"}) +
              ".dependencies]\n" + unix;
    }
    if (rng_.Chance(15)) {
      text +=
          "\n[target.'cfg(target_os = \"linux\")'.build-dependencies]\n"
          "cc = \"1\"\n";
    }
    if (features) {
      text += "\n[features]\ndefault = [\"f1\"]\nf1 = []\nf2 = [\"f1\"";
      for (const std::string& key : optional_keys) {
        text += rng_.Chance(50) ? ", \"dep:" + key + "\"" : ", \"" + key + "\"";
      }
      for (const auto& [key, optional] : featured_keys) {
        text += optional && rng_.Chance(50) ? ", \"" + key + "?/f2\""
                                            : ", \"" + key + "/f1\"";
      }
      text += "]\n";
    }
    files_[dir + "/Cargo.toml"] = text;
  }

  // Acyclic: a crate depends only on crates after it; the root's c0 comes
  // first. Outside crates depend only on outside crates; the excluded crate
  // on nothing.
  bool CanDependOn(size_t i, size_t j) const {
    if (j <= i) return false;
    const Crate& from = crates_[i];
    const Crate& to = crates_[j];
    if (static_cast<int>(i) == excluded_ || static_cast<int>(j) == excluded_)
      return false;
    if (from.outside) return to.outside;
    if (to.name == "c0") return false;
    return true;
  }

  Random rng_;
  std::vector<Crate> crates_;
  int excluded_ = -1;
  bool root_package_ = false;
  bool inherit_package_ = false;
  bool inherit_deps_ = false;
  bool glob_ = false;
  std::vector<std::string> patch_dirs_;
  Files files_;
};

// The local packages that are not members but that cargo reads, by
// directory relative to `base`: path dependencies of members (as cargo
// metadata declares them), their normal and build path dependencies in
// turn (cargo never reads a non-member's dev-dependencies), and the root's
// [patch] paths. The skeleton must hold exactly these besides the members:
// `--no-deps` lists members only, so a stray package would go unseen.
std::set<std::string> NonMemberPackages(const std::string& cargo,
                                        const nlohmann::json& metadata,
                                        const fs::path& base,
                                        const std::vector<fs::path>& patches,
                                        const fs::path& scratch) {
  std::set<std::string> members;
  for (const auto& id : metadata["workspace_members"])
    members.insert(id.get<std::string>());
  std::vector<std::string> queue;
  auto add_path_deps = [&](const nlohmann::json& package, bool with_dev) {
    for (const auto& dep : package["dependencies"]) {
      if (!dep.contains("path")) continue;
      if (!with_dev && dep["kind"] == "dev") continue;
      queue.push_back(dep["path"].get<std::string>());
    }
  };
  for (const auto& package : metadata["packages"]) add_path_deps(package, true);
  std::set<std::string> out;
  for (const fs::path& dir : patches) {
    out.insert(dir.lexically_relative(base).generic_string());
  }
  while (!queue.empty()) {
    const std::string dir = queue.back();  // "<base>/..."
    queue.pop_back();
    if (members.count(dir)) continue;
    const std::string relative =
        dir == "<base>" ? "." : dir.substr(std::string("<base>/").size());
    if (!out.insert(relative).second) continue;
    const nlohmann::json its =
        testing::NormalizedMetadata(cargo, base / relative, base, scratch);
    if (!its.is_object()) continue;  // NormalizedMetadata failed the test
    for (const auto& package : its["packages"]) add_path_deps(package, false);
  }
  return out;
}

class GeneratedWorkspaceTest : public cook::testing::TempDirTest {};

TEST_F(GeneratedWorkspaceTest, SkeletonMetadataMatchesOriginal) {
  const std::optional<std::string> cargo = testing::FindCargo();
  if (!cargo) GTEST_SKIP() << "cargo is not installed";
  const int count = EnvInt("COOK_GENERATED_WORKSPACES", 200);
  const int first = EnvInt("COOK_GENERATED_SEED", 1);
  const char* keep = std::getenv("COOK_GENERATED_KEEP");
  const fs::path cases =
      keep != nullptr && *keep != '\0' ? fs::path(keep) : root_ / "cases";
  int failures = 0;
  int checked = 0;
  for (int seed = first; seed < first + count && failures < 5; ++seed) {
    const std::string reproduce = absl::StrCat(
        "seed ", seed,
        "; reproduce with: bazel test "
        "//tests/chef:generated_workspace_test --test_output=errors "
        "--test_env=COOK_GENERATED_SEED=",
        seed,
        " --test_env=COOK_GENERATED_WORKSPACES=1 "
        "--test_env=COOK_GENERATED_KEEP=/tmp/cook-generated");
    SCOPED_TRACE(reproduce);
    const fs::path dir = cases / std::to_string(seed);
    fs::remove_all(dir);
    Generator generator(seed);
    for (const auto& [path, contents] : generator.Generate())
      WriteTestFile(dir / path, contents);
    const fs::path ws = dir / "ws";
    absl::StatusOr<Recipe> recipe = Prepare({ws, ""});
    if (!recipe.ok()) {
      ADD_FAILURE() << "preparing: " << recipe.status();
      ++failures;
      continue;
    }
    const fs::path skeleton = dir / "skeleton";
    if (absl::Status written = WriteSkeleton(*recipe, skeleton);
        !written.ok()) {
      ADD_FAILURE() << "writing the skeleton: " << written;
      ++failures;
      continue;
    }
    // The original's counterpart of the skeleton root.
    fs::path base = ws;
    for (const auto& part : fs::path(recipe->workspace_root)) {
      if (part != ".") base = base.parent_path();
    }
    const auto want = testing::NormalizedMetadata(*cargo, ws, base, root_);
    const auto got = testing::NormalizedMetadata(
        *cargo, SkeletonWorkspaceRoot(*recipe, skeleton), skeleton, root_);
    if (!want.is_object() || want["packages"].empty() ||
        got.dump(1) != want.dump(1)) {
      EXPECT_EQ(got.dump(1), want.dump(1));
      ++failures;
      continue;
    }
    std::vector<fs::path> patches;
    for (const std::string& patch : generator.patch_dirs())
      patches.push_back(dir / patch);
    std::set<std::string> in_recipe;
    for (const RecipePackage& package : recipe->packages) {
      if (!package.member) {
        in_recipe.insert(
            fs::path(package.manifest_path).parent_path().generic_string());
      }
    }
    const std::set<std::string> read_by_cargo =
        NonMemberPackages(*cargo, want, base, patches, root_);
    if (in_recipe != read_by_cargo) {
      EXPECT_EQ(absl::StrJoin(in_recipe, " "),
                absl::StrJoin(read_by_cargo, " "))
          << "non-member local packages: the recipe's vs those cargo reads";
      ++failures;
      continue;
    }
    // `--bin` for one member: cargo accepts the pruned skeleton and still
    // describes that package as the original does.
    std::vector<const RecipePackage*> members;
    for (const RecipePackage& package : recipe->packages) {
      if (package.member) members.push_back(&package);
    }
    const RecipePackage& selected = *members[seed % members.size()];
    absl::StatusOr<Recipe> pruned = Prepare({ws, selected.name});
    if (!pruned.ok()) {
      ADD_FAILURE() << "preparing with --bin " << selected.name << ": "
                    << pruned.status();
      ++failures;
      continue;
    }
    const fs::path pruned_skeleton = dir / "skeleton-bin";
    if (absl::Status written = WriteSkeleton(*pruned, pruned_skeleton);
        !written.ok()) {
      ADD_FAILURE() << "writing the --bin skeleton: " << written;
      ++failures;
      continue;
    }
    const auto pruned_got = testing::NormalizedMetadata(
        *cargo, SkeletonWorkspaceRoot(*pruned, pruned_skeleton),
        pruned_skeleton, root_);
    // Pruning may shrink the skeleton root (outside packages dropped): name
    // paths from the full one's.
    fs::path pruned_base = ws;
    for (const auto& part : fs::path(pruned->workspace_root)) {
      if (part != ".") pruned_base = pruned_base.parent_path();
    }
    const std::string shift = pruned_base.lexically_relative(base).string();
    auto same_package = [&](const nlohmann::json& metadata,
                            const std::string& prefix) {
      for (const auto& package : metadata["packages"]) {
        if (package["name"] != selected.name) continue;
        std::string text = package.dump(1);
        if (prefix == "." || prefix.empty()) return text;
        const std::string from = "<base>";
        const std::string to = "<base>/" + prefix;
        for (size_t at = text.find(from); at != std::string::npos;
             at = text.find(from, at + to.size())) {
          text.replace(at, from.size(), to);
        }
        return text;
      }
      return std::string("(missing)");
    };
    if (!pruned_got.is_object() ||
        same_package(pruned_got, shift) != same_package(want, ".")) {
      EXPECT_EQ(same_package(pruned_got, shift), same_package(want, "."))
          << "--bin " << selected.name;
      ++failures;
      continue;
    }
    ++checked;
    if (keep == nullptr) fs::remove_all(dir);
  }
  EXPECT_EQ(checked, count);
  RecordProperty("workspaces", count);
}

}  // namespace
}  // namespace cook::chef
