#ifndef COOK_OCI_JSON_UTIL_H_
#define COOK_OCI_JSON_UTIL_H_

// Private to oci: the one adapter between nlohmann-json (which throws)
// and absl::Status, and the canonical serialisation every document uses.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace cook::oci::internal {

using Json = nlohmann::json;

// Parses `text`; errors are InvalidArgument "parsing `what`: cause", also
// for arrays and objects nested deeper than kMaxJsonDepth (base/json_depth.h).
absl::StatusOr<Json> ParseJson(std::string_view text, std::string_view what);

// Sorted keys (objects are std::map), no whitespace, UTF-8 written as is
// (never \u-escaped), invalid UTF-8 replaced by U+FFFD. Same value, same
// bytes. Never throws.
std::string CanonicalJson(const Json& value);

}  // namespace cook::oci::internal

#endif  // COOK_OCI_JSON_UTIL_H_
