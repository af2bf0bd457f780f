#include "tests/layers/tar_testing.h"

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>
#include <sys/stat.h>

#include <cstdlib>
#include <memory>
#include <utility>

#include "absl/strings/str_format.h"
#include "base/c_handle.h"
#include "base/io.h"
#include "base/status_macros.h"
#include "layers/compressor.h"

namespace cook::layers::testing {
namespace {

using ArchiveReader = std::unique_ptr<archive, FreeWith<&archive_read_free>>;
using ArchiveWriter = std::unique_ptr<archive, FreeWith<&archive_write_free>>;
using ArchiveEntry =
    std::unique_ptr<archive_entry, FreeWith<&archive_entry_free>>;

la_ssize_t AppendToString(struct archive*, void* client, const void* buffer,
                          size_t length) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buffer),
                                            length);
  return static_cast<la_ssize_t>(length);
}

// Like the code under test, reads and writes names in a UTF-8 thread
// locale, so that they pass byte for byte whatever the process locale is.
class Utf8ThreadLocale {
 public:
  Utf8ThreadLocale() : previous_(uselocale(Utf8())) {}
  ~Utf8ThreadLocale() { uselocale(previous_); }
  Utf8ThreadLocale(const Utf8ThreadLocale&) = delete;
  Utf8ThreadLocale& operator=(const Utf8ThreadLocale&) = delete;

 private:
  static locale_t Utf8() {
    static const locale_t utf8 =
        newlocale(LC_CTYPE_MASK, "C.UTF-8", locale_t{});
    return utf8;
  }
  locale_t previous_;
};

}  // namespace

absl::StatusOr<std::string> Decompress(std::string_view bytes) {
  StringSource in(bytes);
  ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source, NewDecompressor(&in));
  std::string out;
  StringSink sink(&out);
  RETURN_IF_ERROR(Copy(*source, sink).status());
  return out;
}

absl::StatusOr<std::vector<TarEntry>> ReadTar(std::string_view bytes) {
  ASSIGN_OR_RETURN(std::string tar, Decompress(bytes));
  Utf8ThreadLocale locale;
  ArchiveReader a(archive_read_new());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_memory(a.get(), tar.data(), tar.size()) != ARCHIVE_OK) {
    return absl::InvalidArgumentError(archive_error_string(a.get()));
  }
  std::vector<TarEntry> entries;
  archive_entry* e = nullptr;
  while (true) {
    int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) {
      return absl::InvalidArgumentError(
          absl::StrFormat("reading tar: %s", archive_error_string(a.get())));
    }
    TarEntry t;
    const char* name = archive_entry_pathname(e);
    t.name = name != nullptr ? name : "";
    t.type = archive_entry_filetype(e);
    t.perm = archive_entry_perm(e);
    t.uid = archive_entry_uid(e);
    t.gid = archive_entry_gid(e);
    if (const char* s = archive_entry_uname(e)) t.uname = s;
    if (const char* s = archive_entry_gname(e)) t.gname = s;
    t.mtime = archive_entry_mtime(e);
    t.atime_set = archive_entry_atime_is_set(e);
    t.ctime_set = archive_entry_ctime_is_set(e);
    t.birthtime_set = archive_entry_birthtime_is_set(e);
    if (const char* s = archive_entry_symlink(e)) t.symlink = s;
    if (const char* s = archive_entry_hardlink(e)) t.hardlink = s;
    char buffer[65536];
    while (true) {
      la_ssize_t n = archive_read_data(a.get(), buffer, sizeof buffer);
      if (n < 0) {
        return absl::InvalidArgumentError(archive_error_string(a.get()));
      }
      if (n == 0) break;
      t.data.append(buffer, static_cast<size_t>(n));
    }
    entries.push_back(std::move(t));
  }
  return entries;
}

std::string BuildTar(const std::vector<TarEntry>& entries) {
  Utf8ThreadLocale locale;
  std::string out;
  ArchiveWriter a(archive_write_new());
  archive_write_set_format_pax(a.get());
  archive_write_set_bytes_per_block(a.get(), 0);
  archive_write_open(a.get(), &out, nullptr, &AppendToString, nullptr);
  for (const TarEntry& t : entries) {
    ArchiveEntry e(archive_entry_new());
    archive_entry_copy_pathname(e.get(), t.name.c_str());
    archive_entry_set_filetype(e.get(), t.type);
    archive_entry_set_perm(e.get(), t.perm);
    archive_entry_set_mtime(e.get(), t.mtime, 0);
    if (!t.symlink.empty())
      archive_entry_copy_symlink(e.get(), t.symlink.c_str());
    if (!t.hardlink.empty())
      archive_entry_copy_hardlink(e.get(), t.hardlink.c_str());
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(t.data.size()));
    if (archive_write_header(a.get(), e.get()) < ARCHIVE_WARN) std::abort();
    if (!t.data.empty())
      archive_write_data(a.get(), t.data.data(), t.data.size());
  }
  archive_write_close(a.get());
  return out;
}

TarEntry FileEntry(std::string name, std::string data, int64_t mtime) {
  TarEntry e;
  e.name = std::move(name);
  e.type = S_IFREG;
  e.data = std::move(data);
  e.mtime = mtime;
  return e;
}

TarEntry DirEntry(std::string name, int64_t mtime) {
  TarEntry e;
  e.name = std::move(name);
  e.type = S_IFDIR;
  e.perm = 0755;
  e.mtime = mtime;
  return e;
}

}  // namespace cook::layers::testing
