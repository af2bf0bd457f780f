#ifndef COOK_BASE_IO_H_
#define COOK_BASE_IO_H_

// Streaming byte interfaces that let every stage (tar, compress, hash, file,
// network) work in one pass with flat memory.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cook {

// Consumes bytes. Not thread-safe.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual absl::Status Write(std::string_view data) = 0;
  // Flushes whatever the sink buffers and ends the stream (compressors write
  // their trailer). Writes after Close() are errors. Closing does not close
  // a downstream sink that the caller owns.
  virtual absl::Status Close() { return absl::OkStatus(); }
};

// Produces bytes. Not thread-safe.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `n` bytes into `buffer`; returns 0 only at the end.
  virtual absl::StatusOr<size_t> Read(char* buffer, size_t n) = 0;
};

// Copies `source` to `sink` until the end; returns the byte count. Does not
// close `sink`.
absl::StatusOr<uint64_t> Copy(ByteSource& source, ByteSink& sink);

// Writes to a new file. Create() fails if the path exists. The file is
// fsynced by Close(). Destroying a FileSink that was not closed removes the
// file, so a failed write never leaves a file that looks complete.
class FileSink : public ByteSink {
 public:
  static absl::StatusOr<std::unique_ptr<FileSink>> Create(
      const std::filesystem::path& path, int mode = 0644);
  ~FileSink() override;
  absl::Status Write(std::string_view data) override;
  absl::Status Close() override;
  uint64_t bytes_written() const { return written_; }

 private:
  FileSink(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  absl::Status Flush();
  std::filesystem::path path_;
  int fd_;
  uint64_t written_ = 0;
  std::unique_ptr<char[]> buffer_ = std::make_unique<char[]>(kBufferSize);
  size_t buffered_ = 0;
  static constexpr size_t kBufferSize = 1 << 20;
};

class FileSource : public ByteSource {
 public:
  static absl::StatusOr<std::unique_ptr<FileSource>> Open(
      const std::filesystem::path& path);
  ~FileSource() override;
  absl::StatusOr<size_t> Read(char* buffer, size_t n) override;

 private:
  FileSource(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::filesystem::path path_;
  int fd_;
};

// Reads from an in-memory buffer that must outlive the source.
class StringSource : public ByteSource {
 public:
  explicit StringSource(std::string_view data) : data_(data) {}
  absl::StatusOr<size_t> Read(char* buffer, size_t n) override;

 private:
  std::string_view data_;
};

// Appends to a string that must outlive the sink.
class StringSink : public ByteSink {
 public:
  explicit StringSink(std::string* out) : out_(out) {}
  absl::Status Write(std::string_view data) override;

 private:
  std::string* out_;
};

// Counts bytes and forwards them to every sink in order (a tee).
class TeeSink : public ByteSink {
 public:
  TeeSink(ByteSink* a, ByteSink* b) : a_(a), b_(b) {}
  absl::Status Write(std::string_view data) override;
  uint64_t bytes() const { return bytes_; }

 private:
  ByteSink* a_;
  ByteSink* b_;
  uint64_t bytes_ = 0;
};

}  // namespace cook

#endif  // COOK_BASE_IO_H_
