#include "chef/toml_parser.h"

#include <sstream>
#include <string>
#include <utility>

#include "absl/strings/str_format.h"
#include "toml++/toml.h"

namespace cook::chef {
namespace {

TomlTable ConvertTable(const toml::table& table);

template <typename T>
std::string Literal(const T& value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

TomlValue ConvertNode(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return TomlValue::Table(ConvertTable(*node.as_table()));
    case toml::node_type::array: {
      std::vector<TomlValue> elements;
      for (const toml::node& element : *node.as_array()) {
        elements.push_back(ConvertNode(element));
      }
      return TomlValue::Array(std::move(elements));
    }
    case toml::node_type::string:
      return TomlValue::String(std::string(node.as_string()->get()));
    case toml::node_type::integer:
      return TomlValue::Integer(node.as_integer()->get());
    case toml::node_type::floating_point:
      return TomlValue::Float(node.as_floating_point()->get());
    case toml::node_type::boolean:
      return TomlValue::Boolean(node.as_boolean()->get());
    case toml::node_type::date:
      return TomlValue::DateTime(Literal(node.as_date()->get()));
    case toml::node_type::time:
      return TomlValue::DateTime(Literal(node.as_time()->get()));
    case toml::node_type::date_time:
      return TomlValue::DateTime(Literal(node.as_date_time()->get()));
    case toml::node_type::none:
      break;
  }
  return TomlValue::Table();
}

TomlTable ConvertTable(const toml::table& table) {
  TomlTable out;
  out.set_inline(table.is_inline());
  for (const auto& [key, node] : table) {
    out.entries().emplace(std::string(key.str()), ConvertNode(node));
  }
  return out;
}

}  // namespace

absl::StatusOr<TomlTable> ParseToml(std::string_view text,
                                    std::string_view path) {
  toml::parse_result doc = toml::parse(text, std::string_view(path));
  if (!doc) {
    const toml::source_position& at = doc.error().source().begin;
    std::string description(doc.error().description());
    // TOML++ capitalises its messages; cook's are lowercase.
    if (!description.empty() && description[0] >= 'A' &&
        description[0] <= 'Z') {
      description[0] = static_cast<char>(description[0] - 'A' + 'a');
    }
    return absl::InvalidArgumentError(
        absl::StrFormat("%s:%d:%d: %s", path, at.line, at.column, description));
  }
  return ConvertTable(doc.table());
}

}  // namespace cook::chef
