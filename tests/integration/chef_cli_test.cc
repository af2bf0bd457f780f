// `cook prepare` and `cook skeleton` as users run them: real binary, real
// files, and a decoy `cargo` on PATH that proves prepare never runs cargo.

#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace cook {
namespace {

namespace fs = std::filesystem;
using ::cook::testing::CookBinary;
using ::cook::testing::RunOptions;
using ::cook::testing::RunProgram;
using ::cook::testing::RunResult;
using ::cook::testing::WriteTestFile;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class ChefCliTest : public cook::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    ws_ = root_ / "ws";
    WriteTestFile(ws_ / "Cargo.toml",
                  "[workspace]\nmembers = [\"app\", \"lib\"]\n"
                  "[workspace.package]\nversion = \"1.2.3\"\n");
    WriteTestFile(ws_ / "app/Cargo.toml",
                  "[package]\nname = \"app\"\nversion.workspace = true\n"
                  "edition = \"2021\"\n[dependencies]\nlib = { path = \"../lib\", "
                  "version = \"1.2.3\" }\n");
    WriteTestFile(ws_ / "app/src/main.rs", "fn main() { lib::hello(); }\n");
    WriteTestFile(ws_ / "lib/Cargo.toml",
                  "[package]\nname = \"lib\"\nversion.workspace = true\nedition = \"2021\"\n");
    WriteTestFile(ws_ / "lib/src/lib.rs", "pub fn hello() {}\n");
    // A decoy cargo: if prepare ran it, the marker would appear.
    WriteTestFile(root_ / "bin/cargo", "#!/bin/sh\ntouch " + (root_ / "cargo-ran").string() + "\n");
    ::chmod((root_ / "bin/cargo").c_str(), 0755);
  }

  RunResult Cook(std::vector<std::string> args) {
    args.insert(args.begin(), CookBinary());
    RunOptions options;
    options.env["PATH"] = (root_ / "bin").string() + ":/usr/bin:/bin";
    return RunProgram(args, options);
  }

  // Every path in `dir` with its size and mtime.
  static std::map<std::string, std::string> Snapshot(const fs::path& dir) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      struct stat st;
      ::lstat(e.path().c_str(), &st);
      out[e.path().string()] = std::to_string(st.st_size) + "@" +
                               std::to_string(st.st_mtim.tv_sec) + "." +
                               std::to_string(st.st_mtim.tv_nsec);
    }
    return out;
  }

  fs::path ws_;
};

TEST_F(ChefCliTest, PrepareWritesTheRecipeRunsNoCargoAndTouchesNothing) {
  const auto before = Snapshot(ws_);
  RunResult r = Cook({"prepare", "--manifest-path", ws_.string(), "--recipe-path",
                      (root_ / "recipe.json").string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json doc = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_EQ(doc["recipe"], (root_ / "recipe.json").string());
  EXPECT_THAT(doc["digest"].get<std::string>(), StartsWith("sha256:"));
  EXPECT_TRUE(fs::exists(root_ / "recipe.json"));
  EXPECT_FALSE(fs::exists(root_ / "cargo-ran"));
  EXPECT_EQ(Snapshot(ws_), before);

  // A source edit and a version bump leave the digest as it was.
  WriteTestFile(ws_ / "lib/src/lib.rs", "pub fn hello() { println!(\"changed\"); }\n");
  WriteTestFile(ws_ / "Cargo.toml",
                "[workspace]\nmembers = [\"app\", \"lib\"]\n"
                "[workspace.package]\nversion = \"1.3.0\"\n");
  WriteTestFile(ws_ / "app/Cargo.toml",
                "[package]\nname = \"app\"\nversion.workspace = true\n"
                "edition = \"2021\"\n[dependencies]\nlib = { path = \"../lib\", "
                "version = \"1.3.0\" }\n");
  RunResult again = Cook({"prepare", "--manifest-path", ws_.string(), "--recipe-path",
                          (root_ / "recipe2.json").string(), "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(nlohmann::json::parse(again.out, nullptr, false)["digest"], doc["digest"]);
}

TEST_F(ChefCliTest, SkeletonWritesStubsAndRefusesANonEmptyDirectory) {
  ASSERT_EQ(Cook({"prepare", "--manifest-path", ws_.string(), "--recipe-path",
                  (root_ / "recipe.json").string()})
                .exit_code,
            0);
  RunResult r = Cook({"skeleton", "--recipe-path", (root_ / "recipe.json").string(),
                      "--out", (root_ / "skel").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(root_ / "skel/Cargo.toml"));
  EXPECT_TRUE(fs::exists(root_ / "skel/app/src/main.rs"));
  EXPECT_EQ(fs::file_size(root_ / "skel/lib/src/lib.rs"), 0u);

  WriteTestFile(root_ / "full/keep.txt", "mine");
  RunResult refused = Cook({"skeleton", "--recipe-path", (root_ / "recipe.json").string(),
                            "--out", (root_ / "full").string()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, AllOf(StartsWith("cook: error: "), HasSubstr("full")));
  EXPECT_EQ(std::count(refused.err.begin(), refused.err.end(), '\n'), 1) << refused.err;
  EXPECT_EQ(fs::file_size(root_ / "full/keep.txt"), 4u);
}

TEST_F(ChefCliTest, BadInputIsOneLineExitOneAndLeavesNothing) {
  WriteTestFile(ws_ / "lib/Cargo.toml", "[package\nname = \"lib\"\n");
  RunResult toml = Cook({"prepare", "--manifest-path", ws_.string(), "--recipe-path",
                         (root_ / "recipe.json").string()});
  EXPECT_EQ(toml.exit_code, 1);
  EXPECT_THAT(toml.err, AllOf(StartsWith("cook: error: "), HasSubstr("lib/Cargo.toml:1:")));
  EXPECT_EQ(std::count(toml.err.begin(), toml.err.end(), '\n'), 1) << toml.err;
  EXPECT_FALSE(fs::exists(root_ / "recipe.json"));

  RunResult missing = Cook({"prepare", "--manifest-path", (root_ / "nowhere").string(),
                            "--recipe-path", (root_ / "recipe.json").string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, StartsWith("cook: error: "));
  EXPECT_FALSE(fs::exists(root_ / "recipe.json"));

  WriteTestFile(root_ / "corrupt.json", "{\"format\": 99");
  RunResult corrupt = Cook({"skeleton", "--recipe-path", (root_ / "corrupt.json").string(),
                            "--out", (root_ / "skel").string()});
  EXPECT_EQ(corrupt.exit_code, 1);
  EXPECT_THAT(corrupt.err, AllOf(StartsWith("cook: error: "), HasSubstr("corrupt.json")));
  EXPECT_FALSE(fs::exists(root_ / "skel"));
}

// Paths are bytes: invalid UTF-8 in them used to abort --json output (an
// uncaught nlohmann exception, exit 134) after the files were written.
TEST_F(ChefCliTest, InvalidUtf8InPathsNeverAbortsJsonOutput) {
  const fs::path dir = root_ / "out\xff";
  fs::create_directories(dir);
  RunResult prepare = Cook({"prepare", "--manifest-path", ws_.string(), "--recipe-path",
                            (dir / "recipe.json").string(), "--json"});
  ASSERT_EQ(prepare.exit_code, 0) << prepare.err;
  nlohmann::json doc = nlohmann::json::parse(prepare.out, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << prepare.out;
  EXPECT_THAT(doc["recipe"].get<std::string>(), HasSubstr("out\xef\xbf\xbd/recipe.json"));

  RunResult skeleton = Cook({"skeleton", "--recipe-path", (dir / "recipe.json").string(),
                             "--out", (dir / "skel\n").string(), "--json"});
  ASSERT_EQ(skeleton.exit_code, 0) << skeleton.err;
  EXPECT_TRUE(nlohmann::json::parse(skeleton.out, nullptr, false).is_object())
      << skeleton.out;
  // A human reads the path escaped, on one line.
  RunResult human = Cook({"skeleton", "--recipe-path", (dir / "recipe.json").string(),
                          "--out", (dir / "skel2\n").string()});
  ASSERT_EQ(human.exit_code, 0) << human.err;
  EXPECT_THAT(human.out, HasSubstr("out\\xff/skel2\\n"));
  EXPECT_EQ(std::count(human.out.begin(), human.out.end(), '\n'), 1) << human.out;
}

}  // namespace
}  // namespace cook
