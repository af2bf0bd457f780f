#include "oci/json_util.h"

#include "absl/strings/str_format.h"
#include "base/json_depth.h"
#include "base/json_line.h"

namespace cook::oci::internal {

absl::StatusOr<Json> ParseJson(std::string_view text, std::string_view what) {
  // nlohmann-json parses deep nesting but recurses to copy, print and free
  // it: refuse it first.
  if (absl::Status depth = CheckJsonDepth(text); !depth.ok()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("parsing %s: %s", what, depth.message()));
  }
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix.
    std::string_view message = e.what();
    if (size_t pos = message.find("] "); pos != std::string_view::npos) {
      message.remove_prefix(pos + 2);
    }
    return absl::InvalidArgumentError(
        absl::StrFormat("parsing %s: %s", what, message));
  }
}

std::string CanonicalJson(const Json& value) {
  return JsonLine(value);
}

}  // namespace cook::oci::internal
