#ifndef COOK_CHEF_TOML_PARSER_H_
#define COOK_CHEF_TOML_PARSER_H_

// The one adapter to TOML++ (header-only, exceptions off), both ways: every
// other file in chef/ works on TomlTable, so the heavy header is compiled once.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "chef/toml_value.h"

namespace cook::chef {

// Parses a TOML document. A syntax error, or nesting past the limits of
// chef/toml_nesting.h (cargo's), is InvalidArgument
// "`path`:LINE:COLUMN: message".
absl::StatusOr<TomlTable> ParseToml(std::string_view text,
                                    std::string_view path);

// Writes `root` as a TOML document with TOML++'s toml_formatter: keys sorted,
// standard tables as `[a.b]` headers (not indented), arrays of standard
// tables as `[[a]]`, inline tables, `{ workspace = true }` inheritance and
// other arrays inline (an array TOML++ finds wider than 120 columns gets one
// indented element per line), strings always basic ("..." with escapes, UTF-8
// kept), integers in decimal, floats exact, dates and times unquoted; ends
// with a newline unless empty. Empty tables keep their header (`[workspace]`
// alone makes a workspace root). The same tree always gives the same bytes.
std::string FormatToml(const TomlTable& root);

}  // namespace cook::chef

#endif  // COOK_CHEF_TOML_PARSER_H_
