#ifndef COOK_CACHE_ENVIRONMENT_H_
#define COOK_CACHE_ENVIRONMENT_H_

// Edits of an environment held as data, "NAME=value" entries (what
// sandbox::SandboxSpec::env and sandbox::FilterEnvironment use).

#include <string>
#include <string_view>
#include <vector>

namespace cook::cache {

// The value of the first `key` entry, or "" when there is none.
std::string EnvValue(const std::vector<std::string>& env, std::string_view key);
// Replaces every `key` entry by one "key=value" at the end.
void SetEnv(std::vector<std::string>& env, std::string_view key, std::string_view value);
// Removes every `key` entry.
void UnsetEnv(std::vector<std::string>& env, std::string_view key);

}  // namespace cook::cache

#endif  // COOK_CACHE_ENVIRONMENT_H_
