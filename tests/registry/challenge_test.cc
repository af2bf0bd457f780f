#include "registry/challenge.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cook::registry {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

// --- ParseChallenges ---

TEST(ParseChallengesTest, Bearer) {
  std::vector<Challenge> c = ParseChallenges(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_THAT(c[0].params,
              ElementsAre(Pair("realm", "https://auth.docker.io/token"),
                          Pair("scope", "repository:library/ubuntu:pull"),
                          Pair("service", "registry.docker.io")));
}

TEST(ParseChallengesTest, BasicAndCaseAndTokens) {
  std::vector<Challenge> c =
      ParseChallenges(R"(BASIC Realm = x , charset="UTF-8")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_THAT(c[0].params,
              ElementsAre(Pair("charset", "UTF-8"), Pair("realm", "x")));
}

TEST(ParseChallengesTest, SeveralChallengesInOneHeader) {
  std::vector<Challenge> c = ParseChallenges(
      R"(Basic realm="a, b", Bearer realm="https://t/token",service=reg, Negotiate)");
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_THAT(c[0].params, ElementsAre(Pair("realm", "a, b")));
  EXPECT_EQ(c[1].scheme, "bearer");
  EXPECT_THAT(c[1].params, ElementsAre(Pair("realm", "https://t/token"),
                                       Pair("service", "reg")));
  EXPECT_EQ(c[2].scheme, "negotiate");
  EXPECT_THAT(c[2].params, IsEmpty());
}

TEST(ParseChallengesTest, QuotedStringEscapes) {
  std::vector<Challenge> c =
      ParseChallenges(R"(Basic realm="say \"hi\" \\ there", x="")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_THAT(c[0].params,
              ElementsAre(Pair("realm", R"(say "hi" \ there)"), Pair("x", "")));
}

TEST(ParseChallengesTest, Token68IsSkipped) {
  std::vector<Challenge> c =
      ParseChallenges(R"(Negotiate YWJj/+d==, Basic realm="r")");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "negotiate");
  EXPECT_THAT(c[0].params, IsEmpty());
  EXPECT_EQ(c[1].scheme, "basic");
  EXPECT_THAT(c[1].params, ElementsAre(Pair("realm", "r")));
}

TEST(ParseChallengesTest, FirstRepeatedParamWins) {
  std::vector<Challenge> c = ParseChallenges(R"(Bearer realm="a",realm="b")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_THAT(c[0].params, ElementsAre(Pair("realm", "a")));
}

TEST(ParseChallengesTest, GarbageDoesNotCrash) {
  EXPECT_THAT(ParseChallenges(""), IsEmpty());
  EXPECT_THAT(ParseChallenges(" , ,"), IsEmpty());
  EXPECT_THAT(ParseChallenges("=\"x"), IsEmpty());
  std::vector<Challenge> c = ParseChallenges(R"(Bearer realm="unterminated)");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_THAT(c[0].params, ElementsAre(Pair("realm", "unterminated")));
  c = ParseChallenges(R"(Bearer realm="x" junk, Basic realm=y)");
  ASSERT_GE(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c.back().scheme, "basic");
}

}  // namespace
}  // namespace cook::registry
