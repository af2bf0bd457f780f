#include "chef/manifest.h"

#include <filesystem>
#include <string>

#include "gtest/gtest.h"

namespace cook::chef {
namespace {

namespace fs = std::filesystem;

// JoinNormal's definition, which its fast path must match.
fs::path Reference(const fs::path& base, const std::string& relative) {
  fs::path joined = (base / fs::path(relative)).lexically_normal();
  if (joined.has_relative_path() && joined.filename().empty()) {
    joined = joined.parent_path();
  }
  return joined;
}

TEST(JoinNormalTest, MatchesLexicallyNormalOfTheJoin) {
  const char* bases[] = {"/",     "/ws",     "/ws/crates/a", "/ws/./a",
                         "/ws/a/", "/ws//a", "/ws/a/..",     "ws/a",
                         "",      "/ws/..."};
  const char* relatives[] = {
      "",       ".",         "..",         "../..",       "../../../../..",
      "b",      "b/",        "./b",        "b/./c",       "b//c",
      "../b",   "../../b/c", "b/../c",     "b/c/../../d", "/abs/x",
      "...",    "..b",       "b..",        ".b/..",       "../b/./../c/"};
  for (const char* base : bases) {
    for (const char* relative : relatives) {
      SCOPED_TRACE(std::string(base) + " + " + relative);
      EXPECT_EQ(JoinNormal(base, relative).native(),
                Reference(base, relative).native());
    }
  }
}

}  // namespace
}  // namespace cook::chef
