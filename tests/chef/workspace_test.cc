#include "chef/workspace.h"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

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

class WorkspaceTest : public cook::testing::TempDirTest {
 protected:
  void Write(const std::map<std::string, std::string>& files) {
    for (const auto& [path, contents] : files)
      WriteTestFile(root_ / path, contents);
  }

  static std::string Package(const std::string& name,
                             const std::string& extra = "") {
    return "[package]\nname = \"" + name + "\"\nversion = \"1.0.0\"\n" + extra;
  }

  // "name" for members, "(name)" for other local packages, "name!" if patched.
  std::vector<std::string> Describe(const Workspace& ws) {
    std::vector<std::string> out;
    for (const LocalPackage& p : ws.packages) {
      std::string s = p.member ? p.name : "(" + p.name + ")";
      if (p.patched) s += "!";
      out.push_back(s);
    }
    return out;
  }
};

TEST_F(WorkspaceTest, VirtualRootWithGlobsAndExclude) {
  Write({{"Cargo.toml",
          "[workspace]\nmembers = [\"crates/*\", \"tools/cli\"]\nexclude = "
          "[\"crates/old\"]\n"},
         {"crates/a/Cargo.toml",
          Package("a", "[dependencies]\nold = { path = \"../old\" }\n")},
         {"crates/b/Cargo.toml", Package("b")},
         {"crates/old/Cargo.toml", Package("old")},
         {"tools/cli/Cargo.toml",
          Package("cli",
                  "[dev-dependencies]\nb = { path = \"../../crates/b\" }\n")},
         {"unlisted/Cargo.toml", Package("unlisted")}});
  absl::StatusOr<Workspace> ws = LoadWorkspace(root_ / "Cargo.toml");
  ASSERT_THAT(ws, IsOk());
  EXPECT_EQ(ws->root_manifest_path, root_ / "Cargo.toml");
  EXPECT_THAT(Describe(*ws), ElementsAre("a", "b", "(old)", "cli"));
}

// Issue 10 defect 10: an excluded directory that only a glob in `members`
// names is no package of the workspace at all.
TEST_F(WorkspaceTest, ExcludeRemovesGlobMembers) {
  Write({{"Cargo.toml",
          "[workspace]\nmembers = [\"crates/*\"]\nexclude = "
          "[\"crates/skip\", \"crates/nested/deeper\"]\n"},
         {"crates/a/Cargo.toml", Package("a")},
         {"crates/skip/Cargo.toml", Package("skip")},
         {"crates/nested/Cargo.toml", Package("nested")}});
  absl::StatusOr<Workspace> ws = LoadWorkspace(root_ / "Cargo.toml");
  ASSERT_THAT(ws, IsOk());
  EXPECT_THAT(Describe(*ws), ElementsAre("a", "nested"));
  EXPECT_EQ(ws->manifests.count(root_ / "crates" / "skip" / "Cargo.toml"), 0);
}

// A glob whose every match is excluded adds no member; the skeleton lacks
// those directories, where cargo would take the glob literally and fail, so
// the root manifest drops it.
TEST_F(WorkspaceTest, GlobMatchingOnlyExcludedDirectoriesIsDropped) {
  Write({{"Cargo.toml",
          "[workspace]\nmembers = [\"crates/a\", \"crates/s*\"]\n"
          "exclude = [\"crates/skip\"]\n"},
         {"crates/a/Cargo.toml", Package("a")},
         {"crates/skip/Cargo.toml", Package("skip")}});
  absl::StatusOr<Workspace> ws = LoadWorkspace(root_ / "Cargo.toml");
  ASSERT_THAT(ws, IsOk());
  EXPECT_THAT(Describe(*ws), ElementsAre("a"));
  EXPECT_THAT(ws->root().workspace()->FindStringArray("members"),
              ::testing::Optional(ElementsAre("crates/a")));
}

// As cargo: a glob that matches only files adds nothing (only a pattern that
// matches nothing at all is taken literally).
TEST_F(WorkspaceTest, GlobMatchingOnlyFilesAddsNothing) {
  Write({{"Cargo.toml", "[workspace]\nmembers = [\"crates/*\", \"docs/*\"]\n"},
         {"crates/a/Cargo.toml", Package("a")},
         {"docs/README.md", "docs\n"}});
  absl::StatusOr<Workspace> ws = LoadWorkspace(root_ / "Cargo.toml");
  ASSERT_THAT(ws, IsOk());
  EXPECT_THAT(Describe(*ws), ElementsAre("a"));
  EXPECT_THAT(ws->root().workspace()->FindStringArray("members"),
              ::testing::Optional(ElementsAre("crates/*", "docs/*")));
}

// cargo's `is_excluded` takes entries literally: a literal `members` entry
// beats `exclude`, a glob does not, and ".." is never resolved.
TEST_F(WorkspaceTest, ExcludeEntriesAreLiteralPathPrefixes) {
  Write({{"Cargo.toml",
          "[workspace]\nmembers = [\"crates/*\", \"crates/kept\"]\n"
          "exclude = [\"crates/kept\", \"./crates//gone/\", "
          "\"crates/x/../dotdot\"]\n"},
         {"crates/kept/Cargo.toml", Package("kept")},
         {"crates/gone/Cargo.toml", Package("gone")},
         {"crates/dotdot/Cargo.toml", Package("dotdot")}});
  absl::StatusOr<Workspace> ws = LoadWorkspace(root_ / "Cargo.toml");
  ASSERT_THAT(ws, IsOk());
  EXPECT_THAT(Describe(*ws), ElementsAre("dotdot", "kept"));
}

// A path dependency outside the root whose `package.workspace` names this
// root is a member; without it, a plain local package.
TEST_F(WorkspaceTest, OutsidePathDependencyPointingBackIsAMember) {
  Write({{"ws/Cargo.toml",
          Package("root",
                  "[dependencies]\nback = { path = \"../back\" }\n"
                  "away = { path = \"../away\" }\n[workspace]\n")},
         {"back/Cargo.toml", Package("back", "workspace = \"../ws\"\n")},
         {"away/Cargo.toml", Package("away")}});
  absl::StatusOr<Workspace> ws = LoadWorkspace(root_ / "ws" / "Cargo.toml");
  ASSERT_THAT(ws, IsOk());
  EXPECT_THAT(Describe(*ws), UnorderedElementsAre("(away)", "back", "root"));
}

// cargo's walk up also stops at an ancestor package whose
// `package.workspace` names a root.
TEST_F(WorkspaceTest, AncestorPackageWorkspaceKeyNamesTheRoot) {
  Write({{"ws/Cargo.toml",
          "[workspace]\nmembers = [\"../pkg\", \"../pkg/inner\"]\n"},
         {"pkg/Cargo.toml", Package("pkg", "workspace = \"../ws\"\n")},
         {"pkg/inner/Cargo.toml", Package("inner")}});
  EXPECT_THAT(FindWorkspaceRoot(root_ / "pkg" / "inner" / "Cargo.toml"),
              ::cook::testing::IsOkAndHolds(root_ / "ws" / "Cargo.toml"));
}

TEST_F(WorkspaceTest, FoundFromAMemberByWalkingUp) {
  Write({{"Cargo.toml", "[workspace]\nmembers = [\"app\"]\n"},
         {"app/Cargo.toml", Package("app")}});
  absl::StatusOr<Workspace> ws = LoadWorkspace(root_ / "app" / "Cargo.toml");
  ASSERT_THAT(ws, IsOk());
  EXPECT_EQ(ws->root_manifest_path, root_ / "Cargo.toml");
  EXPECT_THAT(FindWorkspaceRoot(root_ / "app" / "Cargo.toml"),
              ::cook::testing::IsOkAndHolds(root_ / "Cargo.toml"));
}

TEST_F(WorkspaceTest, NonVirtualRootMakesPathDependenciesInsideItMembers) {
  Write(
      {{"Cargo.toml", Package("root",
                              "[dependencies]\ninner = { path = \"inner\" }\n"
                              "far = { path = \"../far\" }\n[workspace]\n")},
       {"inner/Cargo.toml",
        Package("inner", "[build-dependencies]\ndeep = { path = \"deep\" }\n")},
       {"inner/deep/Cargo.toml", Package("deep")},
       {"../far/Cargo.toml",
        Package("far",
                "[dependencies]\nfarther = { path = \"../farther\" }\n"
                "[dev-dependencies]\nnever = { path = \"../never\" }\n")},
       {"../farther/Cargo.toml", Package("farther")}});
  absl::StatusOr<Workspace> ws = LoadWorkspace(root_ / "Cargo.toml");
  ASSERT_THAT(ws, IsOk());
  // Outside the root: not members; their dev-dependencies are never read.
  EXPECT_THAT(Describe(*ws), UnorderedElementsAre("root", "inner", "deep",
                                                  "(far)", "(farther)"));
}

TEST_F(WorkspaceTest, PackageWithoutWorkspaceIsTheOnlyMember) {
  Write({{"Cargo.toml",
          Package("solo", "[dependencies]\nsub = { path = \"sub\" }\n")},
         {"sub/Cargo.toml", Package("sub")}});
  absl::StatusOr<Workspace> ws = LoadWorkspace(root_ / "Cargo.toml");
  ASSERT_THAT(ws, IsOk());
  EXPECT_THAT(Describe(*ws), ElementsAre("solo", "(sub)"));
}

TEST_F(WorkspaceTest, PackageWorkspaceKeyNamesTheRoot) {
  Write({{"ws/Cargo.toml", "[workspace]\nmembers = [\"../elsewhere\"]\n"},
         {"elsewhere/Cargo.toml", Package("e", "workspace = \"../ws\"\n")}});
  absl::StatusOr<Workspace> ws =
      LoadWorkspace(root_ / "elsewhere" / "Cargo.toml");
  ASSERT_THAT(ws, IsOk());
  EXPECT_EQ(ws->root_manifest_path, root_ / "ws" / "Cargo.toml");
  EXPECT_THAT(Describe(*ws), ElementsAre("e"));
}

TEST_F(WorkspaceTest, NestedWorkspaceStopsTheWalk) {
  Write({{"Cargo.toml", "[workspace]\nmembers = [\"app\"]\n"},
         {"app/Cargo.toml", Package("app")},
         {"app/fuzz/Cargo.toml", Package("fuzz", "[workspace]\n")}});
  absl::StatusOr<Workspace> ws =
      LoadWorkspace(root_ / "app" / "fuzz" / "Cargo.toml");
  ASSERT_THAT(ws, IsOk());
  EXPECT_THAT(Describe(*ws), ElementsAre("fuzz"));
}

TEST_F(WorkspaceTest, ExcludedPackageHasItsOwnWorkspace) {
  Write({{"Cargo.toml",
          "[workspace]\nmembers = [\"app\"]\nexclude = [\"tools\"]\n"},
         {"app/Cargo.toml", Package("app")},
         {"tools/x/Cargo.toml", Package("x")}});
  absl::StatusOr<Workspace> ws =
      LoadWorkspace(root_ / "tools" / "x" / "Cargo.toml");
  ASSERT_THAT(ws, IsOk());
  EXPECT_EQ(ws->root_manifest_path, root_ / "tools" / "x" / "Cargo.toml");
}

TEST_F(WorkspaceTest, PatchedCratesAreMarked) {
  Write({{"Cargo.toml",
          "[workspace]\nmembers = [\"app\"]\n[patch.crates-io]\nlog = { path = "
          "\"forks/log\" }\n"
          "[patch.'https://example.com/git']\nother = { path = \"forks/other\" "
          "}\n"},
         {"app/Cargo.toml", Package("app", "[dependencies]\nlog = \"0.4\"\n")},
         {"forks/log/Cargo.toml", Package("log")},
         {"forks/other/Cargo.toml", Package("other")}});
  absl::StatusOr<Workspace> ws =
      LoadWorkspace(root_ / "Cargo.toml", {{root_ / "cfg-patch"}});
  EXPECT_THAT(ws,
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("cfg-patch")));
  ws = LoadWorkspace(root_ / "Cargo.toml");
  ASSERT_THAT(ws, IsOk());
  EXPECT_THAT(Describe(*ws), ElementsAre("app", "(log)!", "(other)!"));
}

TEST_F(WorkspaceTest, VersionsAndEditionsFollowInheritance) {
  Write({{"Cargo.toml",
          "[workspace]\nmembers = [\"a\", \"b\"]\n[workspace.package]\nversion "
          "= \"2.0.0\"\n"
          "edition = \"2021\"\n"},
         {"a/Cargo.toml",
          "[package]\nname = \"a\"\nversion.workspace = "
          "true\nedition.workspace = true\n"
          "[dependencies]\nout = { path = \"../../out/crate\" }\n"},
         {"b/Cargo.toml", "[package]\nname = \"b\"\n"},
         {"../out/Cargo.toml",
          "[workspace]\n[workspace.package]\nversion = \"9.9.9\"\n"},
         {"../out/crate/Cargo.toml",
          "[package]\nname = \"out\"\nversion.workspace = true\n"}});
  absl::StatusOr<Workspace> ws = LoadWorkspace(root_ / "Cargo.toml");
  ASSERT_THAT(ws, IsOk());
  std::map<std::string, std::string> versions, editions;
  for (const LocalPackage& p : ws->packages) {
    versions[p.name] = p.version;
    editions[p.name] = p.edition;
  }
  EXPECT_EQ(versions, (std::map<std::string, std::string>{
                          {"a", "2.0.0"}, {"b", "0.0.0"}, {"out", "9.9.9"}}));
  EXPECT_EQ(editions["a"], "2021");
  EXPECT_EQ(editions["b"], "2015");
  EXPECT_THAT(
      ws->other_roots,
      ElementsAre((root_ / ".." / "out" / "Cargo.toml").lexically_normal()));
}

TEST_F(WorkspaceTest, Errors) {
  Write({{"Cargo.toml", "[workspace]\nmembers = [\"app\"]\n"},
         {"app/Cargo.toml", Package("app")},
         {"v/Cargo.toml", "[workspace]\nmembers = [\"virtual\"]\n"},
         {"v/virtual/Cargo.toml", "[workspace]\n"},
         {"stray/Cargo.toml", Package("stray")},
         {"bad/Cargo.toml", "[workspace]\nmembers = \"app\"\n"}});
  EXPECT_THAT(LoadWorkspace(root_ / "v" / "Cargo.toml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("virtual manifest")));
  EXPECT_THAT(LoadWorkspace(root_ / "stray" / "Cargo.toml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("does not list it")));
  EXPECT_THAT(LoadWorkspace(root_ / "bad" / "Cargo.toml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("array of strings")));
  EXPECT_THAT(LoadWorkspace(root_ / "none" / "Cargo.toml"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("none")));
}

}  // namespace
}  // namespace cook::chef
