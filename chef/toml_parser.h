#ifndef COOK_CHEF_TOML_PARSER_H_
#define COOK_CHEF_TOML_PARSER_H_

// The one adapter to TOML++ (header-only, exceptions off): every other file in
// chef/ works on TomlTable, so the heavy header is compiled once.

#include <string_view>

#include "absl/status/statusor.h"
#include "chef/toml_value.h"

namespace cook::chef {

// Parses a TOML document. A syntax error is InvalidArgument
// "`path`:LINE:COLUMN: message".
absl::StatusOr<TomlTable> ParseToml(std::string_view text,
                                    std::string_view path);

}  // namespace cook::chef

#endif  // COOK_CHEF_TOML_PARSER_H_
