#ifndef COOK_CHEF_TOML_VALUE_H_
#define COOK_CHEF_TOML_VALUE_H_

// A plain TOML document tree. The parser and formatter (chef/toml_parser.h,
// ParseToml() and FormatToml()) are the only code that sees TOML++; everything
// else in chef/ edits this tree, so a manifest keeps every key it had.
//
// Keys are kept sorted, not in document order: TOML++ does not keep the order
// either, and sorted keys make FormatToml() canonical (comments, whitespace and
// key order never change a recipe).

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cook::chef {

class TomlValue;

class TomlTable {
 public:
  using Map = std::map<std::string, TomlValue, std::less<>>;

  TomlTable() = default;

  const TomlValue* Find(std::string_view key) const;
  TomlValue* Find(std::string_view key);
  // The value at `key` when it is a table (or a string), else null.
  const TomlTable* FindTable(std::string_view key) const;
  TomlTable* FindTable(std::string_view key);
  std::optional<std::string> FindString(std::string_view key) const;
  std::optional<bool> FindBool(std::string_view key) const;
  // The value at `key` when it is an array whose elements are all strings.
  std::optional<std::vector<std::string>> FindStringArray(
      std::string_view key) const;

  // Returns the table at `key`, replacing a value of another type.
  TomlTable& GetOrAddTable(std::string_view key);
  void Set(std::string_view key, TomlValue value);
  // Returns whether `key` was present.
  bool Erase(std::string_view key);

  const Map& entries() const { return entries_; }
  Map& entries() { return entries_; }
  bool empty() const { return entries_.empty(); }

  // Inline tables (`{ a = 1 }`) are written inline again.
  bool is_inline() const { return inline_; }
  void set_inline(bool value) { inline_ = value; }

  friend bool operator==(const TomlTable& a, const TomlTable& b);

 private:
  Map entries_;
  bool inline_ = false;
};

class TomlValue {
 public:
  enum class Kind {
    kString,
    kInteger,
    kFloat,
    kBoolean,
    // Dates and times are kept as their TOML text: nothing in chef reads them.
    kDateTime,
    kArray,
    kTable,
  };

  TomlValue() : kind_(Kind::kTable) {}
  static TomlValue String(std::string value);
  static TomlValue Integer(int64_t value);
  static TomlValue Float(double value);
  static TomlValue Boolean(bool value);
  static TomlValue DateTime(std::string literal);
  static TomlValue Array(std::vector<TomlValue> elements = {});
  static TomlValue Table(TomlTable table = {});

  Kind kind() const { return kind_; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_table() const { return kind_ == Kind::kTable; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool is_bool() const { return kind_ == Kind::kBoolean; }

  // REQUIRES: the matching kind.
  const std::string& string() const { return text_; }
  const std::string& date_time() const { return text_; }
  int64_t integer() const { return integer_; }
  double floating() const { return float_; }
  bool boolean() const { return boolean_; }
  const std::vector<TomlValue>& array() const { return array_; }
  std::vector<TomlValue>& array() { return array_; }
  const TomlTable& table() const { return table_; }
  TomlTable& table() { return table_; }

  friend bool operator==(const TomlValue& a, const TomlValue& b);

 private:
  explicit TomlValue(Kind kind) : kind_(kind) {}

  Kind kind_;
  std::string text_;
  int64_t integer_ = 0;
  double float_ = 0;
  bool boolean_ = false;
  std::vector<TomlValue> array_;
  TomlTable table_;
};

}  // namespace cook::chef

#endif  // COOK_CHEF_TOML_VALUE_H_
