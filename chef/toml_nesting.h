#ifndef COOK_CHEF_TOML_NESTING_H_
#define COOK_CHEF_TOML_NESTING_H_

// A cheap scan of TOML text for how deeply it nests, run before TOML++ sees
// the text. TOML++ builds (and its destructors and formatter walk) the whole
// tree recursively, and so does every walk in chef: a table header 10,000
// keys deep would overflow the stack. The scan itself keeps its state on the
// heap and reads the text once.
//
// Limits, as cargo's TOML parser (toml-rs) sets them, measured against cargo
// 1.95: a key (table header or dotted key) of at most 80 parts, values
// (arrays and inline tables) nested at most 80 deep; cargo refuses the 81st
// level ("recursion limit"). cargo checks each construct alone, so it also
// accepts trees deeper than 80 made of several (a header 60 keys deep holding
// a 60-part dotted key), up to where its own stack overflows (near 6,000
// levels, seen). chef refuses those: it writes every manifest back with each
// table under a full `[a.b.c]` header, and a tree deeper than 80 would come
// out as a header cargo refuses. So the whole tree (tables, arrays of tables,
// arrays, inline tables) is at most kMaxTomlDepth levels deep too.

#include <string_view>

#include "absl/status/status.h"

namespace cook::chef {

inline constexpr int kMaxTomlKeyParts = 80;
inline constexpr int kMaxTomlValueNesting = 80;
inline constexpr int kMaxTomlDepth = 80;

// InvalidArgument "`path`:LINE:COLUMN: message" where the text first goes
// past a limit; OK otherwise. Malformed TOML is OK here (the parser reports
// it) unless it already goes past a limit.
absl::Status CheckTomlNesting(std::string_view text, std::string_view path);

}  // namespace cook::chef

#endif  // COOK_CHEF_TOML_NESTING_H_
