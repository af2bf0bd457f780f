#ifndef COOK_CHEF_GLOB_H_
#define COOK_CHEF_GLOB_H_

// Path globs as cargo's `workspace.members` use them: `*`, `?`, `[abc]`,
// `[!a-z]` within one path component, `**` for any number of directories.
// `*` also matches names starting with a dot, as in cargo.

#include <filesystem>
#include <string_view>
#include <vector>

namespace cook::chef {

// True when `pattern` has any glob metacharacter.
bool HasGlobMeta(std::string_view pattern);

// Matches one path component against one pattern component.
bool GlobMatchComponent(std::string_view pattern, std::string_view name);

// The existing paths under `base` that `pattern` ('/'-separated, relative)
// matches, lexically normal and sorted. Unreadable directories match nothing.
std::vector<std::filesystem::path> ExpandGlob(const std::filesystem::path& base,
                                              std::string_view pattern);

}  // namespace cook::chef

#endif  // COOK_CHEF_GLOB_H_
