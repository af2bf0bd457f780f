#include "layers/extractor.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <set>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/c_handle.h"
#include "base/files.h"
#include "base/interrupt.h"
#include "base/status_macros.h"
#include "base/text.h"
#include "layers/compressor.h"
#include "layers/digest.h"
#include "layers/internal/utf8_locale.h"

namespace cook::layers {
namespace {

using ArchiveReader = std::unique_ptr<archive, FreeWith<&archive_read_free>>;
using internal::ScopedUtf8Locale;

constexpr size_t kChunk = 1 << 20;

// The staging directory's name in `dest`; archive entries may not use it.
constexpr char kStagingPrefix[] = ".cook-extract-";

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  // Closes now, reporting the error close() can give for a written file.
  int Close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd_ = -1;
};

using Components = std::vector<std::string>;

absl::Status Refuse(std::string_view name, std::string_view reason) {
  return absl::InvalidArgumentError(
      absl::StrFormat("refusing archive entry \"%s\": %s",
                      EscapeForDisplay(name), EscapeForDisplay(reason)));
}

// Splits an archive path into components, dropping empty and "."
// components (tar writers commonly emit "./x"). Returns why the path is
// unsafe, or nullptr.
const char* SplitArchivePath(std::string_view path, Components* out) {
  out->clear();
  if (!path.empty() && path.front() == '/') return "absolute path";
  while (!path.empty()) {
    const size_t slash = path.find('/');
    std::string_view c = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view()
                                           : path.substr(slash + 1);
    if (c.empty() || c == ".") continue;
    if (c == "..") return "path contains \"..\"";
    out->emplace_back(c);
  }
  return nullptr;
}

// Removes `prefix` from the front of `comps`; false if `comps` is not under it.
bool StripPrefix(const Components& prefix, Components* comps) {
  if (comps->size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if ((*comps)[i] != prefix[i]) return false;
  }
  comps->erase(comps->begin(),
               comps->begin() + static_cast<std::ptrdiff_t>(prefix.size()));
  return true;
}

std::string Join(const Components& comps, size_t n) {
  return absl::StrJoin(comps.begin(),
                       comps.begin() + static_cast<std::ptrdiff_t>(n), "/");
}

// Passes bytes through and hashes them: the diff_id of what was read.
class HashingSource : public ByteSource {
 public:
  explicit HashingSource(ByteSource* in) : in_(in) {}
  absl::StatusOr<size_t> Read(char* buffer, size_t n) override {
    ASSIGN_OR_RETURN(size_t got, in_->Read(buffer, n));
    hash_.Update(std::string_view(buffer, got));
    return got;
  }
  std::string Finish() { return hash_.Finish(); }

 private:
  ByteSource* in_;
  Sha256 hash_;
};

// Reads `in` to its end, so that every layer of sources below (decompressor,
// digest and size verification) sees the whole blob.
absl::Status Drain(ByteSource& in, std::vector<char>& buffer) {
  while (true) {
    RETURN_IF_ERROR(CheckInterrupted());
    ASSIGN_OR_RETURN(size_t n, in.Read(buffer.data(), buffer.size()));
    if (n == 0) return absl::OkStatus();
  }
}

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

struct ReadContext {
  ByteSource* source;
  std::vector<char> buffer = std::vector<char>(kChunk);
  absl::Status status;
};

la_ssize_t ReadCallback(struct archive*, void* client, const void** buffer) {
  auto* ctx = static_cast<ReadContext*>(client);
  absl::StatusOr<size_t> n =
      ctx->source->Read(ctx->buffer.data(), ctx->buffer.size());
  if (!n.ok()) {
    ctx->status = n.status();
    return -1;
  }
  *buffer = ctx->buffer.data();
  return static_cast<la_ssize_t>(*n);
}

class Extractor {
 public:
  // Entries are written under `staging` and moved into `dest` by
  // MoveIntoPlace().
  Extractor(archive* a, ReadContext* ctx, Fd staging, Fd dest,
            Components prefix, const ExtractOptions& options)
      : a_(a),
        ctx_(ctx),
        root_(std::move(staging)),
        dest_(std::move(dest)),
        prefix_(std::move(prefix)),
        options_(options),
        buffer_(kChunk) {}

  absl::Status Entry(archive_entry* e) {
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
      return Refuse(
          name,
          absl::StrFormat("hardlink target \"%s\" is outside the destination",
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
        return File(name, comps, mode, times);
    }
  }

  // Moves everything staged into `dest`, all or nothing as far as the file
  // system allows: a first pass finds every conflict that would stop the
  // move (and moves nothing), the second renames. Each rename is atomic, so
  // every name in `dest` holds a complete file at every moment.
  absl::Status MoveIntoPlace() {
    chain_.clear();
    RETURN_IF_ERROR(MoveTree(root_.get(), dest_.get(), "", /*apply=*/false));
    return MoveTree(root_.get(), dest_.get(), "", /*apply=*/true);
  }

  // Directory modes and mtimes are set last, in `dest`: creating their
  // contents would change the mtimes, and a read-only mode would stop the
  // extraction. The deepest directories come last in archive order, so walk
  // backwards. Not interruptible: the layer is in place already.
  absl::Status FinishDirectories() {
    chain_.clear();
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
      Fd dir;
      int fd = dest_.get();
      bool gone = false;
      for (const std::string& c : it->comps) {
        Fd next(::openat(fd, c.c_str(),
                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (next.get() < 0) {
          // A later entry replaced it with a file or symlink: nothing to do.
          if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) {
            gone = true;
            break;
          }
          return ErrnoError(errno, Context(it->name));
        }
        dir = std::move(next);
        fd = dir.get();
      }
      if (gone) continue;
      if (::fchmod(fd, it->mode) != 0)
        return ErrnoError(errno, Context(it->name));
      if (options_.keep_mtimes) {
        struct timespec times[2] = {it->mtime, it->mtime};
        if (::futimens(fd, times) != 0)
          return ErrnoError(errno, Context(it->name));
      }
    }
    return absl::OkStatus();
  }

 private:
  struct PendingDir {
    std::string name;
    Components comps;
    mode_t mode;
    struct timespec mtime;
  };

  static std::string Context(std::string_view name) {
    return absl::StrFormat("extracting \"%s\"", EscapeForDisplay(name));
  }

  // The archive name of `relative` (a path below the strip prefix).
  std::string ArchiveName(const std::string& relative) const {
    if (prefix_.empty()) return relative;
    return absl::StrCat(Join(prefix_, prefix_.size()), "/", relative);
  }

  // Moves the entries of staged directory `from` into `to` (`relative` is
  // their path below both). With `apply` false, only checks that nothing
  // is in the way. A staged directory is renamed whole where `to` has
  // nothing, merged where `to` has a directory, and replaces a file or
  // symlink only if the archive listed it (otherwise the archive meant to
  // write through that name, which the extractor never does).
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
        const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
        Fd staged_dir(::openat(from, name.c_str(), flags));
        if (staged_dir.get() < 0) return ErrnoError(errno, context);
        Fd existing_dir(::openat(to, name.c_str(), flags));
        if (existing_dir.get() < 0) return ErrnoError(errno, context);
        RETURN_IF_ERROR(
            MoveTree(staged_dir.get(), existing_dir.get(), path, apply));
        continue;
      }
      if (exists) {
        if (S_ISDIR(staged.st_mode) && !explicit_dirs_.contains(path)) {
          return Refuse(
              ArchiveName(path),
              S_ISLNK(existing.st_mode)
                  ? absl::StrFormat("path goes through symlink \"%s\"", path)
                  : absl::StrFormat("\"%s\" is not a directory", path));
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
        // A file or symlink in the way is replaced by the rename itself;
        // only a directory (or a file where a directory goes) is removed.
        if (apply && (removal != 0 || S_ISDIR(staged.st_mode)) &&
            ::unlinkat(to, name.c_str(), removal) != 0) {
          return ErrnoError(errno, context);
        }
      }
      if (apply && ::renameat(from, name.c_str(), to, name.c_str()) != 0) {
        return ErrnoError(errno, context);
      }
    }
    return absl::OkStatus();
  }

  static absl::StatusOr<bool> IsEmptyDirectory(int parent,
                                               const std::string& name,
                                               const std::string& context) {
    Fd dir(::openat(parent, name.c_str(),
                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (dir.get() < 0) return ErrnoError(errno, context);
    ASSIGN_OR_RETURN(std::vector<std::string> names,
                     ListDirectory(dir.get(), context));
    return names.empty();
  }

  absl::Status ReadError() {
    if (!ctx_->status.ok()) return Annotate(ctx_->status, "reading layer");
    const char* message = archive_error_string(a_);
    return absl::InvalidArgumentError(
        absl::StrFormat("reading layer: %s",
                        message != nullptr ? message : "libarchive error"));
  }

  // Opens comps[i] inside `dir` as a directory, never following a symlink.
  // Creates it (0755, less the umask) when missing and `create` is set.
  absl::StatusOr<Fd> OpenStep(int dir, std::string_view name,
                              const Components& comps, size_t i, bool create) {
    const char* c = comps[i].c_str();
    const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    Fd fd(::openat(dir, c, flags));
    if (fd.get() < 0 && errno == ENOENT && create) {
      RETURN_IF_ERROR(CheckDestPath(name, comps, i));
      if (::mkdirat(dir, c, 0755) != 0 && errno != EEXIST) {
        return ErrnoError(errno, Context(name));
      }
      fd = Fd(::openat(dir, c, flags));
    }
    if (fd.get() >= 0) return fd;
    const int err = errno;
    struct stat st;
    if (::fstatat(dir, c, &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (S_ISLNK(st.st_mode)) {
        return Refuse(name, absl::StrFormat("path goes through symlink \"%s\"",
                                            Join(comps, i + 1)));
      }
      if (!S_ISDIR(st.st_mode)) {
        return Refuse(name, absl::StrFormat("\"%s\" is not a directory",
                                            Join(comps, i + 1)));
      }
    }
    return ErrnoError(err, absl::StrFormat("%s: opening \"%s\"", Context(name),
                                           Join(comps, i + 1)));
  }

  // Before a directory comps[0..i] is made in staging for a later entry:
  // refuses, as extracting in place would, if `dest` has a symlink or file
  // on that path that no directory entry of this layer replaces (the entry
  // meant to go through it).
  absl::Status CheckDestPath(std::string_view name, const Components& comps,
                             size_t i) {
    Fd dir;
    int fd = dest_.get();
    for (size_t j = 0; j <= i; ++j) {
      struct stat st;
      const char* c = comps[j].c_str();
      // Missing (or unreadable: moving into place will say) is no conflict.
      if (::fstatat(fd, c, &st, AT_SYMLINK_NOFOLLOW) != 0) break;
      if (S_ISDIR(st.st_mode)) {
        dir = Fd(
            ::openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (dir.get() < 0) break;
        fd = dir.get();
        continue;
      }
      const std::string path = Join(comps, j + 1);
      if (explicit_dirs_.contains(path)) break;
      if (S_ISLNK(st.st_mode)) {
        return Refuse(
            name, absl::StrFormat("path goes through symlink \"%s\"", path));
      }
      return Refuse(name, absl::StrFormat("\"%s\" is not a directory", path));
    }
    return absl::OkStatus();
  }

  // The directory comps[0..n), created as needed, through the cache of the
  // directories the previous entry used: archives list siblings together,
  // so most entries reuse the whole chain.
  absl::StatusOr<int> OpenParent(std::string_view name,
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
  absl::StatusOr<Fd> OpenExisting(int root, std::string_view name,
                                  const Components& comps, size_t n) {
    Fd dir;
    int fd = root;
    for (size_t i = 0; i < n; ++i) {
      ASSIGN_OR_RETURN(dir, OpenStep(fd, name, comps, i, /*create=*/false));
      fd = dir.get();
    }
    if (n == 0) dir = Fd(::dup(root));
    if (dir.get() < 0) return ErrnoError(errno, Context(name));
    return dir;
  }

  // Clears the way for a new entry: an existing file or symlink is unlinked
  // (never written through: it may be a hard link or symlink to a file
  // outside `dest`), an empty directory removed.
  absl::Status RemoveExisting(int dir, std::string_view name,
                              const std::string& leaf) {
    struct stat st;
    if (::fstatat(dir, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return absl::OkStatus();
      return ErrnoError(errno, Context(name));
    }
    const int flags = S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0;
    if (::unlinkat(dir, leaf.c_str(), flags) != 0) {
      if (errno == ENOTEMPTY || errno == EEXIST) {
        return absl::FailedPreconditionError(absl::StrFormat(
            "%s: a non-empty directory is in the way", Context(name)));
      }
      return ErrnoError(errno, Context(name));
    }
    return absl::OkStatus();
  }

  absl::Status Directory(const std::string& name, const Components& comps,
                         mode_t mode, struct timespec mtime) {
    ASSIGN_OR_RETURN(int parent, OpenParent(name, comps));
    const std::string& leaf = comps.back();
    struct stat st;
    const bool exists =
        ::fstatat(parent, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (!exists || !S_ISDIR(st.st_mode)) {
      if (exists) RETURN_IF_ERROR(RemoveExisting(parent, name, leaf));
      // Owner-writable until FinishDirectories() sets the real mode.
      if (::mkdirat(parent, leaf.c_str(), 0700) != 0) {
        return ErrnoError(errno, Context(name));
      }
    }
    dirs_.push_back({name, comps, mode, mtime});
    explicit_dirs_.insert(Join(comps, comps.size()));
    return absl::OkStatus();
  }

  absl::Status File(const std::string& name, const Components& comps,
                    mode_t mode, const struct timespec times[2]) {
    ASSIGN_OR_RETURN(int parent, OpenParent(name, comps));
    const std::string& leaf = comps.back();
    RETURN_IF_ERROR(RemoveExisting(parent, name, leaf));
    Fd fd(::openat(parent, leaf.c_str(),
                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.get() < 0) return ErrnoError(errno, Context(name));
    while (true) {
      RETURN_IF_ERROR(CheckInterrupted());
      const la_ssize_t n =
          archive_read_data(a_, buffer_.data(), buffer_.size());
      if (n < 0) return ReadError();
      if (n == 0) break;
      std::string_view data(buffer_.data(), static_cast<size_t>(n));
      while (!data.empty()) {
        const ssize_t w = ::write(fd.get(), data.data(), data.size());
        if (w < 0) {
          if (errno == EINTR) continue;
          return ErrnoError(errno, Context(name));
        }
        data.remove_prefix(static_cast<size_t>(w));
      }
    }
    if (::fchmod(fd.get(), mode) != 0) return ErrnoError(errno, Context(name));
    if (options_.keep_mtimes && ::futimens(fd.get(), times) != 0) {
      return ErrnoError(errno, Context(name));
    }
    if (fd.Close() != 0) return ErrnoError(errno, Context(name));
    return absl::OkStatus();
  }

  // The link is stored as-is and may point anywhere: it is never followed,
  // since every later path is opened with O_NOFOLLOW one component at a time.
  absl::Status Symlink(const std::string& name, const Components& comps,
                       const char* target, const struct timespec times[2]) {
    if (target == nullptr || *target == '\0') {
      return Refuse(name, "symlink without a target");
    }
    ASSIGN_OR_RETURN(int parent, OpenParent(name, comps));
    const std::string& leaf = comps.back();
    RETURN_IF_ERROR(RemoveExisting(parent, name, leaf));
    if (::symlinkat(target, parent, leaf.c_str()) != 0) {
      return ErrnoError(errno, Context(name));
    }
    if (options_.keep_mtimes &&
        ::utimensat(parent, leaf.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoError(errno, Context(name));
    }
    return absl::OkStatus();
  }

  absl::Status Hardlink(const std::string& name, const Components& comps,
                        const Components& target) {
    if (comps == target) return Refuse(name, "hardlink to itself");
    // The target is an earlier entry of this layer, or else a file that an
    // earlier layer put in `dest`.
    const int root = Staged(target) ? root_.get() : dest_.get();
    ASSIGN_OR_RETURN(Fd target_dir,
                     OpenExisting(root, name, target, target.size() - 1));
    ASSIGN_OR_RETURN(int parent, OpenParent(name, comps));
    const std::string& leaf = comps.back();
    RETURN_IF_ERROR(RemoveExisting(parent, name, leaf));
    // No AT_SYMLINK_FOLLOW: if the target is a symlink, the link is to the
    // symlink itself, which stays inside `dest`.
    if (::linkat(target_dir.get(), target.back().c_str(), parent, leaf.c_str(),
                 0) != 0) {
      return ErrnoError(errno,
                        absl::StrFormat("%s: linking to \"%s\"", Context(name),
                                        Join(target, target.size())));
    }
    return absl::OkStatus();
  }

  // Whether the path `comps` leads into what this layer staged: false only
  // when a component is missing there. (A symlink or file on the way counts
  // as staged, so that linking through it is refused as it should be.)
  bool Staged(const Components& comps) {
    Fd dir;
    int fd = root_.get();
    for (const std::string& c : comps) {
      struct stat st;
      if (::fstatat(fd, c.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        return errno != ENOENT;
      }
      if (&c == &comps.back() || !S_ISDIR(st.st_mode)) return true;
      dir = Fd(::openat(fd, c.c_str(),
                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (dir.get() < 0) return true;
      fd = dir.get();
    }
    return true;
  }

  archive* a_;
  ReadContext* ctx_;
  Fd root_;  // the staging directory
  Fd dest_;
  Components prefix_;
  const ExtractOptions& options_;
  std::vector<char> buffer_;
  std::vector<std::pair<std::string, Fd>> chain_;
  std::vector<PendingDir> dirs_;
  std::set<std::string> explicit_dirs_;  // relative paths of directory entries
};

}  // namespace

absl::Status ExtractLayer(ByteSource& in, const std::filesystem::path& dest,
                          const ExtractOptions& options) {
  const std::string context =
      absl::StrFormat("extracting layer into %s", dest.string());
  // A leading "/" is harmless in a prefix: archive names are relative.
  std::string_view strip_prefix = options.strip_prefix;
  while (!strip_prefix.empty() && strip_prefix.front() == '/') {
    strip_prefix.remove_prefix(1);
  }
  Components prefix;
  if (const char* problem = SplitArchivePath(strip_prefix, &prefix)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "strip prefix \"%s\": %s", EscapeForDisplay(options.strip_prefix),
        problem));
  }
  Fd root(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) return ErrnoError(errno, context);
  // Staged inside `dest`, so that moving into place is a rename.
  std::string staging_name =
      (dest / absl::StrCat(kStagingPrefix, "XXXXXX")).string();
  if (::mkdtemp(staging_name.data()) == nullptr) {
    return ErrnoError(errno,
                      absl::StrCat(context, ": creating a staging directory"));
  }
  const std::filesystem::path staging_path = staging_name;
  // Whatever happens, the staging directory goes: after success it holds
  // only the emptied directories that were merged into existing ones.
  absl::Cleanup remove_staging = [&staging_path] {
    std::error_code ec;
    std::filesystem::remove_all(staging_path, ec);
  };
  Fd staging(::open(staging_path.c_str(),
                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (staging.get() < 0) return ErrnoError(errno, context);
  ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source,
                   Annotate(NewDecompressor(&in), context));
  HashingSource tar_stream(source.get());

  ScopedUtf8Locale locale;
  ArchiveReader a(archive_read_new());
  if (a == nullptr)
    return absl::ResourceExhaustedError("creating a tar reader");
  ReadContext ctx{&tar_stream};
  Extractor extractor(a.get(), &ctx, std::move(staging), std::move(root),
                      std::move(prefix), options);
  // Plain tar only (PAX, ustar, GNU): decompression happened above. "empty"
  // accepts a zero-length layer.
  if (archive_read_support_format_tar(a.get()) != ARCHIVE_OK ||
      archive_read_support_format_empty(a.get()) != ARCHIVE_OK ||
      archive_read_open(a.get(), &ctx, nullptr, &ReadCallback, nullptr) !=
          ARCHIVE_OK) {
    if (!ctx.status.ok()) return Annotate(ctx.status, context);
    const char* message = archive_error_string(a.get());
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: %s", context, message != nullptr ? message : "unreadable tar"));
  }
  while (true) {
    RETURN_IF_ERROR(CheckInterrupted());
    archive_entry* entry = nullptr;
    const int rc = archive_read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    // ARCHIVE_WARN: e.g. a name that did not convert; the entry is usable.
    if (rc < ARCHIVE_WARN) {
      if (!ctx.status.ok()) return Annotate(ctx.status, context);
      const char* message = archive_error_string(a.get());
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: %s", context, message != nullptr ? message : "unreadable tar"));
    }
    RETURN_IF_ERROR(extractor.Entry(entry));
  }
  // The tar ends before the blob does (end marker, padding): what follows
  // is read too, or a blob altered there would never fail its digest.
  RETURN_IF_ERROR(Annotate(Drain(tar_stream, ctx.buffer), context));
  if (!options.diff_id.empty()) {
    const std::string actual = tar_stream.Finish();
    if (actual != options.diff_id) {
      return absl::DataLossError(absl::StrFormat(
          "%s: the uncompressed layer is %s but its diff_id is %s", context,
          actual, options.diff_id));
    }
  }
  RETURN_IF_ERROR(Annotate(extractor.MoveIntoPlace(), context));
  return Annotate(extractor.FinishDirectories(), context);
}

}  // namespace cook::layers
