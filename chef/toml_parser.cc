#include "chef/toml_parser.h"

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "chef/toml_nesting.h"
// TOML++ 3.3 asserts, rather than reports, on some malformed input (`[.`,
// `[é`, `a = [}`): with the assertions off, its parser goes on to report
// an error on each of them. Nothing else includes TOML++.
#define TOML_ASSERT(expr) static_cast<void>(0)
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
      elements.reserve(node.as_array()->size());
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
  // TOML++ keeps its keys sorted as TomlTable does: each one goes last.
  TomlTable::Map& entries = out.entries();
  for (const auto& [key, node] : table) {
    entries.emplace_hint(entries.end(), std::string(key.str()),
                         ConvertNode(node));
  }
  return out;
}

// TomlTable -> toml::table, for toml_formatter.

toml::table ToToml(const TomlTable& table, bool is_inline);

// `version.workspace = true` (or `[dependencies.x]` holding only
// `workspace = true`) is written `version = { workspace = true }`: on its
// key's line, as manifests spell it, rather than as a section of its own.
// TOML++ writes no dotted keys.
bool IsInheritance(const TomlTable& table) {
  if (table.entries().size() != 1) return false;
  const TomlValue* workspace = table.Find("workspace");
  return workspace != nullptr && !workspace->is_table() &&
         !workspace->is_array();
}

// Calls `put` with the TOML++ value for a date, time or date-time literal:
// ConvertNode() kept TOML++'s own text, which TOML++ reads back.
template <typename Put>
void PutDateTime(const std::string& literal, Put&& put) {
  toml::parse_result doc = toml::parse("v = " + literal);
  if (doc) {
    const toml::node* node = doc.table().get("v");
    if (const auto* date = node->as_date()) return put(date->get());
    if (const auto* time = node->as_time()) return put(time->get());
    if (const auto* date_time = node->as_date_time()) {
      return put(date_time->get());
    }
  }
  put(literal);  // Not a date or time after all: keep the text.
}

toml::array ToToml(const std::vector<TomlValue>& elements);

// Calls `put` with the TOML++ node for `value`, a table's entry or an array
// element.
template <typename Put>
void PutNode(const TomlValue& value, Put&& put) {
  switch (value.kind()) {
    case TomlValue::Kind::kString:
      return put(value.string());
    case TomlValue::Kind::kInteger:
      return put(value.integer());
    case TomlValue::Kind::kFloat:
      return put(value.floating());
    case TomlValue::Kind::kBoolean:
      return put(value.boolean());
    case TomlValue::Kind::kDateTime:
      return PutDateTime(value.date_time(), put);
    case TomlValue::Kind::kArray:
      return put(ToToml(value.array()));
    case TomlValue::Kind::kTable:
      return put(ToToml(value.table(), value.table().is_inline() ||
                                           IsInheritance(value.table())));
  }
}

toml::array ToToml(const std::vector<TomlValue>& elements) {
  // `[[key]]` sections only when every element is a standard table; else the
  // whole array is inline (toml_formatter looks at the first element alone).
  bool sections = !elements.empty();
  for (const TomlValue& element : elements) {
    sections = sections && element.is_table() && !element.table().is_inline();
  }
  toml::array out;
  out.reserve(elements.size());
  for (const TomlValue& element : elements) {
    if (element.is_table()) {
      out.push_back(ToToml(element.table(), !sections));
    } else {
      PutNode(element, [&](auto&& node) {
        out.push_back(std::forward<decltype(node)>(node));
      });
    }
  }
  return out;
}

toml::table ToToml(const TomlTable& table, bool is_inline) {
  toml::table out;
  out.is_inline(is_inline);
  for (const auto& entry : table.entries()) {
    // Not a structured binding: clang cannot capture one in the lambda.
    const std::string& key = entry.first;
    PutNode(entry.second, [&](auto&& node) {
      out.insert(key, std::forward<decltype(node)>(node));
    });
  }
  return out;
}

}  // namespace

absl::StatusOr<TomlTable> ParseToml(std::string_view text,
                                    std::string_view path) {
  // Before TOML++: it builds and destroys the tree recursively.
  if (absl::Status nesting = CheckTomlNesting(text, path); !nesting.ok()) {
    return nesting;
  }
  // No source path for TOML++: it would keep a shared copy of it in every
  // node, and the error below names `path` itself.
  toml::parse_result doc = toml::parse(text);
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

std::string FormatToml(const TomlTable& root) {
  const toml::table table = ToToml(root, /*is_inline=*/false);
  // Of the default flags, Unicode strings and indented elements of arrays
  // long enough to be wrapped; none of: literal or multi-line strings, real
  // tabs, binary/octal/hex integers, indented sub-tables.
  std::ostringstream out;
  out << toml::toml_formatter(table,
                              toml::format_flags::allow_unicode_strings |
                                  toml::format_flags::indent_array_elements);
  std::string text = std::move(out).str();
  if (!text.empty()) text += '\n';
  return text;
}

}  // namespace cook::chef
