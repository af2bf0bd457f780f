#include <string>

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

TomlTable Parse(const std::string& text) {
  absl::StatusOr<TomlTable> doc = ParseToml(text, "test.toml");
  EXPECT_THAT(doc, IsOk());
  return doc.ok() ? *doc : TomlTable();
}

// Formatting then parsing again gives the same tree.
void ExpectRoundTrip(const std::string& text) {
  const TomlTable doc = Parse(text);
  const std::string formatted = FormatToml(doc);
  absl::StatusOr<TomlTable> again = ParseToml(formatted, "formatted.toml");
  ASSERT_THAT(again, IsOk()) << formatted;
  EXPECT_TRUE(*again == doc) << formatted;
  EXPECT_EQ(FormatToml(*again), formatted);
}

TEST(TomlTest, EveryKeyOfARealManifestSurvives) {
  ExpectRoundTrip(R"(
cargo-features = ["profile-rustflags"]
[package]
name = "app"
version = "1.0.0"
description = """
multi
line "quoted" \\ text
"""
metadata.deb = { assets = [["a", "b", "644"]], section = "utils" }

[lib]
crate-type = ["rlib", "cdylib"]

[[bin]]
name = "one"
required-features = ["x"]

[[bin]]
name = "two"
[bin.metadata]
note = "belongs to two"

[target.'cfg(all(unix, target_pointer_width = "64"))'.dependencies]
libc = { version = "0.2", default-features = false }

[profile.release]
strip = "symbols"
split-debuginfo = "packed"
opt-level = 3
lto = true
debug = 1.5

[profile.custom]
inherits = "release"

[package.metadata.dates]
when = 1979-05-27T07:32:00Z
day = 1979-05-27
time = 07:32:00
weird = "tab\tand\u0001control and ünïcode"
"key with spaces" = -7
)");
}

TEST(TomlTest, EmptyTablesKeepTheirHeader) {
  const std::string formatted =
      FormatToml(Parse("[workspace]\n[package]\nname = \"a\"\n[lib]\n"));
  EXPECT_THAT(formatted, HasSubstr("[workspace]\n"));
  EXPECT_THAT(formatted, HasSubstr("[lib]\n"));
}

TEST(TomlTest, InlineTablesStayInlineAndSectionsStaySections) {
  const std::string formatted = FormatToml(Parse(
      "[dependencies]\nserde = { version = \"1\", features = [\"derive\"] }\n"
      "[dependencies.log]\nversion = \"0.4\"\n"));
  EXPECT_THAT(
      formatted,
      HasSubstr("serde = { features = [ \"derive\" ], version = \"1\" }"));
  EXPECT_THAT(formatted, HasSubstr("[dependencies.log]\nversion = \"0.4\"\n"));
}

TEST(TomlTest, FormattingIgnoresCommentsWhitespaceAndKeyOrder) {
  const std::string a =
      "# comment\n[package]\nname = \"a\"   # trailing\nversion = \"1\"\n";
  const std::string b = "[package]\n\nversion=\"1\"\nname=\"a\"\n";
  EXPECT_EQ(FormatToml(Parse(a)), FormatToml(Parse(b)));
}

TEST(TomlTest, QuotesKeysThatAreNotBare) {
  const std::string formatted = FormatToml(
      Parse("[target.'cfg(unix)'.dependencies]\nserde_json-1 = \"1\"\n"
            "\"a.b\" = 1\n\"\" = 2\n"));
  EXPECT_EQ(formatted,
            "[target.\"cfg(unix)\".dependencies]\n\"\" = 2\n\"a.b\" = 1\n"
            "serde_json-1 = \"1\"\n");
}

TEST(TomlTest, ScalarsRoundTrip) {
  ExpectRoundTrip(R"(
integers = [0, -1, 9223372036854775807, -9223372036854775807, 0xff, 0o17, 0b11]
floats = [0.1, -2.5, 1e300, 5e-324, 3.0, -0.0, inf, -inf]
not-a-number = nan
strings = ["", "it's", 'lit\eral', "\"q\" \\ \b\f\n\r\t\u0000\u007f", "🦀 é"]
multi = """
a
b"""
dates = [1979-05-27, 07:32:00, 07:32:00.999, 1979-05-27T07:32:00,
         1979-05-27T00:32:00.999999-07:00, 1979-05-27T07:32:00Z]
)");
  // Integers in decimal, strings basic and single-line, dates unquoted.
  EXPECT_EQ(FormatToml(Parse("a = 0xff\nb = 'x\\y'\nc = \"\"\"\n1\n2\"\"\"\n"
                             "d = 1979-05-27\n")),
            "a = 255\nb = \"x\\\\y\"\nc = \"1\\n2\"\nd = 1979-05-27\n");
}

TEST(TomlTest, ArraysOfTablesAndInlineTables) {
  ExpectRoundTrip(R"(
points = [{ x = 1 }, { y = [{ z = true }] }]
empty = []
empty-inline = {}
[[bin]]
[[bin]]
name = "two"
[[bin.nested]]
deep = { a = { b = 1 } }
[bin.meta]
)");
  // An array mixing standard and inline tables is written inline.
  TomlTable standard;
  standard.Set("a", TomlValue::Integer(1));
  TomlTable inline_table;
  inline_table.set_inline(true);
  inline_table.Set("b", TomlValue::Integer(2));
  TomlTable doc;
  doc.Set("mixed", TomlValue::Array({TomlValue::Table(standard),
                                     TomlValue::Table(inline_table)}));
  EXPECT_EQ(FormatToml(doc), "mixed = [ { a = 1 }, { b = 2 } ]\n");
}

TEST(TomlTest, WorkspaceInheritanceStaysOnItsKeysLine) {
  const std::string formatted = FormatToml(
      Parse("[package]\nname = \"a\"\nversion.workspace = true\n"
            "[dependencies.serde]\nworkspace = true\n[lints]\nworkspace = "
            "true\n"));
  EXPECT_EQ(formatted,
            "lints = { workspace = true }\n\n[dependencies]\nserde = { "
            "workspace = true }\n\n[package]\nname = \"a\"\nversion = { "
            "workspace = true }\n");
  EXPECT_EQ(FormatToml(Parse(formatted)), formatted);
}

TEST(TomlTest, EmptyDocument) { EXPECT_EQ(FormatToml(TomlTable()), ""); }

TEST(TomlTest, SyntaxErrorNamesPathLineAndColumn) {
  EXPECT_THAT(ParseToml("[package]\nname = \n", "/ws/Cargo.toml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("/ws/Cargo.toml:2:")));
  EXPECT_THAT(
      ParseToml("a = 1\na = 2\n", "Cargo.toml"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               ::testing::AllOf(StartsWith("Cargo.toml:2:"), HasSubstr("a"))));
}

TEST(TomlTest, TableEditing) {
  TomlTable doc = Parse(
      "[package]\nname = \"a\"\nversion = \"1.0.0\"\n[lints]\nworkspace = "
      "true\n");
  ASSERT_NE(doc.FindTable("package"), nullptr);
  EXPECT_EQ(doc.FindTable("package")->FindString("version"), "1.0.0");
  doc.FindTable("package")->Set("version", TomlValue::String("0.0.1"));
  EXPECT_TRUE(doc.Erase("lints"));
  EXPECT_FALSE(doc.Erase("lints"));
  EXPECT_EQ(FormatToml(doc), "[package]\nname = \"a\"\nversion = \"0.0.1\"\n");
  doc.GetOrAddTable("workspace");
  EXPECT_THAT(FormatToml(doc), HasSubstr("[workspace]\n"));
}

}  // namespace
}  // namespace cook::chef
