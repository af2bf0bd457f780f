// Deeply nested TOML (issue 10 defect 7): refused with a clear error at
// cargo's limits, never a stack overflow, in the scan and in everything
// after it (TOML++, the conversion, the formatter, comparison, destruction).

#include "chef/toml_nesting.h"

#include <pthread.h>

#include <functional>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "chef/toml_parser.h"
#include "chef/toml_value.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace cook::chef {
namespace {

using ::cook::testing::IsOk;
using ::cook::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string Repeat(std::string_view s, int n) {
  std::string out;
  out.reserve(s.size() * n);
  for (int i = 0; i < n; ++i) out.append(s);
  return out;
}

std::string DottedKey(int parts) {
  return absl::StrJoin(std::vector<std::string>(parts, "a"), ".");
}

std::string Header(int parts) { return "[" + DottedKey(parts) + "]\nb = 1\n"; }
std::string Dotted(int parts) { return DottedKey(parts) + " = 1\n"; }
std::string Arrays(int depth) {
  return "x = " + Repeat("[", depth) + Repeat("]", depth) + "\n";
}
std::string InlineTables(int depth) {
  return "x = " + Repeat("{ x = ", depth) + "true" + Repeat(" }", depth) + "\n";
}

// Runs `body` on a thread with a small stack: what passes here leaves the
// main thread's 8 MiB far from overflowing.
void OnSmallStack(const std::function<void()>& body) {
  pthread_attr_t attr;
  ASSERT_EQ(pthread_attr_init(&attr), 0);
  ASSERT_EQ(pthread_attr_setstacksize(&attr, 1 << 20), 0);
  pthread_t thread;
  auto run = [](void* arg) -> void* {
    (*static_cast<const std::function<void()>*>(arg))();
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&thread, &attr, run,
                           const_cast<std::function<void()>*>(&body)),
            0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
}

// The defect as reported: `[a.a.a....]` 10,000 keys deep.
TEST(TomlNestingTest, HeaderTenThousandKeysDeepIsAnError) {
  EXPECT_THAT(
      ParseToml("[package]\nname = \"x\"\n\n" + Header(10000), "Cargo.toml"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(StartsWith("Cargo.toml:4:"),
                     HasSubstr("a key of more than 80 parts"))));
}

// Every other way of nesting deeply, far past the limits.
TEST(TomlNestingTest, EveryKindOfDeepNestingIsAnError) {
  EXPECT_THAT(ParseToml(Dotted(10000), "t.toml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("a key of more than 80 parts")));
  EXPECT_THAT(ParseToml("[[" + DottedKey(10000) + "]]\n", "t.toml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("a key of more than 80 parts")));
  EXPECT_THAT(ParseToml(Arrays(10000), "t.toml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(StartsWith("t.toml:1:85:"),
                             HasSubstr("nested more than 80 deep"))));
  EXPECT_THAT(ParseToml(InlineTables(10000), "t.toml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("nested more than 80 deep")));
  EXPECT_THAT(ParseToml("x = [" + Repeat("{ y = [", 5000), "t.toml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("nested more than 80 deep")));
  // Unterminated, a megabyte of it: caught while scanning, not after.
  EXPECT_THAT(ParseToml("[" + DottedKey(500000), "t.toml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("a key of more than 80 parts")));
  EXPECT_THAT(ParseToml("x = " + Repeat("[", 1000000), "t.toml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("nested more than 80 deep")));
}

// Exactly cargo's limits (cargo 1.95: 80 accepted, 81 refused), for each
// construct alone.
TEST(TomlNestingTest, CargosLimitsExactly) {
  for (const auto& make : std::vector<std::function<std::string(int)>>{
           Header, Dotted, Arrays, InlineTables}) {
    SCOPED_TRACE(make(2));
    EXPECT_THAT(ParseToml(make(80), "t.toml"), IsOk());
    EXPECT_THAT(ParseToml(make(81), "t.toml"),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

// Strings, comments and quoted keys hold brackets and dots that nest
// nothing.
TEST(TomlNestingTest, BracketsAndDotsInStringsAndCommentsDoNotCount) {
  const std::string many = Repeat("[{", 500);
  const std::string dots = Repeat(".", 500);
  const std::string text = absl::StrCat(
      "# ", many, "\n",                                  //
      "a = \"", many, "\\\"", many, "\"\n",              //
      "b = '", many, "'\n",                              //
      "c = \"\"\"\n", many, "\n\"", many, "\"\"\"\"\n",  //
      "d = '''", many, "\n'''\n",                        //
      "\"", dots, "\" = [\"", many, "\", '", many, "']  # ", many, "\n",
      "e = 1979-05-27 07:32:00\n",                       //
      "f = [1979-05-27 07:32:00, { x = 'y' }, [], ]\n",  //
      "[\"", dots, ".\".'", dots, "']\n",                //
      "g = { \"", dots, "\" = 1, h.i = [] }\n");
  absl::StatusOr<TomlTable> doc = ParseToml(text, "t.toml");
  ASSERT_THAT(doc, IsOk());
  EXPECT_EQ(doc->FindString("a"), many + "\"" + many);
}

// A tree at chef's limit (a header 40 keys deep holding a dotted key of 20
// parts holding arrays and inline tables 20 deep): accepted, written back
// within cargo's limits, and everything chef does with it stays far from
// the end of even a small stack.
TEST(TomlNestingTest, DeepestAcceptedDocumentIsSafeOnASmallStack) {
  const std::string text = "[" + DottedKey(40) + "]\n" + DottedKey(20) + " = " +
                           Repeat("[{ a = ", 10) + "1" + Repeat(" }]", 10) +
                           "\n";
  OnSmallStack([&] {
    absl::StatusOr<TomlTable> doc = ParseToml(text, "t.toml");
    ASSERT_THAT(doc, IsOk());
    const std::string formatted = FormatToml(*doc);
    absl::StatusOr<TomlTable> again = ParseToml(formatted, "formatted.toml");
    ASSERT_THAT(again, IsOk());
    EXPECT_TRUE(*again == *doc);
  });
}

// Keys and values each within cargo's limits can still build a tree deeper
// than 80, which chef would write back as a header cargo refuses.
TEST(TomlNestingTest, TreeDeeperThanEightyIsAnError) {
  const std::string text = "[" + DottedKey(40) + "]\n" + DottedKey(20) + " = " +
                           Repeat("[{ a = ", 11) + "1" + Repeat(" }]", 11) +
                           "\n";
  EXPECT_THAT(ParseToml(text, "t.toml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(StartsWith("t.toml:2:"),
                             HasSubstr("nested more than 80 levels deep"))));
}

// TOML++ 3.3 asserted (aborted) on these instead of reporting them.
TEST(TomlNestingTest, InputsThatAbortedTomlPlusPlusAreErrors) {
  for (const char* text :
       {"[.", "[ .a]", "[[\r]]", "[\xC3\xA9]", "a=[}", "a = [1,}", "-=[}"}) {
    SCOPED_TRACE(text);
    EXPECT_THAT(ParseToml(text, "t.toml"),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

// Nothing crashes, aborts or hangs on arbitrary text made of the pieces
// that steer the scan and the parser.
TEST(TomlNestingTest, ArbitraryTextNeverCrashes) {
  std::mt19937 rng(1234);
  const std::vector<std::string> pieces = {"[",
                                           "]",
                                           "{",
                                           "}",
                                           "\"",
                                           "'",
                                           "=",
                                           ".",
                                           ",",
                                           "#",
                                           "\\",
                                           " ",
                                           "\n",
                                           "\t",
                                           "\r",
                                           "a",
                                           "1",
                                           "-",
                                           "+",
                                           ":",
                                           "T",
                                           "\xC3\xA9",
                                           "\xE2\x80\xA8",
                                           "\x01",
                                           "\x7F",
                                           "\"\"\"",
                                           "'''",
                                           "[[",
                                           "]]",
                                           "true",
                                           "1979-05-27"};
  for (int round = 0; round < 30000; ++round) {
    std::string text;
    for (int n = rng() % 60; n > 0; --n) text += pieces[rng() % pieces.size()];
    (void)ParseToml(text, "t.toml");
  }
}

}  // namespace
}  // namespace cook::chef
