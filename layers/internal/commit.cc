#include "layers/internal/commit.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/c_handle.h"
#include "base/files.h"
#include "base/status_macros.h"

namespace cook::layers::internal {
namespace {

// A directory (DIR*) owned for reading its entry names.
using DirReader = std::unique_ptr<DIR, FreeWith<&::closedir>>;

absl::StatusOr<std::vector<std::string>> ListDirectory(int fd,
                                                       std::string_view what) {
  const int copy = ::dup(fd);
  if (copy < 0) return ErrnoError(errno, what);
  DirReader dir(::fdopendir(copy));
  if (dir == nullptr) {
    const int err = errno;
    ::close(copy);
    return ErrnoError(err, what);
  }
  // The copy shares its offset with `fd`, which an earlier listing moved.
  ::rewinddir(dir.get());
  std::vector<std::string> names;
  while (true) {
    errno = 0;
    const struct dirent* e = ::readdir(dir.get());
    if (e == nullptr) {
      if (errno != 0) return ErrnoError(errno, what);
      break;
    }
    const std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    names.emplace_back(name);
  }
  return names;
}

absl::StatusOr<bool> IsEmptyDirectory(int parent, const std::string& name,
                                      const std::string& context) {
  Fd dir = OpenDirectoryAt(parent, name.c_str());
  if (!dir.valid()) return ErrnoError(errno, context);
  ASSIGN_OR_RETURN(std::vector<std::string> names,
                   ListDirectory(dir.get(), context));
  return names.empty();
}

class Mover {
 public:
  explicit Mover(const Staging& staged) : staged_(staged) {}

  // Moves the entries of staged directory `from` into `to` (`relative` is
  // their path below both). With `apply` false, only checks that nothing
  // is in the way.
  absl::Status MoveTree(int from, int to, const std::string& relative,
                        bool apply) {
    ASSIGN_OR_RETURN(
        std::vector<std::string> names,
        ListDirectory(from, absl::StrCat("listing the staged \"",
                                         ArchiveName(relative), "\"")));
    for (const std::string& name : names) {
      const std::string path =
          relative.empty() ? name : absl::StrCat(relative, "/", name);
      const std::string context =
          absl::StrFormat("moving \"%s\" into place", ArchiveName(path));
      struct stat staged;
      if (::fstatat(from, name.c_str(), &staged, AT_SYMLINK_NOFOLLOW) != 0) {
        return ErrnoError(errno, context);
      }
      struct stat existing;
      const bool exists =
          ::fstatat(to, name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0;
      if (!exists && errno != ENOENT) return ErrnoError(errno, context);
      if (S_ISDIR(staged.st_mode) && exists && S_ISDIR(existing.st_mode)) {
        Fd staged_dir = OpenDirectoryAt(from, name.c_str());
        if (!staged_dir.valid()) return ErrnoError(errno, context);
        Fd existing_dir = OpenDirectoryAt(to, name.c_str());
        if (!existing_dir.valid()) return ErrnoError(errno, context);
        RETURN_IF_ERROR(
            MoveTree(staged_dir.get(), existing_dir.get(), path, apply));
        continue;
      }
      if (exists) {
        RETURN_IF_ERROR(
            ClearTheWay(to, name, path, staged, existing, context, apply));
      }
      if (apply && ::renameat(from, name.c_str(), to, name.c_str()) != 0) {
        return ErrnoError(errno, context);
      }
    }
    return absl::OkStatus();
  }

 private:
  // The archive name of `relative` (a path below the strip prefix).
  std::string ArchiveName(const std::string& relative) const {
    const Components& prefix = staged_.prefix();
    if (prefix.empty()) return relative;
    return absl::StrCat(Join(prefix, prefix.size()), "/", relative);
  }

  // `name` in `to` (at `path`) is where staged `name` goes: refuses to write
  // through it, and (with `apply`) removes what the rename cannot replace.
  absl::Status ClearTheWay(int to, const std::string& name,
                           const std::string& path, const struct stat& staged,
                           const struct stat& existing,
                           const std::string& context, bool apply) {
    if (S_ISDIR(staged.st_mode) && !staged_.explicit_dirs().contains(path)) {
      return RefuseNotADirectory(ArchiveName(path), existing.st_mode, path);
    }
    int removal = 0;
    if (S_ISDIR(existing.st_mode)) {
      removal = AT_REMOVEDIR;
      ASSIGN_OR_RETURN(bool empty, IsEmptyDirectory(to, name, context));
      if (!empty) {
        return absl::FailedPreconditionError(absl::StrFormat(
            "%s: a non-empty directory is in the way", context));
      }
    }
    // A file or symlink in the way is replaced by the rename itself; only a
    // directory (or a file where a directory goes) is removed.
    if (apply && (removal != 0 || S_ISDIR(staged.st_mode)) &&
        ::unlinkat(to, name.c_str(), removal) != 0) {
      return ErrnoError(errno, context);
    }
    return absl::OkStatus();
  }

  const Staging& staged_;
};

}  // namespace

absl::Status MoveIntoPlace(const Staging& staged) {
  Mover mover(staged);
  RETURN_IF_ERROR(mover.MoveTree(staged.staging_fd(), staged.dest_fd(), "",
                                 /*apply=*/false));
  return mover.MoveTree(staged.staging_fd(), staged.dest_fd(), "",
                        /*apply=*/true);
}

// Directory modes and mtimes are set last, in the destination: creating
// their contents would change the mtimes, and a read-only mode would stop
// the extraction. The deepest directories come last in archive order, so
// walk backwards.
absl::Status FinishDirectories(const Staging& staged) {
  const std::vector<PendingDir>& dirs = staged.dirs();
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
    Fd dir;
    int fd = staged.dest_fd();
    bool gone = false;
    for (const std::string& c : it->comps) {
      Fd next = OpenDirectoryAt(fd, c.c_str());
      if (!next.valid()) {
        // A later entry replaced it with a file or symlink: nothing to do.
        if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) {
          gone = true;
          break;
        }
        return ErrnoError(errno, EntryContext(it->name));
      }
      dir = std::move(next);
      fd = dir.get();
    }
    if (gone) continue;
    if (::fchmod(fd, it->mode) != 0)
      return ErrnoError(errno, EntryContext(it->name));
    if (staged.keep_mtimes()) {
      struct timespec times[2] = {it->mtime, it->mtime};
      if (::futimens(fd, times) != 0)
        return ErrnoError(errno, EntryContext(it->name));
    }
  }
  return absl::OkStatus();
}

}  // namespace cook::layers::internal
