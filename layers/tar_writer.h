#ifndef COOK_LAYERS_TAR_WRITER_H_
#define COOK_LAYERS_TAR_WRITER_H_

// A reproducible PAX tar stream written into a ByteSink.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/io.h"

namespace cook::layers {

// Writes a reproducible tar stream (PAX format, as libarchive writes it):
// every entry has uid/gid 0, empty user and group names and the mtime
// `epoch` (whole seconds); no atime, ctime, device, inode, link count,
// extended attributes or other host-specific fields are written. Names are
// stored as given, byte for byte, whatever the process locale.
//
// Names are relative archive paths without "." or ".." components and
// without leading or trailing "/" ("build/target/x"). They must arrive in
// ArchivePathLess order, so parents come before their children; an entry out
// of order is an InvalidArgument error. The writer does not add missing
// parent directories.
//
// Not thread-safe. Errors are sticky: after one, only destruction is useful.
class TarWriter {
 public:
  // `sink` must outlive the writer.
  static absl::StatusOr<TarWriter> Create(ByteSink* sink, absl::Time epoch);
  TarWriter(TarWriter&&) noexcept;
  TarWriter& operator=(TarWriter&&) noexcept;
  // Does not write the end-of-archive blocks (see Finish()).
  ~TarWriter();

  // Adds the regular file at `src` (not followed if it is a symlink) with its
  // permission bits (mode & 07777) and streams its contents in chunks. A file
  // that changes size while it is read is an error.
  absl::Status AddFile(const std::filesystem::path& src, std::string_view name);
  absl::Status AddDirectory(std::string_view name, uint32_t mode = 0755);
  // `target` is stored verbatim and need not exist. The mode is 0777.
  absl::Status AddSymlink(std::string_view name, std::string_view target);
  // A hard link to `target`, a regular file added earlier in this archive;
  // `mode` should be that file's.
  absl::Status AddHardlink(std::string_view name, std::string_view target,
                           uint32_t mode);

  // Writes the end-of-archive blocks. The destructor does not, so a failed
  // build never leaves a tar that looks complete. Does not close the sink.
  absl::Status Finish();

  // Bytes handed to the sink so far.
  uint64_t bytes_written() const;

 private:
  struct Impl;
  explicit TarWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The order of entries in a reproducible archive: path components compared
// one by one, byte-wise (unsigned). "a" < "a/b" < "a.txt", so every directory
// is immediately followed by its contents. Trailing "/" is ignored.
bool ArchivePathLess(std::string_view a, std::string_view b);

}  // namespace cook::layers

#endif  // COOK_LAYERS_TAR_WRITER_H_
