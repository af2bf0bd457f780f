#include "oci/blob_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/files.h"
#include "base/interrupt.h"
#include "base/status_macros.h"
#include "layers/digest.h"

namespace cook::oci::internal {
namespace {

class VerifyingSource : public ByteSource {
 public:
  VerifyingSource(std::unique_ptr<ByteSource> inner, Descriptor expected,
                  std::string what)
      : inner_(std::move(inner)),
        expected_(std::move(expected)),
        what_(std::move(what)) {}

  absl::StatusOr<size_t> Read(char* buffer, size_t n) override {
    if (!status_.ok()) return status_;
    if (done_) return 0;
    absl::StatusOr<size_t> got = inner_->Read(buffer, n);
    if (!got.ok()) return status_ = Annotate(got.status(), Context());
    if (*got > 0) {
      count_ += *got;
      if (count_ > static_cast<uint64_t>(expected_.size)) {
        return status_ = absl::DataLossError(
                   absl::StrFormat("%s: more than the expected %d bytes",
                                   Context(), expected_.size));
      }
      hash_.Update(std::string_view(buffer, *got));
      return got;
    }
    done_ = true;
    if (count_ != static_cast<uint64_t>(expected_.size)) {
      return status_ = absl::DataLossError(
                 absl::StrFormat("%s: size mismatch: expected %d bytes, got %d",
                                 Context(), expected_.size, count_));
    }
    std::string actual = hash_.Finish();
    if (actual != expected_.digest) {
      return status_ = absl::DataLossError(
                 absl::StrFormat("%s: digest mismatch: expected %s, got %s",
                                 Context(), expected_.digest, actual));
    }
    return 0;
  }

 private:
  std::string Context() const { return absl::StrFormat("reading %s", what_); }

  std::unique_ptr<ByteSource> inner_;
  Descriptor expected_;
  std::string what_;
  layers::Sha256 hash_;
  uint64_t count_ = 0;
  bool done_ = false;
  absl::Status status_;
};

class FileRangeSource : public ByteSource {
 public:
  FileRangeSource(std::filesystem::path path, int fd, uint64_t offset,
                  uint64_t size)
      : path_(std::move(path)), fd_(fd), offset_(offset), left_(size) {}
  ~FileRangeSource() override { ::close(fd_); }

  absl::StatusOr<size_t> Read(char* buffer, size_t n) override {
    n = static_cast<size_t>(std::min<uint64_t>(n, left_));
    if (n == 0) return 0;
    while (true) {
      ssize_t got = ::pread(fd_, buffer, n, static_cast<off_t>(offset_));
      if (got < 0) {
        if (errno == EINTR) continue;
        return ErrnoError(errno, absl::StrFormat("reading %s", path_.string()));
      }
      if (got == 0) {
        return absl::DataLossError(
            absl::StrFormat("reading %s: file is truncated", path_.string()));
      }
      offset_ += static_cast<uint64_t>(got);
      left_ -= static_cast<uint64_t>(got);
      return static_cast<size_t>(got);
    }
  }

 private:
  std::filesystem::path path_;
  int fd_;
  uint64_t offset_;
  uint64_t left_;
};

}  // namespace

absl::StatusOr<uint64_t> CopyInterruptibly(ByteSource& source, ByteSink& sink) {
  std::vector<char> buffer(1 << 20);
  uint64_t total = 0;
  while (true) {
    RETURN_IF_ERROR(CheckInterrupted());
    ASSIGN_OR_RETURN(size_t n, source.Read(buffer.data(), buffer.size()));
    if (n == 0) return total;
    RETURN_IF_ERROR(sink.Write(std::string_view(buffer.data(), n)));
    total += n;
  }
}

std::unique_ptr<ByteSource> NewVerifyingSource(
    std::unique_ptr<ByteSource> inner, const Descriptor& expected,
    std::string what) {
  return std::make_unique<VerifyingSource>(std::move(inner), expected,
                                           std::move(what));
}

absl::StatusOr<std::unique_ptr<ByteSource>> OpenFileRange(
    const std::filesystem::path& path, uint64_t offset, uint64_t size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return ErrnoError(errno, absl::StrFormat("opening %s", path.string()));
  }
  return std::unique_ptr<ByteSource>(
      new FileRangeSource(path, fd, offset, size));
}

absl::Status WriteVerifiedFile(const Descriptor& descriptor, ByteSource& data,
                               const std::filesystem::path& dest,
                               std::string_view what) {
  const std::filesystem::path tmp = TempSibling(dest);
  ASSIGN_OR_RETURN(std::unique_ptr<FileSink> file, FileSink::Create(tmp));
  // Verify while copying: hash what flows into the file.
  layers::Sha256 hash;
  TeeSink tee(file.get(), &hash);
  ASSIGN_OR_RETURN(uint64_t n, CopyInterruptibly(data, tee));
  if (n != static_cast<uint64_t>(descriptor.size)) {
    return absl::DataLossError(
        absl::StrFormat("writing %s: size mismatch: expected %d bytes, got %d",
                        what, descriptor.size, n));
  }
  std::string actual = hash.Finish();
  if (actual != descriptor.digest) {
    return absl::DataLossError(
        absl::StrFormat("writing %s: digest mismatch: expected %s, got %s",
                        what, descriptor.digest, actual));
  }
  RETURN_IF_ERROR(file->Close());
  if (::rename(tmp.c_str(), dest.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoError(err, absl::StrFormat("renaming into %s", dest.string()));
  }
  return absl::OkStatus();
}

absl::Status PlaceBlobFile(const Descriptor& descriptor,
                           const std::filesystem::path& file, bool take,
                           const std::filesystem::path& dest,
                           std::string_view what) {
  struct stat st;
  if (::stat(file.c_str(), &st) != 0) {
    return ErrnoError(errno, absl::StrFormat("reading %s", file.string()));
  }
  if (static_cast<uint64_t>(st.st_size) !=
      static_cast<uint64_t>(descriptor.size)) {
    return absl::DataLossError(absl::StrFormat(
        "writing %s from %s: size mismatch: expected %d bytes, got %d", what,
        file.string(), descriptor.size, st.st_size));
  }
  if (take) {
    if (::rename(file.c_str(), dest.c_str()) == 0) return absl::OkStatus();
    if (errno != EXDEV) {
      return ErrnoError(errno, absl::StrFormat("moving %s to %s", file.string(),
                                               dest.string()));
    }
  }
  ASSIGN_OR_RETURN(std::unique_ptr<FileSource> source, FileSource::Open(file));
  return WriteVerifiedFile(descriptor, *source, dest, what);
}

absl::StatusOr<std::string> VerifiedMediaType(const RawManifest& manifest,
                                              std::string_view context) {
  RETURN_IF_ERROR(Annotate(
      VerifyDigest(manifest.bytes, manifest.digest, "the manifest"), context));
  if (!manifest.media_type.empty()) return manifest.media_type;
  return Annotate(DetectMediaType(manifest.bytes), context);
}

absl::Status SyncDirectory(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return ErrnoError(errno, absl::StrFormat("opening %s", dir.string()));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0)
    return ErrnoError(err, absl::StrFormat("syncing %s", dir.string()));
  return absl::OkStatus();
}

std::string BlobFileName(std::string_view digest) {
  return std::string(layers::DigestHex(digest));
}

}  // namespace cook::oci::internal
