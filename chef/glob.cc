#include "chef/glob.h"

#include <algorithm>
#include <string>
#include <system_error>

namespace cook::chef {
namespace fs = std::filesystem;

bool HasGlobMeta(std::string_view pattern) {
  return pattern.find_first_of("*?[") != std::string_view::npos;
}

namespace {

// Matches a `[...]` class at the start of `pattern` against `c`. Sets
// `length` to the class's length; returns false for a malformed class, which
// then matches literally.
bool MatchClass(std::string_view pattern, char c, size_t& length,
                bool& matched) {
  size_t i = 1;
  bool negate = false;
  if (i < pattern.size() && pattern[i] == '!') {
    negate = true;
    ++i;
  }
  bool any = false;
  bool first = true;
  while (i < pattern.size() && (first || pattern[i] != ']')) {
    first = false;
    char lo = pattern[i];
    char hi = lo;
    if (i + 2 < pattern.size() && pattern[i + 1] == '-' &&
        pattern[i + 2] != ']') {
      hi = pattern[i + 2];
      i += 3;
    } else {
      ++i;
    }
    if (lo <= c && c <= hi) any = true;
  }
  if (i >= pattern.size()) return false;
  length = i + 1;
  matched = any != negate;
  return true;
}

}  // namespace

bool GlobMatchComponent(std::string_view pattern, std::string_view name) {
  // Iterative wildcard matching with one backtracking point for `*`.
  size_t p = 0, n = 0;
  size_t star_p = std::string_view::npos, star_n = 0;
  while (n < name.size()) {
    if (p < pattern.size()) {
      const char c = pattern[p];
      if (c == '*') {
        star_p = p++;
        star_n = n;
        continue;
      }
      if (c == '?') {
        ++p;
        ++n;
        continue;
      }
      if (c == '[') {
        size_t length = 0;
        bool matched = false;
        if (MatchClass(pattern.substr(p), name[n], length, matched)) {
          if (matched) {
            p += length;
            ++n;
            continue;
          }
        } else if (name[n] == '[') {
          ++p;
          ++n;
          continue;
        }
      } else if (c == name[n]) {
        ++p;
        ++n;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p + 1;
    n = ++star_n;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

namespace {

void Expand(const fs::path& dir, const std::vector<std::string>& parts,
            size_t index, std::vector<fs::path>& out) {
  std::error_code ec;
  if (index == parts.size()) {
    if (fs::exists(dir, ec)) out.push_back(dir);
    return;
  }
  const std::string& part = parts[index];
  if (part == "**") {
    Expand(dir, parts, index + 1, out);
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end;
         it.increment(ec)) {
      if (it->is_directory(ec)) Expand(it->path(), parts, index, out);
    }
    return;
  }
  if (!HasGlobMeta(part)) {
    Expand((dir / part).lexically_normal(), parts, index + 1, out);
    return;
  }
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (GlobMatchComponent(part, name))
      Expand(it->path(), parts, index + 1, out);
  }
}

}  // namespace

std::vector<fs::path> ExpandGlob(const fs::path& base,
                                 std::string_view pattern) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= pattern.size()) {
    size_t end = pattern.find('/', start);
    if (end == std::string_view::npos) end = pattern.size();
    std::string_view part = pattern.substr(start, end - start);
    if (!part.empty() && part != ".") parts.emplace_back(part);
    start = end + 1;
  }
  std::vector<fs::path> out;
  Expand(base, parts, 0, out);
  for (fs::path& path : out) {
    path = path.lexically_normal();
    if (path.has_relative_path() && path.filename().empty())
      path = path.parent_path();
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace cook::chef
