#ifndef COOK_TESTS_LAYERS_TAR_TESTING_H_
#define COOK_TESTS_LAYERS_TAR_TESTING_H_

// Reads tar streams back with libarchive, and builds arbitrary (including
// malicious) ones, for the layers tests.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace cook::layers::testing {

struct TarEntry {
  std::string name;
  mode_t type = 0;  // S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFIFO...
  uint32_t perm = 0644;
  int64_t uid = 0;
  int64_t gid = 0;
  std::string uname;
  std::string gname;
  int64_t mtime = 0;
  bool atime_set = false;
  bool ctime_set = false;
  bool birthtime_set = false;
  std::string symlink;
  std::string hardlink;
  std::string data;
};

// Every entry of a tar stream (zstd, gzip or plain), contents included.
absl::StatusOr<std::vector<TarEntry>> ReadTar(std::string_view bytes);

// The decompressed bytes of a zstd, gzip or plain stream.
absl::StatusOr<std::string> Decompress(std::string_view bytes);

// A PAX tar of `entries` exactly as given: no sorting, no checks, so tests can
// build archives that a real writer never would.
std::string BuildTar(const std::vector<TarEntry>& entries);

// A regular file and a directory entry (0644 and 0755) with time `mtime`.
TarEntry FileEntry(std::string name, std::string data, int64_t mtime = 1700000000);
TarEntry DirEntry(std::string name, int64_t mtime = 1700000000);

}  // namespace cook::layers::testing

#endif  // COOK_TESTS_LAYERS_TAR_TESTING_H_
