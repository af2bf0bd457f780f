#include "tests/fuzz/fuzz_util.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <system_error>

#include "base/text.h"

namespace cook::fuzz {
namespace fs = std::filesystem;

void Check(bool ok, std::string_view what, std::string_view detail) {
  if (ok) return;
  std::fprintf(stderr, "fuzz check failed: %s: %s\n", std::string(what).c_str(),
               EscapeForDisplay(detail).c_str());
  std::abort();
}

void CheckOk(const absl::Status& status, std::string_view what) {
  Check(status.ok(), what, std::string(status.message()));
}

const fs::path& ProcessTempDir() {
  static const fs::path* dir = [] {
    const char* base = std::getenv("TEST_TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
        "/cook-fuzz-XXXXXX";
    Check(mkdtemp(pattern.data()) != nullptr, "creating a temporary directory",
          pattern);
    auto* path = new fs::path(pattern);
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(ProcessTempDir(), ec);
    });
    return path;
  }();
  return *dir;
}

void ResetDir(const fs::path& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) {
    // An input may have left directories without write or search permission.
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end;
         it.increment(ec)) {
      if (it->is_directory() && !it->is_symlink()) {
        fs::permissions(it->path(), fs::perms::owner_all,
                        fs::perm_options::add, ec);
      }
    }
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::add, ec);
    ec.clear();
    fs::remove_all(dir, ec);
  }
  Check(!ec, "removing a directory", dir.string());
  fs::create_directories(dir, ec);
  Check(!ec, "creating a directory", dir.string());
}

std::vector<std::string> ListTree(const fs::path& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end;
       it.increment(ec)) {
    out.push_back(it->path().lexically_relative(root).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool IsUnder(std::string_view entry, std::string_view dir) {
  return entry == dir || (entry.size() > dir.size() &&
                          entry.substr(0, dir.size()) == dir &&
                          entry[dir.size()] == '/');
}

void WriteFile(const fs::path& path, std::string_view contents) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
}

std::vector<FileSection> SplitSections(std::string_view input) {
  std::vector<FileSection> out;
  constexpr std::string_view kMarker = "@@ ";
  size_t pos = input.rfind(kMarker, 0) == 0 ? 0 : input.find("\n@@ ");
  if (pos == std::string_view::npos) return out;
  if (pos != 0) ++pos;  // at "@@ "
  while (pos != std::string_view::npos) {
    const size_t name_start = pos + kMarker.size();
    const size_t name_end = input.find('\n', name_start);
    const std::string_view name = input.substr(
        name_start, name_end == std::string_view::npos ? std::string_view::npos
                                                       : name_end - name_start);
    size_t next = name_end == std::string_view::npos
                      ? std::string_view::npos
                      : input.find("\n@@ ", name_end);
    std::string_view contents;
    if (name_end != std::string_view::npos && next != name_end) {
      const size_t body = name_end + 1;
      contents = input.substr(
          body, next == std::string_view::npos ? std::string_view::npos
                                               : next - body);
    }
    const fs::path path(name);
    bool safe = !name.empty() && path.is_relative() &&
                name.find('\0') == std::string_view::npos;
    for (const fs::path& part : path) {
      if (part == "..") safe = false;
    }
    if (safe) {
      out.push_back({std::string(name), std::string(contents)});
    }
    pos = next == std::string_view::npos ? next : next + 1;
  }
  return out;
}

std::string MakeTar(const std::vector<FileSection>& files) {
  std::string out;
  for (const FileSection& file : files) {
    char header[512] = {};
    std::snprintf(header, 100, "%s", file.path.c_str());
    std::snprintf(header + 100, 8, "%07o", 0644);
    std::snprintf(header + 108, 8, "%07o", 0);
    std::snprintf(header + 116, 8, "%07o", 0);
    std::snprintf(header + 124, 12, "%011zo", file.contents.size());
    std::snprintf(header + 136, 12, "%011o", 0);
    header[156] = '0';
    std::memcpy(header + 257, "ustar", 6);
    std::memcpy(header + 263, "00", 2);
    std::memset(header + 148, ' ', 8);
    unsigned sum = 0;
    for (unsigned char c : header) sum += c;
    std::snprintf(header + 148, 8, "%06o", sum);
    out.append(header, sizeof(header));
    out += file.contents;
    out.append((512 - file.contents.size() % 512) % 512, '\0');
  }
  out.append(1024, '\0');
  return out;
}

}  // namespace cook::fuzz
