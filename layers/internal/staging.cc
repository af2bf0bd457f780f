#include "layers/internal/staging.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/files.h"
#include "base/interrupt.h"
#include "base/status_macros.h"
#include "base/text.h"

namespace cook::layers::internal {
namespace {

constexpr char kNeedsDestPayload[] = "cook.dev/extract/needs-dest";

}  // namespace

absl::Status NeedsDestError(std::string_view name) {
  absl::Status status = absl::FailedPreconditionError(absl::StrFormat(
      "%s: a hardlink to a file of an earlier layer", EntryContext(name)));
  status.SetPayload(kNeedsDestPayload, absl::Cord());
  return status;
}

bool IsNeedsDestError(const absl::Status& status) {
  return status.GetPayload(kNeedsDestPayload).has_value();
}

Fd OpenDirectoryAt(int dir, const char* name) {
  return Fd(
      ::openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

std::string EntryContext(std::string_view name) {
  return absl::StrFormat("extracting \"%s\"", EscapeForDisplay(name));
}

Staging::Staging(archive* a, const absl::Status* read_status, Fd staging,
                 Fd dest, Components prefix, bool keep_mtimes,
                 bool defer_dest_checks)
    : a_(a),
      read_status_(read_status),
      root_(std::move(staging)),
      dest_(std::move(dest)),
      prefix_(std::move(prefix)),
      keep_mtimes_(keep_mtimes),
      defer_dest_checks_(defer_dest_checks) {}

void Staging::FinishReading() {
  chain_.clear();
  a_ = nullptr;
  read_status_ = nullptr;
}

absl::Status Staging::Entry(archive_entry* e) {
  const char* raw_name = archive_entry_pathname(e);
  if (raw_name == nullptr) {
    return absl::InvalidArgumentError("reading layer: an entry has no name");
  }
  const std::string name = raw_name;
  Components comps;
  if (const char* problem = SplitArchivePath(name, &comps)) {
    return Refuse(name, problem);
  }
  const char* hardlink = archive_entry_hardlink(e);
  Components target;
  if (hardlink != nullptr) {
    if (const char* problem = SplitArchivePath(hardlink, &target)) {
      return Refuse(name, absl::StrFormat("hardlink target \"%s\": %s",
                                          hardlink, problem));
    }
  } else {
    switch (archive_entry_filetype(e)) {
      case AE_IFREG:
      case AE_IFDIR:
      case AE_IFLNK:
        break;
      case AE_IFCHR:
      case AE_IFBLK:
        return Refuse(name, "device nodes are not allowed");
      case AE_IFIFO:
        return Refuse(name, "FIFOs are not allowed");
      default:
        return Refuse(name, "unsupported entry type");
    }
  }

  if (!StripPrefix(prefix_, &comps) || comps.empty()) {
    return absl::OkStatus();  // outside `strip_prefix`, or the root itself
  }
  if (absl::StartsWith(comps.front(), kStagingPrefix)) {
    return Refuse(name, "the name is reserved for cook's staging directory");
  }
  if (hardlink != nullptr &&
      (!StripPrefix(prefix_, &target) || target.empty())) {
    return Refuse(name, absl::StrFormat(
                            "hardlink target \"%s\" is outside the destination",
                            hardlink));
  }

  struct timespec times[2];
  times[0].tv_sec = archive_entry_mtime(e);
  times[0].tv_nsec = archive_entry_mtime_nsec(e);
  times[1] = times[0];
  const mode_t mode = archive_entry_perm(e) & 07777;

  if (hardlink != nullptr) return Hardlink(name, comps, target);
  switch (archive_entry_filetype(e)) {
    case AE_IFDIR:
      return Directory(name, comps, mode, times[1]);
    case AE_IFLNK:
      return Symlink(name, comps, archive_entry_symlink(e), times);
    default:
      return File(name, comps, mode, times,
                  archive_entry_size_is_set(e) ? archive_entry_size(e) : 0);
  }
}

absl::Status Staging::ReadError() {
  if (!read_status_->ok()) return Annotate(*read_status_, "reading layer");
  const char* message = archive_error_string(a_);
  return absl::InvalidArgumentError(absl::StrFormat(
      "reading layer: %s", message != nullptr ? message : "libarchive error"));
}

// Opens comps[i] inside `dir` as a directory, never following a symlink.
// Creates it (0755, less the umask) when missing and `create` is set.
absl::StatusOr<Fd> Staging::OpenStep(int dir, std::string_view name,
                                     const Components& comps, size_t i,
                                     bool create) {
  const char* c = comps[i].c_str();
  Fd fd = OpenDirectoryAt(dir, c);
  if (fd.get() < 0 && errno == ENOENT && create) {
    RETURN_IF_ERROR(CheckDestPath(name, comps, i));
    if (::mkdirat(dir, c, 0755) != 0 && errno != EEXIST) {
      return ErrnoError(errno, EntryContext(name));
    }
    fd = OpenDirectoryAt(dir, c);
  }
  if (fd.valid()) return fd;
  const int err = errno;
  struct stat st;
  if (::fstatat(dir, c, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
      !S_ISDIR(st.st_mode)) {
    return RefuseNotADirectory(name, st.st_mode, Join(comps, i + 1));
  }
  return ErrnoError(err,
                    absl::StrFormat("%s: opening \"%s\"", EntryContext(name),
                                    Join(comps, i + 1)));
}

// Before a directory comps[0..i] is made in staging for a later entry:
// refuses, as extracting in place would, if `dest` has a symlink or file
// on that path that no directory entry of this layer replaces (the entry
// meant to go through it).
absl::Status Staging::CheckDestPath(std::string_view name,
                                    const Components& comps, size_t i) {
  if (defer_dest_checks_) return absl::OkStatus();
  Fd dir;
  int fd = dest_.get();
  for (size_t j = 0; j <= i; ++j) {
    struct stat st;
    const char* c = comps[j].c_str();
    // Missing (or unreadable: moving into place will say) is no conflict.
    if (::fstatat(fd, c, &st, AT_SYMLINK_NOFOLLOW) != 0) break;
    if (S_ISDIR(st.st_mode)) {
      dir = OpenDirectoryAt(fd, c);
      if (dir.get() < 0) break;
      fd = dir.get();
      continue;
    }
    const std::string path = Join(comps, j + 1);
    if (explicit_dirs_.contains(path)) break;
    return RefuseNotADirectory(name, st.st_mode, path);
  }
  return absl::OkStatus();
}

// The directory comps[0..n), created as needed, through the cache of the
// directories the previous entry used: archives list siblings together,
// so most entries reuse the whole chain.
absl::StatusOr<int> Staging::OpenParent(std::string_view name,
                                        const Components& comps) {
  const size_t n = comps.size() - 1;
  size_t k = 0;
  while (k < chain_.size() && k < n && chain_[k].first == comps[k]) ++k;
  chain_.erase(chain_.begin() + static_cast<std::ptrdiff_t>(k), chain_.end());
  int fd = k == 0 ? root_.get() : chain_.back().second.get();
  for (size_t i = k; i < n; ++i) {
    ASSIGN_OR_RETURN(Fd next, OpenStep(fd, name, comps, i, /*create=*/true));
    fd = next.get();
    chain_.emplace_back(comps[i], std::move(next));
  }
  return fd;
}

// The directory comps[0..n) below `root` without the cache (whose fds
// OpenParent may close) and without creating anything.
absl::StatusOr<Fd> Staging::OpenExisting(int root, std::string_view name,
                                         const Components& comps, size_t n) {
  Fd dir;
  int fd = root;
  for (size_t i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(dir, OpenStep(fd, name, comps, i, /*create=*/false));
    fd = dir.get();
  }
  if (n == 0) dir = Fd(::dup(root));
  if (dir.get() < 0) return ErrnoError(errno, EntryContext(name));
  return dir;
}

// Clears the way for a new entry: an existing file or symlink is unlinked
// (never written through: it may be a hard link or symlink to a file
// outside `dest`), an empty directory removed.
absl::Status Staging::RemoveExisting(int dir, std::string_view name,
                                     const std::string& leaf) {
  struct stat st;
  if (::fstatat(dir, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoError(errno, EntryContext(name));
  }
  const int flags = S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0;
  if (::unlinkat(dir, leaf.c_str(), flags) != 0) {
    if (errno == ENOTEMPTY || errno == EEXIST) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "%s: a non-empty directory is in the way", EntryContext(name)));
    }
    return ErrnoError(errno, EntryContext(name));
  }
  return absl::OkStatus();
}

absl::Status Staging::Directory(const std::string& name,
                                const Components& comps, mode_t mode,
                                struct timespec mtime) {
  ASSIGN_OR_RETURN(int parent, OpenParent(name, comps));
  const std::string& leaf = comps.back();
  struct stat st;
  const bool exists =
      ::fstatat(parent, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
  if (!exists || !S_ISDIR(st.st_mode)) {
    if (exists) RETURN_IF_ERROR(RemoveExisting(parent, name, leaf));
    // Owner-writable until FinishDirectories() sets the real mode.
    if (::mkdirat(parent, leaf.c_str(), 0700) != 0) {
      return ErrnoError(errno, EntryContext(name));
    }
  }
  dirs_.push_back({name, comps, mode, mtime});
  explicit_dirs_.insert(Join(comps, comps.size()));
  return absl::OkStatus();
}

absl::Status Staging::File(const std::string& name, const Components& comps,
                           mode_t mode, const struct timespec times[2],
                           int64_t size) {
  ASSIGN_OR_RETURN(int parent, OpenParent(name, comps));
  const std::string& leaf = comps.back();
  RETURN_IF_ERROR(RemoveExisting(parent, name, leaf));
  Fd fd(::openat(parent, leaf.c_str(),
                 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (fd.get() < 0) return ErrnoError(errno, EntryContext(name));
  // The data straight from libarchive's buffer, without a copy. A block
  // that starts past the end written so far follows a hole (sparse entry).
  int64_t end = 0;
  while (true) {
    RETURN_IF_ERROR(CheckInterrupted());
    const void* block = nullptr;
    size_t n = 0;
    la_int64_t offset = 0;
    const int rc = archive_read_data_block(a_, &block, &n, &offset);
    if (rc == ARCHIVE_EOF) break;
    if ((rc != ARCHIVE_OK && rc != ARCHIVE_WARN) || offset < end) return ReadError();
    if (offset > end && ::lseek(fd.get(), offset, SEEK_SET) < 0) {
      return ErrnoError(errno, EntryContext(name));
    }
    RETURN_IF_ERROR(WriteAll(
        fd.get(), std::string_view(static_cast<const char*>(block), n),
        EntryContext(name)));
    end = offset + static_cast<int64_t>(n);
  }
  if (end < size && ::ftruncate(fd.get(), size) != 0) {
    return ErrnoError(errno, EntryContext(name));
  }
  if (::fchmod(fd.get(), mode) != 0)
    return ErrnoError(errno, EntryContext(name));
  if (keep_mtimes_ && ::futimens(fd.get(), times) != 0) {
    return ErrnoError(errno, EntryContext(name));
  }
  return fd.Close(EntryContext(name));
}

// The link is stored as-is and may point anywhere: it is never followed,
// since every later path is opened with O_NOFOLLOW one component at a time.
absl::Status Staging::Symlink(const std::string& name, const Components& comps,
                              const char* target,
                              const struct timespec times[2]) {
  if (target == nullptr || *target == '\0') {
    return Refuse(name, "symlink without a target");
  }
  ASSIGN_OR_RETURN(int parent, OpenParent(name, comps));
  const std::string& leaf = comps.back();
  RETURN_IF_ERROR(RemoveExisting(parent, name, leaf));
  if (::symlinkat(target, parent, leaf.c_str()) != 0) {
    return ErrnoError(errno, EntryContext(name));
  }
  if (keep_mtimes_ &&
      ::utimensat(parent, leaf.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoError(errno, EntryContext(name));
  }
  return absl::OkStatus();
}

absl::Status Staging::Hardlink(const std::string& name, const Components& comps,
                               const Components& target) {
  if (comps == target) return Refuse(name, "hardlink to itself");
  // The target is an earlier entry of this layer, or else a file that an
  // earlier layer put in `dest`.
  const bool staged = Staged(target);
  if (!staged && defer_dest_checks_) return NeedsDestError(name);
  const int root = staged ? root_.get() : dest_.get();
  ASSIGN_OR_RETURN(Fd target_dir,
                   OpenExisting(root, name, target, target.size() - 1));
  ASSIGN_OR_RETURN(int parent, OpenParent(name, comps));
  const std::string& leaf = comps.back();
  RETURN_IF_ERROR(RemoveExisting(parent, name, leaf));
  // No AT_SYMLINK_FOLLOW: if the target is a symlink, the link is to the
  // symlink itself, which stays inside `dest`.
  if (::linkat(target_dir.get(), target.back().c_str(), parent, leaf.c_str(),
               0) != 0) {
    return ErrnoError(
        errno, absl::StrFormat("%s: linking to \"%s\"", EntryContext(name),
                               Join(target, target.size())));
  }
  return absl::OkStatus();
}

// Whether the path `comps` leads into what this layer staged: false only
// when a component is missing there. (A symlink or file on the way counts
// as staged, so that linking through it is refused as it should be.)
bool Staging::Staged(const Components& comps) {
  Fd dir;
  int fd = root_.get();
  for (const std::string& c : comps) {
    struct stat st;
    if (::fstatat(fd, c.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return errno != ENOENT;
    }
    if (&c == &comps.back() || !S_ISDIR(st.st_mode)) return true;
    dir = OpenDirectoryAt(fd, c.c_str());
    if (dir.get() < 0) return true;
    fd = dir.get();
  }
  return true;
}

}  // namespace cook::layers::internal
