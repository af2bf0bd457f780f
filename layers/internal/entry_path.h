#ifndef COOK_LAYERS_INTERNAL_ENTRY_PATH_H_
#define COOK_LAYERS_INTERNAL_ENTRY_PATH_H_

// The extractor's checks on archive entry names: the first line of defence
// against entries that would land outside the destination.

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace cook::layers::internal {

// A path as its components, without empty and "." ones.
using Components = std::vector<std::string>;

// InvalidArgument: refusing archive entry "`name`": `reason` (both escaped
// for display).
absl::Status Refuse(std::string_view name, std::string_view reason);

// Refuses `name` because `path` (a prefix of it, of file type `mode`) is a
// symlink or another non-directory where a directory must be.
absl::Status RefuseNotADirectory(std::string_view name, mode_t mode,
                                 std::string_view path);

// Splits an archive path into `out`, dropping empty and "." components (tar
// writers commonly emit "./x"). Returns why the path is unsafe (absolute, or
// with a ".." component), or nullptr.
const char* SplitArchivePath(std::string_view path, Components* out);

// Removes `prefix` from the front of `comps`; false if `comps` is not under
// it.
bool StripPrefix(const Components& prefix, Components* comps);

// The first `n` components of `comps`, joined with '/'.
std::string Join(const Components& comps, size_t n);

}  // namespace cook::layers::internal

#endif  // COOK_LAYERS_INTERNAL_ENTRY_PATH_H_
