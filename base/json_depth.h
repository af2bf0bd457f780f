#ifndef COOK_BASE_JSON_DEPTH_H_
#define COOK_BASE_JSON_DEPTH_H_

// A nesting limit for JSON from outside, checked before it is parsed:
// nlohmann-json parses deep documents but copies, compares, prints and frees
// them recursively, so "[[[[..." a few hundred thousand levels deep overflows
// the stack.

#include <string_view>

#include "absl/status/status.h"

namespace cook {

// Deeper than any document cook reads (OCI manifests and configs, auth files,
// token and error responses need fewer than 10 levels); serde_json's default.
inline constexpr int kMaxJsonDepth = 128;

// InvalidArgument "nested deeper than `max_depth` levels" when arrays and
// objects in `text` nest deeper than `max_depth`. Brackets inside strings do
// not count. Does not validate anything else: a parser still has to.
absl::Status CheckJsonDepth(std::string_view text, int max_depth = kMaxJsonDepth);

}  // namespace cook

#endif  // COOK_BASE_JSON_DEPTH_H_
