#ifndef COOK_LAYERS_INTERNAL_STAGING_H_
#define COOK_LAYERS_INTERNAL_STAGING_H_

// The extractor's first half: each archive entry, checked and written into
// a private staging directory inside the destination. Nothing appears in the
// destination itself until commit.h moves the staged tree into place.

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <time.h>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/fd.h"
#include "layers/internal/entry_path.h"

namespace cook::layers::internal {

// The name prefix of the staging directory in the destination; archive
// entries may not use it.
inline constexpr char kStagingPrefix[] = ".cook-extract-";

// Opens `name` in directory `dir` as a directory, never following a
// symlink (O_NOFOLLOW); an invalid Fd (errno set) when that fails.
Fd OpenDirectoryAt(int dir, const char* name);

// A directory entry whose mode and mtime are set after the move into place.
struct PendingDir {
  std::string name;  // in the archive
  Components comps;  // below the strip prefix
  mode_t mode;
  struct timespec mtime;
};

// Writes entries under `staging`, checking each against what `dest` already
// holds. Not thread-safe.
class Staging {
 public:
  // `a` is the archive being read; `read_status` is where its read callback
  // leaves the error of the source below. Both must outlive the reading
  // (until FinishReading()). `prefix`: only entries under it are staged,
  // with it stripped. With `defer_dest_checks`, nothing `dest` holds is
  // consulted while staging (earlier layers may not be in it yet): the
  // conflicts CheckDestPath finds are left to MoveIntoPlace, which finds
  // them against `dest` as it is then, and a hardlink to a file not staged
  // in this layer is refused with NeedsDestError().
  Staging(archive* a, const absl::Status* read_status, Fd staging, Fd dest,
          Components prefix, bool keep_mtimes, bool defer_dest_checks = false);

  // Checks and stages one entry (reading a file's data from the archive).
  // Refuses (InvalidArgument, naming the entry) anything that would land
  // outside `dest`, device nodes and FIFOs.
  absl::Status Entry(archive_entry* e);

  // Ends the reading: closes the directories kept open between entries and
  // forgets the archive.
  void FinishReading();

  int staging_fd() const { return root_.get(); }
  int dest_fd() const { return dest_.get(); }
  const Components& prefix() const { return prefix_; }
  bool keep_mtimes() const { return keep_mtimes_; }
  // The directory entries, in archive order.
  const std::vector<PendingDir>& dirs() const { return dirs_; }
  // The relative paths of the directory entries.
  const std::set<std::string>& explicit_dirs() const { return explicit_dirs_; }

 private:
  absl::Status ReadError();
  absl::StatusOr<Fd> OpenStep(int dir, std::string_view name,
                              const Components& comps, size_t i, bool create);
  absl::Status CheckDestPath(std::string_view name, const Components& comps,
                             size_t i);
  absl::StatusOr<int> OpenParent(std::string_view name,
                                 const Components& comps);
  absl::StatusOr<Fd> OpenExisting(int root, std::string_view name,
                                  const Components& comps, size_t n);
  absl::Status RemoveExisting(int dir, std::string_view name,
                              const std::string& leaf);
  absl::Status Directory(const std::string& name, const Components& comps,
                         mode_t mode, struct timespec mtime);
  // `size`: the entry's size, which a sparse file's trailing hole makes up.
  absl::Status File(const std::string& name, const Components& comps,
                    mode_t mode, const struct timespec times[2], int64_t size);
  absl::Status Symlink(const std::string& name, const Components& comps,
                       const char* target, const struct timespec times[2]);
  absl::Status Hardlink(const std::string& name, const Components& comps,
                        const Components& target);
  bool Staged(const Components& comps);

  archive* a_;
  const absl::Status* read_status_;
  Fd root_;  // the staging directory
  Fd dest_;
  Components prefix_;
  bool keep_mtimes_;
  bool defer_dest_checks_;
  std::vector<std::pair<std::string, Fd>> chain_;
  std::vector<PendingDir> dirs_;
  std::set<std::string> explicit_dirs_;
};

// The error of a hardlink that names a file outside its own layer while
// dest checks are deferred: the layer must be staged again once the
// layers before it are in place. IsNeedsDestError() recognises it.
absl::Status NeedsDestError(std::string_view name);
bool IsNeedsDestError(const absl::Status& status);

// "extracting \"`name`\"" (escaped for display): the context of an error
// about one entry.
std::string EntryContext(std::string_view name);

}  // namespace cook::layers::internal

#endif  // COOK_LAYERS_INTERNAL_STAGING_H_
