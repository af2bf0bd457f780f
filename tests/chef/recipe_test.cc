#include "chef/recipe.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/status_matchers.h"

namespace cook::chef {
namespace {

using ::cook::testing::IsOk;
using ::cook::testing::IsOkAndHolds;
using ::cook::testing::StatusIs;
using ::testing::HasSubstr;
using Json = nlohmann::json;

Recipe SampleRecipe() {
  Recipe recipe;
  recipe.workspace_root = "ws";
  recipe.files = {
      {"ws/Cargo.toml", "[workspace]\nmembers = [\"app\"]\n"},
      {"ws/app/Cargo.toml", "[package]\nname = \"app\"\nversion = \"0.0.1\"\n"},
      {"ws/rust-toolchain", "stable\n"},
      {"outside/Cargo.toml", "[package]\nname = \"outside\"\n"}};
  recipe.toolchain_file = "ws/rust-toolchain";
  recipe.directory_sources = {"/usr/share/cargo/registry"};
  RecipePackage app{"app", "0.0.1", "ws/app/Cargo.toml", true, true, {}};
  app.targets.push_back(
      {"app", "bin", {}, "ws/app/src/main.rs", {"x"}, StubKind::kMain});
  app.targets.push_back({"app",
                         "lib",
                         {"rlib", "cdylib"},
                         "ws/app/src/lib.rs",
                         {},
                         StubKind::kEmpty});
  RecipePackage outside{"outside", "", "outside/Cargo.toml", false, false, {}};
  recipe.packages = {app, outside};
  return recipe;
}

TEST(RecipeTest, RoundTripsThroughCanonicalJson) {
  const Recipe recipe = SampleRecipe();
  const std::string bytes = SerializeRecipe(recipe);
  absl::StatusOr<Recipe> parsed = ParseRecipe(bytes, "recipe.json");
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(SerializeRecipe(*parsed), bytes);
  EXPECT_EQ(Json::parse(bytes)["format_version"], kRecipeFormatVersion);
  EXPECT_EQ(ToolchainFileContents(*parsed), "stable\n");
}

TEST(RecipeTest, BytesAreNlohmannDumpOfTheSortedDocument) {
  const Recipe recipe = SampleRecipe();
  Json packages = Json::array();
  for (const RecipePackage* p : {&recipe.packages[1], &recipe.packages[0]}) {
    Json targets = Json::array();
    for (const RecipeTarget& t : p->targets) {
      targets.push_back(
          {{"name", t.name},
           {"kind", t.kind},
           {"crate_types", t.crate_types},
           {"path", t.path},
           {"required_features", t.required_features},
           {"stub", t.stub == StubKind::kMain ? "main" : "empty"}});
    }
    packages.push_back({{"name", p->name},
                        {"version", p->version},
                        {"manifest_path", p->manifest_path},
                        {"member", p->member},
                        {"version_masked", p->version_masked},
                        {"targets", targets}});
  }
  // Sorted by manifest path (outside/ first); app's targets are already in
  // (kind, name, path) order.
  const Json json = {{"format", "cook-recipe"},
                     {"format_version", kRecipeFormatVersion},
                     {"workspace_root", recipe.workspace_root},
                     {"files", recipe.files},
                     {"packages", packages},
                     {"directory_sources", recipe.directory_sources},
                     {"toolchain_file", recipe.toolchain_file},
                     {"bin", recipe.bin}};
  EXPECT_EQ(SerializeRecipe(recipe), json.dump(1) + "\n");
}

// SerializeRecipe escapes ASCII file contents itself: every byte must come
// out as nlohmann's dump() writes it, which reads the same document back and
// writes it again unchanged.
TEST(RecipeTest, FileContentsAreEscapedAsNlohmannEscapesThem) {
  Recipe recipe = SampleRecipe();
  std::string ascii;
  for (int c = 0; c < 0x80; ++c) ascii += static_cast<char>(c);
  recipe.files["ws/ascii"] = ascii + ascii;
  recipe.files["ws/empty"] = "";
  recipe.files["ws/mixed"] = "caf\xc3\xa9 \"quoted\"\t\x01\x7f\n";
  recipe.files["ws/quote\"d\\key\n"] = "x";
  const std::string bytes = SerializeRecipe(recipe);
  const Json json = Json::parse(bytes);
  EXPECT_EQ(json.dump(1, ' ', false, Json::error_handler_t::replace) + "\n",
            bytes);
  using Files = std::map<std::string, std::string>;
  EXPECT_EQ(json["files"].get<Files>(), recipe.files);
  EXPECT_THAT(bytes, HasSubstr(R"(\u0000\u0001)"));
  EXPECT_THAT(bytes, HasSubstr(R"(\b\t\n\u000b\f\r\u000e)"));
  EXPECT_THAT(bytes, HasSubstr(R"( !\"#)"));
}

TEST(RecipeTest, InvalidUtf8BecomesTheReplacementCharacter) {
  Recipe recipe = SampleRecipe();
  recipe.files["ws/rust-toolchain"] = "stable\xff\n";
  const std::string bytes = SerializeRecipe(recipe);
  EXPECT_THAT(bytes, HasSubstr("\"stable\xef\xbf\xbd\\n\""));
  absl::StatusOr<Recipe> parsed = ParseRecipe(bytes, "recipe.json");
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(ToolchainFileContents(*parsed), "stable\xef\xbf\xbd\n");
}

TEST(RecipeTest, OrderDoesNotChangeTheBytes) {
  Recipe a = SampleRecipe();
  Recipe b = a;
  std::swap(b.packages[0], b.packages[1]);
  std::swap(b.packages[1].targets[0], b.packages[1].targets[1]);
  EXPECT_EQ(SerializeRecipe(a), SerializeRecipe(b));
  EXPECT_EQ(RecipeDigest(SerializeRecipe(a)), RecipeDigest(SerializeRecipe(b)));
}

TEST(RecipeTest, DigestIsSha256OfTheBytes) {
  EXPECT_EQ(RecipeDigest("abc"),
            "sha256:"
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// The recipe reader bounds nesting like every TOML reader in chef (issue 10
// defect 7): deep JSON is one clear error, in a value or at the top, and
// brackets inside strings do not count.
TEST(RecipeTest, DeeplyNestedJsonIsRejected) {
  const std::string deep(1000000, '[');
  EXPECT_THAT(
      ParseRecipe(deep, "recipe.json"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("recipe.json: JSON nested more than 16 deep")));
  EXPECT_THAT(ParseRecipe("{\"format\": \"cook-recipe\", \"bin\": " + deep,
                          "recipe.json"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("nested more than 16 deep")));
  Recipe recipe;
  recipe.files["Cargo.toml"] =
      std::string(1000, '[') + "\"\\" + std::string(1000, '{');
  EXPECT_THAT(ParseRecipe(SerializeRecipe(recipe), "recipe.json"),
              IsOkAndHolds(recipe));
}

TEST(RecipeTest, CorruptRecipesAreRejected) {
  const std::string good = SerializeRecipe(SampleRecipe());
  auto mutate = [&](auto&& change) {
    Json json = Json::parse(good);
    change(json);
    return json.dump();
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{not json", "not a JSON object"},
      {"[]", "not a JSON object"},
      {good.substr(0, good.size() / 2), "not a JSON object"},
      {mutate([](Json& j) { j["format"] = "other"; }), "not a cook recipe"},
      {mutate([](Json& j) { j["format_version"] = 99; }),
       "unsupported format version 99"},
      {mutate([](Json& j) { j.erase("files"); }), "`files`"},
      {mutate([](Json& j) { j["files"]["../escape"] = ""; }),
       "unsafe path ../escape"},
      {mutate([](Json& j) { j["files"]["/etc/passwd"] = ""; }),
       "unsafe path /etc/passwd"},
      {mutate([](Json& j) { j["files"]["a//b"] = ""; }), "unsafe path a//b"},
      {mutate([](Json& j) { j["workspace_root"] = "../up"; }),
       "unsafe workspace root"},
      {mutate([](Json& j) {
         j["packages"][1]["targets"][0]["path"] = "../../x.rs";
       }),
       "unsafe path"},
      {mutate(
           [](Json& j) { j["packages"][1]["targets"][0]["stub"] = "weird"; }),
       "unknown stub kind"},
      {mutate([](Json& j) {
         j["packages"][1]["targets"][0]["path"] = "ws/app/Cargo.toml";
       }),
       "overwrites a file"},
      {mutate([](Json& j) {
         j["packages"][1]["targets"][0]["path"] = "ws/app/Cargo.toml/x.rs";
       }),
       "both a file and a directory"},
      {mutate([](Json& j) {
         j["packages"][0]["manifest_path"] = "ws/none/Cargo.toml";
       }),
       "no manifest"},
      {mutate([](Json& j) { j["packages"][0]["member"] = "yes"; }), "`member`"},
      {mutate([](Json& j) { j["directory_sources"] = {"relative/dir"}; }),
       "not absolute"},
      {mutate([](Json& j) { j["toolchain_file"] = "missing"; }),
       "no toolchain file"},
  };
  for (const auto& [text, message] : cases) {
    EXPECT_THAT(ParseRecipe(text, "/tmp/recipe.json"),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         ::testing::AllOf(
                             HasSubstr("reading recipe /tmp/recipe.json: "),
                             HasSubstr(message))))
        << text.substr(0, 200);
  }
}

}  // namespace
}  // namespace cook::chef
