#include "chef/lockfile.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"

namespace cook::chef {
namespace {

struct Reference {
  std::string name, version, source;
};

Reference ParseReference(std::string_view text) {
  Reference ref;
  size_t space = text.find(' ');
  ref.name = std::string(text.substr(0, space));
  if (space == std::string_view::npos) return ref;
  text.remove_prefix(space + 1);
  space = text.find(' ');
  ref.version = std::string(text.substr(0, space));
  if (space == std::string_view::npos) return ref;
  text.remove_prefix(space + 1);
  if (text.size() >= 2 && text.front() == '(' && text.back() == ')') {
    ref.source = std::string(text.substr(1, text.size() - 2));
  }
  return ref;
}

std::string FormatReference(const Reference& ref) {
  std::string out = ref.name;
  if (!ref.version.empty()) absl::StrAppend(&out, " ", ref.version);
  if (!ref.source.empty()) absl::StrAppend(&out, " (", ref.source, ")");
  return out;
}

// Sources in references may lack the `#revision` that package sources carry.
bool SameSource(std::string_view package_source, std::string_view ref_source) {
  auto strip = [](std::string_view s) { return s.substr(0, s.find('#')); };
  return package_source == ref_source ||
         strip(package_source) == strip(ref_source);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<std::string> Unquote(std::string_view s) {
  s = Trim(s);
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return std::nullopt;
  s = s.substr(1, s.size() - 2);
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      out += s[++i];
    } else if (s[i] == '"') {
      return std::nullopt;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

void AppendPackage(const LockPackage& package, std::string_view header,
                   std::string& out) {
  out.append(header).append("\n");
  for (const auto& [key, raw] : package.fields) {
    if (key == "name") {
      absl::StrAppend(&out, "name = ", Quote(package.name), "\n");
    } else if (key == "version") {
      absl::StrAppend(&out, "version = ", Quote(package.version), "\n");
    } else if (key == "source") {
      absl::StrAppend(&out, "source = ", Quote(package.source), "\n");
    } else if (key == "dependencies") {
      out += "dependencies = [\n";
      for (const std::string& dep : package.dependencies) {
        absl::StrAppend(&out, " ", Quote(dep), ",\n");
      }
      out += "]\n";
    } else {
      absl::StrAppend(&out, key, " = ", raw, "\n");
    }
  }
}

// Orders references as cargo sorts them: by name, version text, source.
bool ReferenceLess(const std::string& a, const std::string& b) {
  const Reference x = ParseReference(a), y = ParseReference(b);
  return std::tie(x.name, x.version, x.source) <
         std::tie(y.name, y.version, y.source);
}

int CompareNumber(std::string_view a, std::string_view b) {
  while (a.size() > 1 && a.front() == '0') a.remove_prefix(1);
  while (b.size() > 1 && b.front() == '0') b.remove_prefix(1);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return a.compare(b);
}

bool IsNumber(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    out.push_back(
        s.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

}  // namespace

int CompareVersions(std::string_view a, std::string_view b) {
  a = a.substr(0, a.find('+'));
  b = b.substr(0, b.find('+'));
  const size_t a_dash = a.find('-'), b_dash = b.find('-');
  const std::vector<std::string_view> a_core = Split(a.substr(0, a_dash), '.');
  const std::vector<std::string_view> b_core = Split(b.substr(0, b_dash), '.');
  for (size_t i = 0; i < std::max(a_core.size(), b_core.size()); ++i) {
    const std::string_view x = i < a_core.size() ? a_core[i] : "0";
    const std::string_view y = i < b_core.size() ? b_core[i] : "0";
    if (int c = CompareNumber(x, y); c != 0) return c;
  }
  const bool a_pre = a_dash != std::string_view::npos;
  const bool b_pre = b_dash != std::string_view::npos;
  if (a_pre != b_pre) return a_pre ? -1 : 1;
  if (!a_pre) return 0;
  const auto x = Split(a.substr(a_dash + 1), '.'),
             y = Split(b.substr(b_dash + 1), '.');
  for (size_t i = 0; i < std::min(x.size(), y.size()); ++i) {
    const bool xn = IsNumber(x[i]), yn = IsNumber(y[i]);
    int c;
    if (xn && yn) {
      c = CompareNumber(x[i], y[i]);
    } else if (xn != yn) {
      c = xn ? -1 : 1;
    } else {
      c = x[i].compare(y[i]);
    }
    if (c != 0) return c < 0 ? -1 : 1;
  }
  return x.size() == y.size() ? 0 : (x.size() < y.size() ? -1 : 1);
}

namespace {

absl::Status LineError(std::string_view path, size_t line,
                       std::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrFormat("%s:%d: %s", path, line + 1, message));
}

// The quoted elements of the `dependencies` array whose `rhs` is on line
// `*i`: inline, or one per line up to a "]" line (then `*i` moves to it).
absl::StatusOr<std::vector<std::string>> ParseDependencies(
    const std::vector<std::string_view>& lines, size_t* i, size_t end,
    std::string_view rhs, size_t header_line, std::string_view path) {
  std::vector<std::string_view> elements;
  if (rhs == "[") {
    while (++*i < end && Trim(lines[*i]) != "]") {
      std::string_view element = Trim(lines[*i]);
      if (!element.empty() && element.back() == ',') element.remove_suffix(1);
      if (!element.empty()) elements.push_back(element);
    }
    if (*i == end)
      return LineError(path, header_line, "unterminated dependencies");
  } else if (rhs.size() >= 2 && rhs.front() == '[' && rhs.back() == ']') {
    for (std::string_view element : Split(rhs.substr(1, rhs.size() - 2), ',')) {
      if (!Trim(element).empty()) elements.push_back(element);
    }
  } else {
    return LineError(path, *i, "dependencies must be an array");
  }
  std::vector<std::string> dependencies;
  for (std::string_view element : elements) {
    std::optional<std::string> dep = Unquote(element);
    if (!dep) return LineError(path, *i, "expected a quoted dependency");
    dependencies.push_back(*std::move(dep));
  }
  return dependencies;
}

// The [[package]] or [[patch.unused]] block with its header on
// `header_line` and its keys on the lines up to `end`.
absl::StatusOr<LockPackage> ParsePackage(
    const std::vector<std::string_view>& lines, size_t header_line, size_t end,
    std::string_view path) {
  LockPackage package;
  for (size_t i = header_line + 1; i < end; ++i) {
    const std::string_view line = Trim(lines[i]);
    if (line.empty() || line[0] == '#') continue;
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return LineError(path, i, "expected `key = value`");
    }
    const std::string key(Trim(line.substr(0, eq)));
    const std::string_view rhs = Trim(line.substr(eq + 1));
    package.fields.emplace_back(key, std::string(rhs));
    if (key == "dependencies") {
      ASSIGN_OR_RETURN(
          package.dependencies,
          ParseDependencies(lines, &i, end, rhs, header_line, path));
      continue;
    }
    if (key == "name" || key == "version" || key == "source") {
      std::optional<std::string> value = Unquote(rhs);
      if (!value)
        return LineError(path, i, absl::StrCat(key, " must be a string"));
      (key == "name"      ? package.name
       : key == "version" ? package.version
                          : package.source) = *std::move(value);
    }
  }
  if (package.name.empty()) {
    return LineError(path, header_line, "package without a name");
  }
  return package;
}

}  // namespace

absl::StatusOr<Lockfile> Lockfile::Parse(std::string_view text,
                                         std::string_view path) {
  Lockfile lock;
  std::vector<std::string_view> lines = Split(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  const auto is_header = [&](size_t i) {
    return !lines[i].empty() && lines[i][0] == '[';
  };
  size_t i = 0;
  for (; i < lines.size() && !is_header(i); ++i) {
    lock.header_.append(lines[i]).append("\n");
  }
  while (i < lines.size()) {
    const std::string_view header = Trim(lines[i]);
    const size_t header_line = i;
    size_t end = i + 1;
    while (end < lines.size() && !is_header(end)) ++end;
    if (header == "[[package]]" || header == "[[patch.unused]]") {
      ASSIGN_OR_RETURN(LockPackage package,
                       ParsePackage(lines, header_line, end, path));
      (header == "[[package]]" ? lock.packages_ : lock.unused_patches_)
          .push_back(std::move(package));
    } else if (header == "[metadata]") {
      for (size_t j = header_line + 1; j < end; ++j) {
        if (!Trim(lines[j]).empty()) lock.metadata_.emplace_back(lines[j]);
      }
    } else {
      std::string block;
      for (size_t j = header_line; j < end; ++j)
        block.append(lines[j]).append("\n");
      while (block.size() >= 2 && block.substr(block.size() - 2) == "\n\n")
        block.pop_back();
      lock.other_blocks_.push_back(std::move(block));
    }
    i = end;
  }
  return lock;
}

std::string Lockfile::Format() const {
  std::vector<std::string> blocks;
  for (const LockPackage& package : packages_) {
    AppendPackage(package, "[[package]]", blocks.emplace_back());
  }
  for (const LockPackage& package : unused_patches_) {
    AppendPackage(package, "[[patch.unused]]", blocks.emplace_back());
  }
  if (!metadata_.empty()) {
    std::string& block = blocks.emplace_back("[metadata]\n");
    for (const std::string& line : metadata_)
      absl::StrAppend(&block, line, "\n");
  }
  for (const std::string& block : other_blocks_) blocks.push_back(block);
  std::string out = header_;
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (i > 0) out += "\n";
    out += blocks[i];
  }
  return out;
}

int Lockfile::Resolve(std::string_view reference) const {
  const Reference ref = ParseReference(reference);
  for (size_t i = 0; i < packages_.size(); ++i) {
    const LockPackage& p = packages_[i];
    if (p.name != ref.name) continue;
    if (!ref.version.empty() && p.version != ref.version) continue;
    if (!ref.source.empty() && !SameSource(p.source, ref.source)) continue;
    return static_cast<int>(i);
  }
  return -1;
}

void Lockfile::SetVersions(const std::map<int, std::string>& versions) {
  if (versions.empty()) return;
  // Only a reference to one of these names can resolve to a package in
  // `versions`: Resolve() the others not at all (it is a linear search).
  std::set<std::string_view> names;
  for (const auto& [index, version] : versions)
    names.insert(packages_[index].name);
  for (LockPackage& package : packages_) {
    bool changed = false;
    for (std::string& dep : package.dependencies) {
      if (!names.count(std::string_view(dep).substr(0, dep.find(' '))))
        continue;
      auto it = versions.find(Resolve(dep));
      if (it == versions.end()) continue;
      Reference ref = ParseReference(dep);
      if (ref.version.empty()) continue;
      ref.version = it->second;
      dep = FormatReference(ref);
      changed = true;
    }
    if (changed) {
      std::stable_sort(package.dependencies.begin(), package.dependencies.end(),
                       ReferenceLess);
    }
  }
  for (const auto& [index, version] : versions)
    packages_[index].version = version;
  std::stable_sort(packages_.begin(), packages_.end(),
                   [](const LockPackage& a, const LockPackage& b) {
                     if (a.name != b.name) return a.name < b.name;
                     return CompareVersions(a.version, b.version) < 0;
                   });
}

void Lockfile::Retain(const std::vector<bool>& keep,
                      const std::vector<std::string>& kept_patch_names) {
  std::vector<LockPackage> kept;
  for (size_t i = 0; i < packages_.size(); ++i) {
    if (keep[i]) kept.push_back(std::move(packages_[i]));
  }
  packages_ = std::move(kept);
  std::erase_if(unused_patches_, [&](const LockPackage& p) {
    return std::find(kept_patch_names.begin(), kept_patch_names.end(),
                     p.name) == kept_patch_names.end();
  });
  // v1 lockfiles: `"checksum NAME VERSION (SOURCE)" = "..."`.
  std::erase_if(metadata_, [&](const std::string& line) {
    constexpr std::string_view kPrefix = "\"checksum ";
    if (line.rfind(kPrefix, 0) != 0) return false;
    const size_t close = line.find('"', kPrefix.size());
    if (close == std::string::npos) return false;
    return Resolve(std::string_view(line).substr(kPrefix.size(),
                                                 close - kPrefix.size())) < 0;
  });
}

}  // namespace cook::chef
