#include "cache/environment.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace cook::cache {

std::string EnvValue(const std::vector<std::string>& env, std::string_view key) {
  const std::string prefix = absl::StrCat(std::string(key), "=");
  for (const std::string& e : env) {
    if (absl::StartsWith(e, prefix)) return e.substr(prefix.size());
  }
  return "";
}

void SetEnv(std::vector<std::string>& env, std::string_view key, std::string_view value) {
  UnsetEnv(env, key);
  env.push_back(absl::StrCat(std::string(key), "=", std::string(value)));
}

void UnsetEnv(std::vector<std::string>& env, std::string_view key) {
  const std::string prefix = absl::StrCat(std::string(key), "=");
  std::erase_if(env, [&](const std::string& e) { return absl::StartsWith(e, prefix); });
}

}  // namespace cook::cache
