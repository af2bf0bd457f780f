#ifndef COOK_TESTS_FUZZ_FUZZ_UTIL_H_
#define COOK_TESTS_FUZZ_FUZZ_UTIL_H_

// Small helpers shared by the fuzz targets. A failed check aborts: libFuzzer
// and the replay tests both count that as a crash.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace cook::fuzz {

// Aborts with `what` (and `detail`, escaped) on stderr when `ok` is false.
void Check(bool ok, std::string_view what, std::string_view detail = "");
// Aborts with `what` and the status's message unless `status` is OK.
void CheckOk(const absl::Status& status, std::string_view what);

// A directory private to this process, created on first use under
// $TEST_TMPDIR or /tmp and removed at exit.
const std::filesystem::path& ProcessTempDir();

// Removes everything inside `dir` and recreates it empty.
void ResetDir(const std::filesystem::path& dir);

// Every path below `root` (not following symlinks), relative to it, sorted.
std::vector<std::string> ListTree(const std::filesystem::path& root);

// Whether the relative path `entry` is `dir` or lies below it.
bool IsUnder(std::string_view entry, std::string_view dir);

// Writes `contents` to `path`, creating parent directories.
void WriteFile(const std::filesystem::path& path, std::string_view contents);

// An input of several named files: sections that each start with a line
// "@@ RELATIVE/PATH" followed by the file's bytes up to the next such line
// (the newline before it belongs to the separator). Text before the first
// section is ignored. Names that are empty, absolute or hold ".." are
// dropped, so a section can only name a file inside the directory it is
// written to.
struct FileSection {
  std::string path;
  std::string contents;
};
std::vector<FileSection> SplitSections(std::string_view input);

// A plain ustar archive holding each section as a regular file (mode 0644,
// mtime 0). Names longer than 100 bytes are cut.
std::string MakeTar(const std::vector<FileSection>& files);

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

}  // namespace cook::fuzz

#endif  // COOK_TESTS_FUZZ_FUZZ_UTIL_H_
