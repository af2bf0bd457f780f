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
      HasSubstr("serde = { features = [\"derive\"], version = \"1\" }"));
  EXPECT_THAT(formatted, HasSubstr("[dependencies.log]\nversion = \"0.4\"\n"));
}

TEST(TomlTest, FormattingIgnoresCommentsWhitespaceAndKeyOrder) {
  const std::string a =
      "# comment\n[package]\nname = \"a\"   # trailing\nversion = \"1\"\n";
  const std::string b = "[package]\n\nversion=\"1\"\nname=\"a\"\n";
  EXPECT_EQ(FormatToml(Parse(a)), FormatToml(Parse(b)));
}

TEST(TomlTest, QuotesKeysThatAreNotBare) {
  EXPECT_EQ(FormatTomlKey("serde_json-1"), "serde_json-1");
  EXPECT_EQ(FormatTomlKey("cfg(unix)"), "\"cfg(unix)\"");
  EXPECT_EQ(FormatTomlKey(""), "\"\"");
  EXPECT_EQ(FormatTomlKey("a.b"), "\"a.b\"");
}

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
