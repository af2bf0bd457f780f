#include "base/io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/fd.h"
#include "base/files.h"
#include "base/status_macros.h"

namespace cook {

absl::StatusOr<uint64_t> Copy(ByteSource& source, ByteSink& sink) {
  std::vector<char> buffer(1 << 20);
  uint64_t total = 0;
  while (true) {
    ASSIGN_OR_RETURN(size_t n, source.Read(buffer.data(), buffer.size()));
    if (n == 0) return total;
    RETURN_IF_ERROR(sink.Write(std::string_view(buffer.data(), n)));
    total += n;
  }
}

absl::StatusOr<std::unique_ptr<FileSink>> FileSink::Create(
    const std::filesystem::path& path, int mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoError(errno, absl::StrCat("creating ", path.string()));
  return std::unique_ptr<FileSink>(new FileSink(path, fd));
}

FileSink::~FileSink() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
}

absl::Status FileSink::Flush() {
  RETURN_IF_ERROR(WriteAll(fd_, std::string_view(buffer_.get(), buffered_),
                           absl::StrCat("writing ", path_.string())));
  buffered_ = 0;
  return absl::OkStatus();
}

absl::Status FileSink::Write(std::string_view data) {
  if (fd_ < 0) return absl::FailedPreconditionError("write after close");
  written_ += data.size();
  if (buffered_ + data.size() > kBufferSize) {
    RETURN_IF_ERROR(Flush());
    if (data.size() >= kBufferSize) {
      return WriteAll(fd_, data, absl::StrCat("writing ", path_.string()));
    }
  }
  std::memcpy(buffer_.get() + buffered_, data.data(), data.size());
  buffered_ += data.size();
  return absl::OkStatus();
}

absl::Status FileSink::Close() {
  if (fd_ < 0) return absl::OkStatus();
  RETURN_IF_ERROR(Flush());
  if (::fsync(fd_) != 0) {
    return ErrnoError(errno, absl::StrCat("writing ", path_.string()));
  }
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    ::unlink(path_.c_str());
    return ErrnoError(errno, absl::StrCat("writing ", path_.string()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<FileSource>> FileSource::Open(
    const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, absl::StrCat("opening ", path.string()));
  return std::unique_ptr<FileSource>(new FileSource(path, fd));
}

FileSource::~FileSource() { ::close(fd_); }

absl::StatusOr<size_t> FileSource::Read(char* buffer, size_t n) {
  while (true) {
    ssize_t got = ::read(fd_, buffer, n);
    if (got >= 0) return static_cast<size_t>(got);
    if (errno != EINTR) {
      return ErrnoError(errno, absl::StrCat("reading ", path_.string()));
    }
  }
}

absl::StatusOr<size_t> StringSource::Read(char* buffer, size_t n) {
  n = std::min(n, data_.size());
  std::memcpy(buffer, data_.data(), n);
  data_.remove_prefix(n);
  return n;
}

absl::Status StringSink::Write(std::string_view data) {
  out_->append(data);
  return absl::OkStatus();
}

absl::Status TeeSink::Write(std::string_view data) {
  bytes_ += data.size();
  RETURN_IF_ERROR(a_->Write(data));
  return b_->Write(data);
}

}  // namespace cook
