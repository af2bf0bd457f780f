// Recipes are cache keys: the same workspace must give the same recipe bytes
// from one cook to the next. The digests below were recorded with the cook
// before prepare was made parallel; a change to any byte of a recipe (file
// order, TOML or JSON formatting, masking, targets) fails here. If a recipe
// has to change on purpose, that is a new cache key for every user: bump
// kRecipeFormatVersion and record the digests again. tests/fixtures/probe is
// not here: its vendored directory source is named by absolute path in the
// recipe, so its digest depends on where the tree is checked out.

#include <filesystem>
#include <string>
#include <system_error>

#include "chef/prepare.h"
#include "chef/recipe.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace cook::chef {
namespace {

namespace fs = std::filesystem;
using ::cook::testing::IsOk;

struct Recorded {
  const char* where;  // "workspaces/NAME" (an archive) or a source folder
  const char* bin;
  const char* digest;
};

constexpr Recorded kRecorded[] = {
    {"examples/bakery", "",
     "sha256:55bffd46e5ba4c723733c698138157f120b0022052dd949b3dbc89bad02417a2"},
    {"examples/bakery", "bakery",
     "sha256:371cb26a87b0bfeda8446593aeee195c731fed3ab317b0a0b1e0def59496659a"},
    {"tests/fixtures/larder", "",
     "sha256:6a5ce5424fe6d42673d1c53b08fe6b1ec352ebe4bd05a913419b0d318f91494a"},
    {"tests/fixtures/tally", "",
     "sha256:81b0cc83d518ff4d907b0f1ce8e02efad960514e1119c9af442e760b93c6b3dc"},
    {"workspaces/bevy", "",
     "sha256:79b85a52165fdf3feffc1a26e9a93afc3bb71b0597d6edfe8d4f45d52a89ff35"},
    {"workspaces/cargo", "",
     "sha256:5bfd871d5ec401b2b69351b16610ed4a35522b3050cc17bed715705451597826"},
    {"workspaces/deno", "",
     "sha256:a0d24cf105d95003a5727c8fad50716dccdc9b6c08ccce833cd2bb3a8d72f1c0"},
    {"workspaces/diem", "",
     "sha256:1d8d924f975da18f9569800da0a0d04f276635e11939cdc9012db39804491559"},
    {"workspaces/gear", "",
     "sha256:b83d0b81420d69964b9dcaff86b1c6ce188c8de7a97d0d6bf09676c3402dd427"},
    {"workspaces/gear", "gear-cli",
     "sha256:35c3f2becef263d28f667374fa452f0314279f521868bb1acadaa01e862abf5a"},
    {"workspaces/reth", "",
     "sha256:9279ffb85f19c9a0e4d0328fe01fc1904d2cd0f57c3608c01e206af297691bba"},
    {"workspaces/reth", "reth",
     "sha256:37f90992c7d381ec424f8dcadb1e6ca93db512ea0039c1a88eb64f5a9b5dddbf"},
    {"workspaces/wasmtime", "",
     "sha256:6825f6168205a505161e3f4177251378bd2749f3eef97d8d6a820125414434cb"},
};

// The source tree, found through //:README.md (a data dependency).
fs::path SourceRoot() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  std::error_code ec;
  const fs::path readme = fs::canonical(
      fs::path(srcdir ? srcdir : ".") / (workspace ? workspace : "cook") /
          "README.md",
      ec);
  return ec ? fs::path() : readme.parent_path();
}

class RecipeDigestTest : public cook::testing::TempDirTest {};

TEST_F(RecipeDigestTest, RecipesKeepTheirRecordedBytes) {
  const fs::path source = SourceRoot();
  ASSERT_FALSE(source.empty()) << "//:README.md not in the runfiles";
  for (const Recorded& recorded : kRecorded) {
    const std::string where = recorded.where;
    SCOPED_TRACE(where + " --bin '" + recorded.bin + "'");
    fs::path dir = source / where;
    if (where.rfind("workspaces/", 0) == 0) {
      const std::string name = where.substr(where.find('/') + 1);
      dir = root_ / name;
      if (!fs::exists(dir)) {
        const testing::RunResult unpacked = testing::RunProgram(
            {"tar", "--zstd", "-xf",
             (source / "benchmarks" / "workspaces" / (name + ".tar.zst"))
                 .string(),
             "-C", root_.string()});
        ASSERT_EQ(unpacked.exit_code, 0) << unpacked.err;
      }
    }
    absl::StatusOr<Recipe> recipe = Prepare({dir, recorded.bin});
    ASSERT_THAT(recipe, IsOk());
    EXPECT_EQ(RecipeDigest(SerializeRecipe(*recipe)), recorded.digest);
  }
}

}  // namespace
}  // namespace cook::chef
