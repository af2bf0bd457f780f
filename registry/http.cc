#include "registry/http.h"

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace cook::registry {

std::optional<std::string> FindHeader(const HttpHeaders& headers,
                                      std::string_view name) {
  const absl::string_view wanted(name.data(), name.size());
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, wanted)) return value;
  }
  return std::nullopt;
}

}  // namespace cook::registry
