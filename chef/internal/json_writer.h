#ifndef COOK_CHEF_INTERNAL_JSON_WRITER_H_
#define COOK_CHEF_INTERNAL_JSON_WRITER_H_

// Streams canonical JSON in one pass: the recipe holds every manifest, so
// building a DOM first would copy it all. The layout is nlohmann::json's
// dump(1): one space of indentation per level, `"key": value`, empty
// containers as `[]`/`{}`, control characters escaped, other UTF-8 as is and
// invalid UTF-8 replaced by U+FFFD. Keys are written in the order given: the
// caller sorts them.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cook::chef::internal {

class JsonWriter {
 public:
  // `Key` before every value inside an object.
  void Key(std::string_view key);
  void String(std::string_view value);
  void Bool(bool value);
  void Int(int64_t value);
  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();

  // The document; ends with a newline.
  std::string Finish() &&;

 private:
  void BeforeValue();
  void Indent(size_t depth);
  void Escaped(std::string_view text);

  std::string out_;
  // Per open container: whether it has an element yet.
  std::vector<bool> has_elements_;
  bool after_key_ = false;
};

}  // namespace cook::chef::internal

#endif  // COOK_CHEF_INTERNAL_JSON_WRITER_H_
