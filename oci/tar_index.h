#ifndef COOK_OCI_TAR_INDEX_H_
#define COOK_OCI_TAR_INDEX_H_

// Private to oci: where each member's bytes lie in an uncompressed
// tar file, so that members can be read in place (pread) without extracting
// them. Understands ustar, pax ('x' records: path, linkpath, size) and GNU
// long names ('L', 'K'), which covers what docker, podman and skopeo write.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace cook::oci::internal {

struct TarMember {
  uint64_t offset = 0;  // of the first data byte in the file
  uint64_t size = 0;
  char type =
      '0';  // tar typeflag: '0' file, '1' hard link, '2' symlink, '5' dir
  std::string linkname;  // for links
};

class TarIndex {
 public:
  // Scans the tar at `path`. Corrupt headers (bad checksum) and truncated
  // archives are DataLoss errors naming `path`.
  static absl::StatusOr<TarIndex> Build(const std::filesystem::path& path);

  // The regular file `name` ("./" prefixes ignored), following hard links and
  // symlinks inside the archive. NotFound when absent or not a file.
  absl::StatusOr<TarMember> Find(std::string_view name) const;

  const std::map<std::string, TarMember>& members() const { return members_; }

 private:
  std::map<std::string, TarMember> members_;
};

// "a/./b/../c/" -> "a/c"; leading "/" and "./" dropped.
std::string NormalizeTarName(std::string_view name);

}  // namespace cook::oci::internal

#endif  // COOK_OCI_TAR_INDEX_H_
