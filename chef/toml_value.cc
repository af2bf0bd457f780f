#include "chef/toml_value.h"

#include <cmath>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cook::chef {

const TomlValue* TomlTable::Find(std::string_view key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

TomlValue* TomlTable::Find(std::string_view key) {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

const TomlTable* TomlTable::FindTable(std::string_view key) const {
  const TomlValue* value = Find(key);
  return value != nullptr && value->is_table() ? &value->table() : nullptr;
}

TomlTable* TomlTable::FindTable(std::string_view key) {
  TomlValue* value = Find(key);
  return value != nullptr && value->is_table() ? &value->table() : nullptr;
}

std::optional<std::string> TomlTable::FindString(std::string_view key) const {
  const TomlValue* value = Find(key);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return value->string();
}

std::optional<bool> TomlTable::FindBool(std::string_view key) const {
  const TomlValue* value = Find(key);
  if (value == nullptr || !value->is_bool()) return std::nullopt;
  return value->boolean();
}

std::optional<std::vector<std::string>> TomlTable::FindStringArray(
    std::string_view key) const {
  const TomlValue* value = Find(key);
  if (value == nullptr || !value->is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const TomlValue& element : value->array()) {
    if (!element.is_string()) return std::nullopt;
    out.push_back(element.string());
  }
  return out;
}

TomlTable& TomlTable::GetOrAddTable(std::string_view key) {
  TomlValue* value = Find(key);
  if (value == nullptr) {
    value =
        &entries_.emplace(std::string(key), TomlValue::Table()).first->second;
  } else if (!value->is_table()) {
    *value = TomlValue::Table();
  }
  return value->table();
}

void TomlTable::Set(std::string_view key, TomlValue value) {
  TomlValue* existing = Find(key);
  if (existing != nullptr) {
    *existing = std::move(value);
  } else {
    entries_.emplace(std::string(key), std::move(value));
  }
}

bool TomlTable::Erase(std::string_view key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  entries_.erase(it);
  return true;
}

bool operator==(const TomlTable& a, const TomlTable& b) {
  return a.inline_ == b.inline_ && a.entries_ == b.entries_;
}

TomlValue TomlValue::String(std::string value) {
  TomlValue v(Kind::kString);
  v.text_ = std::move(value);
  return v;
}

TomlValue TomlValue::Integer(int64_t value) {
  TomlValue v(Kind::kInteger);
  v.integer_ = value;
  return v;
}

TomlValue TomlValue::Float(double value) {
  TomlValue v(Kind::kFloat);
  v.float_ = value;
  return v;
}

TomlValue TomlValue::Boolean(bool value) {
  TomlValue v(Kind::kBoolean);
  v.boolean_ = value;
  return v;
}

TomlValue TomlValue::DateTime(std::string literal) {
  TomlValue v(Kind::kDateTime);
  v.text_ = std::move(literal);
  return v;
}

TomlValue TomlValue::Array(std::vector<TomlValue> elements) {
  TomlValue v(Kind::kArray);
  v.array_ = std::move(elements);
  return v;
}

TomlValue TomlValue::Table(TomlTable table) {
  TomlValue v(Kind::kTable);
  v.table_ = std::move(table);
  return v;
}

bool operator==(const TomlValue& a, const TomlValue& b) {
  if (a.kind_ != b.kind_) return false;
  switch (a.kind_) {
    case TomlValue::Kind::kString:
    case TomlValue::Kind::kDateTime:
      return a.text_ == b.text_;
    case TomlValue::Kind::kInteger:
      return a.integer_ == b.integer_;
    case TomlValue::Kind::kFloat:
      return a.float_ == b.float_ ||
             (std::isnan(a.float_) && std::isnan(b.float_));
    case TomlValue::Kind::kBoolean:
      return a.boolean_ == b.boolean_;
    case TomlValue::Kind::kArray:
      return a.array_ == b.array_;
    case TomlValue::Kind::kTable:
      return a.table_ == b.table_;
  }
  return false;
}

namespace {

bool IsBareKey(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string QuoteString(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += absl::StrFormat("\\u%04X", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

std::string FormatFloat(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
  // The shortest text that reads back as the same double.
  std::string text;
  for (int precision = 1; precision <= 17; ++precision) {
    text = absl::StrFormat("%.*g", precision, value);
    if (std::strtod(text.c_str(), nullptr) == value) break;
  }
  if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
  return text;
}

// True when `value` is an array written as `[[key]]` sections: non-empty, and
// every element a standard (not inline) table.
bool IsArrayOfTables(const TomlValue& value) {
  if (!value.is_array() || value.array().empty()) return false;
  for (const TomlValue& element : value.array()) {
    if (!element.is_table() || element.table().is_inline()) return false;
  }
  return true;
}

// `{ workspace = true }` inheritance is written the way manifests spell it,
// `version.workspace = true`, not as a `[package.version]` section.
bool IsInheritance(const TomlValue& value) {
  if (!value.is_table() || value.table().entries().size() != 1) return false;
  const TomlValue* workspace = value.table().Find("workspace");
  return workspace != nullptr && !workspace->is_table() &&
         !workspace->is_array();
}

bool IsSection(const TomlValue& value) {
  return (value.is_table() && !value.table().is_inline() &&
          !IsInheritance(value)) ||
         IsArrayOfTables(value);
}

void AppendInline(const TomlValue& value, std::string& out);

void AppendInlineTable(const TomlTable& table, std::string& out) {
  if (table.empty()) {
    out += "{}";
    return;
  }
  out += "{ ";
  bool first = true;
  for (const auto& [key, element] : table.entries()) {
    if (!first) out += ", ";
    first = false;
    absl::StrAppend(&out, FormatTomlKey(key), " = ");
    AppendInline(element, out);
  }
  out += " }";
}

void AppendInline(const TomlValue& value, std::string& out) {
  switch (value.kind()) {
    case TomlValue::Kind::kString:
      out += QuoteString(value.string());
      break;
    case TomlValue::Kind::kInteger:
      absl::StrAppend(&out, value.integer());
      break;
    case TomlValue::Kind::kFloat:
      out += FormatFloat(value.floating());
      break;
    case TomlValue::Kind::kBoolean:
      out += value.boolean() ? "true" : "false";
      break;
    case TomlValue::Kind::kDateTime:
      out += value.date_time();
      break;
    case TomlValue::Kind::kArray: {
      out += "[";
      bool first = true;
      for (const TomlValue& element : value.array()) {
        if (!first) out += ", ";
        first = false;
        AppendInline(element, out);
      }
      out += "]";
      break;
    }
    case TomlValue::Kind::kTable:
      AppendInlineTable(value.table(), out);
      break;
  }
}

void AppendSection(const TomlTable& table, const std::string& path,
                   bool array_element, std::string& out) {
  bool has_values = false;
  bool has_sections = false;
  for (const auto& [key, value] : table.entries()) {
    (IsSection(value) ? has_sections : has_values) = true;
  }
  // A header is needed for values, for an array element, and for an empty
  // table (its existence can matter: `[workspace]`). A table holding only
  // sub-tables is implied by their headers.
  if (!path.empty() && (has_values || array_element || !has_sections)) {
    if (!out.empty()) out += "\n";
    absl::StrAppend(&out, array_element ? "[[" : "[", path,
                    array_element ? "]]\n" : "]\n");
  }
  for (const auto& [key, value] : table.entries()) {
    if (IsSection(value)) continue;
    if (IsInheritance(value) && !value.table().is_inline()) {
      absl::StrAppend(&out, FormatTomlKey(key), ".workspace = ");
      AppendInline(*value.table().Find("workspace"), out);
    } else {
      absl::StrAppend(&out, FormatTomlKey(key), " = ");
      AppendInline(value, out);
    }
    out += "\n";
  }
  for (const auto& [key, value] : table.entries()) {
    if (!IsSection(value)) continue;
    const std::string child = path.empty()
                                  ? FormatTomlKey(key)
                                  : absl::StrCat(path, ".", FormatTomlKey(key));
    if (value.is_table()) {
      AppendSection(value.table(), child, false, out);
    } else {
      for (const TomlValue& element : value.array()) {
        AppendSection(element.table(), child, true, out);
      }
    }
  }
}

}  // namespace

std::string FormatTomlKey(std::string_view key) {
  return IsBareKey(key) ? std::string(key) : QuoteString(key);
}

std::string FormatToml(const TomlTable& root) {
  std::string out;
  AppendSection(root, "", false, out);
  return out;
}

}  // namespace cook::chef
