#ifndef COOK_BASE_FILES_H_
#define COOK_BASE_FILES_H_

// Small file helpers with absl::Status errors. Errors name the path.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
// ErrnoError and FsError, which callers of these helpers use with them.
#include "base/errors.h"

namespace cook {

absl::StatusOr<std::string> ReadFile(const std::filesystem::path& path);

// Like ReadFile, for files from outside that are read into memory whole:
// FailedPrecondition "reading PATH: larger than N bytes, the most cook reads
// into memory" when the file holds more than `max_size` bytes (found without
// reading more than `max_size` + 1 of them).
absl::StatusOr<std::string> ReadFileAtMost(const std::filesystem::path& path,
                                           int64_t max_size);

enum class Durability {
  kSync,     // fsync before the rename: survives a power loss
  kNoSync,   // rename only: survives an interrupted process, which is all a
             // file that is cheap to make again needs
};

// Writes `contents` to a temporary file beside `path` and renames it over
// `path`: readers see the old file or the new one, never a part.
absl::Status WriteFileAtomically(const std::filesystem::path& path,
                                 std::string_view contents,
                                 Durability durability = Durability::kSync);

// A unique, not yet existing sibling path of `path`, for write-then-rename.
std::filesystem::path TempSibling(const std::filesystem::path& path);

}  // namespace cook

#endif  // COOK_BASE_FILES_H_
