#include "layers/extractor.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/c_handle.h"
#include "base/files.h"
#include "base/interrupt.h"
#include "base/status_macros.h"
#include "layers/compressor.h"
#include "layers/internal/utf8_locale.h"

namespace cook::layers {
namespace {

using ArchiveReader = std::unique_ptr<archive, FreeWith<&archive_read_free>>;
using internal::ScopedUtf8Locale;

constexpr size_t kChunk = 1 << 20;

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
      absl::StrFormat("refusing archive entry \"%s\": %s", name, reason));
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
  Extractor(archive* a, ReadContext* ctx, Fd root, Components prefix,
            const ExtractOptions& options)
      : a_(a),
        ctx_(ctx),
        root_(std::move(root)),
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

  // Directory modes and mtimes are set last: creating their contents would
  // change the mtimes, and a read-only mode would stop the extraction. The
  // deepest directories come last in archive order, so walk backwards.
  absl::Status FinishDirectories() {
    chain_.clear();
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
      RETURN_IF_ERROR(CheckInterrupted());
      Fd dir;
      int fd = root_.get();
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
    return absl::StrFormat("extracting \"%s\"", name);
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

  // The directory comps[0..n) without the cache (whose fds OpenParent may
  // close) and without creating anything.
  absl::StatusOr<Fd> OpenExisting(std::string_view name,
                                  const Components& comps, size_t n) {
    Fd dir;
    int fd = root_.get();
    for (size_t i = 0; i < n; ++i) {
      ASSIGN_OR_RETURN(dir, OpenStep(fd, name, comps, i, /*create=*/false));
      fd = dir.get();
    }
    if (n == 0) dir = Fd(::dup(root_.get()));
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
    ASSIGN_OR_RETURN(Fd target_dir,
                     OpenExisting(name, target, target.size() - 1));
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

  archive* a_;
  ReadContext* ctx_;
  Fd root_;
  Components prefix_;
  const ExtractOptions& options_;
  std::vector<char> buffer_;
  std::vector<std::pair<std::string, Fd>> chain_;
  std::vector<PendingDir> dirs_;
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
        "strip prefix \"%s\": %s", options.strip_prefix, problem));
  }
  Fd root(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) return ErrnoError(errno, context);
  ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source,
                   Annotate(NewDecompressor(&in), context));

  ScopedUtf8Locale locale;
  ArchiveReader a(archive_read_new());
  if (a == nullptr)
    return absl::ResourceExhaustedError("creating a tar reader");
  ReadContext ctx{source.get()};
  Extractor extractor(a.get(), &ctx, std::move(root), std::move(prefix),
                      options);
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
  return extractor.FinishDirectories();
}

}  // namespace cook::layers
