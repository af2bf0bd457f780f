#include "chef/toml_value.h"

#include <cmath>
#include <utility>

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

}  // namespace cook::chef
