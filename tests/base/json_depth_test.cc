#include "base/json_depth.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace cook {
namespace {

using ::cook::testing::IsOk;
using ::cook::testing::StatusIs;
using ::testing::HasSubstr;

std::string Nested(int depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

TEST(JsonDepthTest, AllowsUpToTheLimit) {
  EXPECT_THAT(CheckJsonDepth(Nested(128)), IsOk());
  EXPECT_THAT(CheckJsonDepth(R"({"a": [{"b": {}}]})", 4), IsOk());
  EXPECT_THAT(CheckJsonDepth(""), IsOk());
}

TEST(JsonDepthTest, RefusesDeeper) {
  EXPECT_THAT(CheckJsonDepth(Nested(129)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("nested deeper than 128 levels")));
  EXPECT_THAT(CheckJsonDepth(R"({"a": [{"b": {}}]})", 3),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Unclosed brackets count as they open: a cut document is still refused.
  EXPECT_THAT(CheckJsonDepth(std::string(1 << 20, '{')),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(JsonDepthTest, BracketsInStringsDoNotCount) {
  EXPECT_THAT(CheckJsonDepth(R"(["[[[", "\"[[[", "\\", {"{{": "}}"}])", 2),
              IsOk());
  EXPECT_THAT(CheckJsonDepth(R"(["\\"[[[])", 2),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace cook
