#include "chef/internal/json_writer.h"

#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace cook::chef::internal {
namespace {

using Json = nlohmann::json;

// The writer must produce nlohmann::json's dump(1) byte for byte.
std::string Reference(const Json& json) {
  return json.dump(1, ' ', false, Json::error_handler_t::replace) + "\n";
}

TEST(JsonWriterTest, MatchesNlohmannLayout) {
  const std::string tricky =
      std::string("quote \" backslash \\ tab \t nl \n cr \r bs \b ff \f nul ") +
      std::string(1, '\0') + " \x01 \x1f del \x7f é 🦀 \xe2\x82\xac";
  JsonWriter w;
  w.BeginObject();
  w.Key("a");
  w.String(tricky);
  w.Key("b");
  w.BeginArray();
  w.EndArray();
  w.Key("c");
  w.BeginObject();
  w.EndObject();
  w.Key("d");
  w.BeginArray();
  w.Int(-3);
  w.Bool(true);
  w.BeginObject();
  w.Key("x");
  w.BeginArray();
  w.String("y");
  w.EndArray();
  w.EndObject();
  w.EndArray();
  w.Key("e \"key\"");
  w.Bool(false);
  w.EndObject();
  const Json json = {{"a", tricky},
                     {"b", Json::array()},
                     {"c", Json::object()},
                     {"d", {-3, true, {{"x", {"y"}}}}},
                     {"e \"key\"", false}};
  EXPECT_EQ(std::move(w).Finish(), Reference(json));
}

TEST(JsonWriterTest, InvalidUtf8BecomesReplacementCharacter) {
  for (const std::string bad : {"\xff", "a\xc3", "\xc0\xaf", "\xed\xa0\x80",
                                "\xf4\x90\x80\x80", "x\x80y"}) {
    JsonWriter w;
    w.String(bad);
    EXPECT_EQ(std::move(w).Finish(), Reference(Json(bad)))
        << Json(bad).dump(-1, ' ', true, Json::error_handler_t::replace);
  }
}

}  // namespace
}  // namespace cook::chef::internal
