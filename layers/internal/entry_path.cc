#include "layers/internal/entry_path.h"

#include <sys/stat.h>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/text.h"

namespace cook::layers::internal {

absl::Status Refuse(std::string_view name, std::string_view reason) {
  return absl::InvalidArgumentError(
      absl::StrFormat("refusing archive entry \"%s\": %s",
                      EscapeForDisplay(name), EscapeForDisplay(reason)));
}

absl::Status RefuseNotADirectory(std::string_view name, mode_t mode,
                                 std::string_view path) {
  if (S_ISLNK(mode)) {
    return Refuse(name,
                  absl::StrFormat("path goes through symlink \"%s\"", path));
  }
  return Refuse(name, absl::StrFormat("\"%s\" is not a directory", path));
}

const char* SplitArchivePath(std::string_view path, Components* out) {
  out->clear();
  if (!path.empty() && path.front() == '/') return "absolute path";
  while (!path.empty()) {
    const size_t slash = path.find('/');
    std::string_view c = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view()
                                           : path.substr(slash + 1);
    if (c.empty() || c == ".") continue;
    if (c == "..") return "path contains \"..\"";
    out->emplace_back(c);
  }
  return nullptr;
}

bool StripPrefix(const Components& prefix, Components* comps) {
  if (comps->size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if ((*comps)[i] != prefix[i]) return false;
  }
  comps->erase(comps->begin(),
               comps->begin() + static_cast<std::ptrdiff_t>(prefix.size()));
  return true;
}

std::string Join(const Components& comps, size_t n) {
  return absl::StrJoin(comps.begin(),
                       comps.begin() + static_cast<std::ptrdiff_t>(n), "/");
}

}  // namespace cook::layers::internal
