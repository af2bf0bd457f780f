#include "layers/tar_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/c_handle.h"
#include "base/fd.h"
#include "base/files.h"
#include "base/interrupt.h"
#include "base/status_macros.h"
#include "layers/internal/utf8_locale.h"

namespace cook::layers {
namespace {

using ArchiveWriter = std::unique_ptr<archive, FreeWith<&archive_write_free>>;
using ArchiveEntry =
    std::unique_ptr<archive_entry, FreeWith<&archive_entry_free>>;
using internal::ScopedUtf8Locale;

constexpr size_t kChunk = 1 << 20;

std::string_view StripTrailingSlashes(std::string_view path) {
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  return path;
}

// Splits off the first component of `path`.
std::string_view NextComponent(std::string_view& path) {
  const size_t slash = path.find('/');
  std::string_view component = path.substr(0, slash);
  path = slash == std::string_view::npos ? std::string_view()
                                         : path.substr(slash + 1);
  return component;
}

absl::Status ValidateName(std::string_view name, std::string_view what) {
  std::string_view rest = name;
  const char* problem = nullptr;
  if (name.empty()) {
    problem = "is empty";
  } else if (name.front() == '/') {
    problem = "is absolute";
  } else if (name.back() == '/') {
    problem = "ends in \"/\"";
  } else {
    while (!rest.empty() && problem == nullptr) {
      std::string_view c = NextComponent(rest);
      if (c.empty() || c == "." || c == "..") {
        problem = "has an empty, \".\" or \"..\" component";
      }
    }
  }
  if (problem == nullptr) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrFormat("archive %s \"%s\" %s", what, name, problem));
}

}  // namespace

bool ArchivePathLess(std::string_view a, std::string_view b) {
  a = StripTrailingSlashes(a);
  b = StripTrailingSlashes(b);
  while (true) {
    if (a.empty()) return !b.empty();
    if (b.empty()) return false;
    // std::string_view compares char_traits<char>-wise, i.e. as unsigned
    // bytes, so UTF-8 names sort by code point whatever the locale.
    const int c = NextComponent(a).compare(NextComponent(b));
    if (c != 0) return c < 0;
  }
}

struct TarWriter::Impl {
  ~Impl() {
    // archive_write_free() closes the archive and writes the end-of-archive
    // blocks, which would make a partial tar look complete: they are
    // discarded. (archive_write_fail() would skip the close, but libarchive
    // 3.6 then leaks the client writer's state.)
    if (!finished) discard = true;
    ScopedUtf8Locale locale;
    archive.reset();
  }

  static la_ssize_t WriteCallback(struct archive*, void* client,
                                  const void* buffer, size_t length) {
    auto* impl = static_cast<Impl*>(client);
    if (impl->discard) return static_cast<la_ssize_t>(length);
    absl::Status status = impl->sink->Write(
        std::string_view(static_cast<const char*>(buffer), length));
    if (!status.ok()) {
      // Reported through `sink_status`, which every caller checks: a failed
      // callback would make libarchive skip its close in
      // archive_write_free() and leak (see ~Impl).
      impl->sink_status = std::move(status);
      impl->discard = true;
      return static_cast<la_ssize_t>(length);
    }
    impl->bytes += length;
    return static_cast<la_ssize_t>(length);
  }

  // The error for a failed libarchive call; made sticky.
  absl::Status Fail(std::string_view context) {
    if (!sink_status.ok()) {
      error = Annotate(sink_status, context);
    } else {
      const char* message = archive_error_string(archive.get());
      error = absl::InternalError(
          absl::StrFormat("%s: %s", context,
                          message != nullptr ? message : "libarchive error"));
    }
    return error;
  }

  absl::Status WriteHeader(std::string_view name, unsigned int type,
                           uint32_t mode, int64_t size,
                           std::string_view symlink = {},
                           std::string_view hardlink = {}) {
    RETURN_IF_ERROR(error);
    if (finished) {
      return absl::FailedPreconditionError(
          absl::StrFormat("archiving \"%s\": the archive is finished", name));
    }
    RETURN_IF_ERROR(ValidateName(name, "name"));
    if (!last_name.empty() && !ArchivePathLess(last_name, name)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "archiving \"%s\": entries must arrive sorted and unique, but it "
          "follows \"%s\"",
          name, last_name));
    }
    ArchiveEntry entry(archive_entry_new());
    if (entry == nullptr) {
      return absl::ResourceExhaustedError("allocating an archive entry");
    }
    // Only these fields are set; nothing is copied from a struct stat, so no
    // atime, ctime, birthtime, dev, ino, nlink or xattrs reach the PAX
    // headers, and the pathname is given as-is (no "./" prefix).
    archive_entry_copy_pathname(entry.get(), std::string(name).c_str());
    archive_entry_set_filetype(entry.get(), type);
    archive_entry_set_perm(entry.get(), mode & 07777);
    archive_entry_set_size(entry.get(), size);
    archive_entry_set_mtime(entry.get(), mtime, 0);
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    archive_entry_copy_uname(entry.get(), "");
    archive_entry_copy_gname(entry.get(), "");
    if (!symlink.empty()) {
      archive_entry_copy_symlink(entry.get(), std::string(symlink).c_str());
    }
    if (!hardlink.empty()) {
      archive_entry_copy_hardlink(entry.get(), std::string(hardlink).c_str());
    }
    // ARCHIVE_WARN: a name that is not valid UTF-8 was stored as raw bytes
    // with "hdrcharset=BINARY"; the entry itself is complete.
    if (archive_write_header(archive.get(), entry.get()) < ARCHIVE_WARN ||
        !sink_status.ok()) {
      return Fail(absl::StrFormat("archiving \"%s\"", name));
    }
    last_name = std::string(name);
    return absl::OkStatus();
  }

  ByteSink* sink = nullptr;
  int64_t mtime = 0;
  ArchiveWriter archive;
  absl::Status sink_status;
  absl::Status error;
  std::string last_name;
  bool finished = false;
  // Set when the writer is abandoned or its sink failed: what libarchive
  // still writes is dropped.
  bool discard = false;
  uint64_t bytes = 0;
  std::vector<char> buffer;
};

TarWriter::TarWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TarWriter::TarWriter(TarWriter&&) noexcept = default;
TarWriter& TarWriter::operator=(TarWriter&&) noexcept = default;
TarWriter::~TarWriter() = default;

absl::StatusOr<TarWriter> TarWriter::Create(ByteSink* sink, absl::Time epoch) {
  ScopedUtf8Locale locale;
  auto impl = std::make_unique<Impl>();
  impl->sink = sink;
  impl->mtime = absl::ToUnixSeconds(epoch);
  impl->archive.reset(archive_write_new());
  if (impl->archive == nullptr) {
    return absl::ResourceExhaustedError("creating a tar writer");
  }
  archive* a = impl->archive.get();
  // Full PAX (not "restricted") so long and non-ASCII names and link
  // targets get their "path"/"linkpath" records. Block size 0: no 10240-byte
  // blocking, the stream ends right after the two zero blocks.
  if (archive_write_set_format_pax(a) != ARCHIVE_OK ||
      archive_write_set_bytes_per_block(a, 0) != ARCHIVE_OK ||
      archive_write_open2(a, impl.get(), nullptr, &Impl::WriteCallback, nullptr,
                          nullptr) != ARCHIVE_OK) {
    return impl->Fail("creating a tar writer");
  }
  impl->buffer.resize(kChunk);
  return TarWriter(std::move(impl));
}

absl::Status TarWriter::AddFile(const std::filesystem::path& src,
                                std::string_view name) {
  ScopedUtf8Locale locale;
  RETURN_IF_ERROR(impl_->error);
  const std::string context = absl::StrFormat("archiving %s", src.string());
  Fd file(::open(src.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!file.valid()) {
    if (errno == ELOOP) {
      return absl::FailedPreconditionError(
          absl::StrFormat("%s: it became a symlink", context));
    }
    return ErrnoError(errno, context);
  }
  const int fd = file.get();
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoError(errno, context);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s: not a regular file", context));
  }
  RETURN_IF_ERROR(impl_->WriteHeader(name, AE_IFREG, st.st_mode, st.st_size));

  // The header promised st_size bytes; a file that shrinks or grows while
  // it is read would give a corrupt or silently truncated entry.
  uint64_t remaining = static_cast<uint64_t>(st.st_size);
  while (remaining > 0) {
    if (absl::Status s = CheckInterrupted(); !s.ok()) {
      impl_->error = s;
      return s;
    }
    const size_t want = std::min<uint64_t>(remaining, impl_->buffer.size());
    const absl::StatusOr<size_t> n =
        ReadFull(fd, impl_->buffer.data(), want, context);
    if (!n.ok()) {
      impl_->error = n.status();
      return impl_->error;
    }
    if (*n == 0) {
      impl_->error = absl::FailedPreconditionError(
          absl::StrFormat("%s: the file shrank while it was read", context));
      return impl_->error;
    }
    const la_ssize_t written =
        archive_write_data(impl_->archive.get(), impl_->buffer.data(), *n);
    if (written != static_cast<la_ssize_t>(*n) || !impl_->sink_status.ok()) {
      return impl_->Fail(context);
    }
    remaining -= *n;
  }
  char extra;
  const absl::StatusOr<size_t> extra_read = ReadFull(fd, &extra, 1, context);
  if (!extra_read.ok() || *extra_read != 0) {
    impl_->error = extra_read.ok()
                       ? absl::FailedPreconditionError(absl::StrFormat(
                             "%s: the file grew while it was read", context))
                       : extra_read.status();
    return impl_->error;
  }
  return absl::OkStatus();
}

absl::Status TarWriter::AddDirectory(std::string_view name, uint32_t mode) {
  ScopedUtf8Locale locale;
  return impl_->WriteHeader(name, AE_IFDIR, mode, 0);
}

absl::Status TarWriter::AddSymlink(std::string_view name,
                                   std::string_view target) {
  ScopedUtf8Locale locale;
  if (target.empty()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("archiving symlink \"%s\": empty target", name));
  }
  return impl_->WriteHeader(name, AE_IFLNK, 0777, 0, target);
}

absl::Status TarWriter::AddHardlink(std::string_view name,
                                    std::string_view target, uint32_t mode) {
  ScopedUtf8Locale locale;
  RETURN_IF_ERROR(ValidateName(target, "hardlink target"));
  if (!ArchivePathLess(target, name)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "archiving hardlink \"%s\": its target \"%s\" must come earlier", name,
        target));
  }
  return impl_->WriteHeader(name, AE_IFREG, mode, 0, {}, target);
}

absl::Status TarWriter::Finish() {
  ScopedUtf8Locale locale;
  RETURN_IF_ERROR(impl_->error);
  if (impl_->finished) return absl::OkStatus();
  if (archive_write_close(impl_->archive.get()) != ARCHIVE_OK ||
      !impl_->sink_status.ok()) {
    return impl_->Fail("finishing the tar stream");
  }
  impl_->finished = true;
  return absl::OkStatus();
}

uint64_t TarWriter::bytes_written() const { return impl_->bytes; }

}  // namespace cook::layers
