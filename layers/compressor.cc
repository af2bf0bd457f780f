#include "layers/compressor.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/c_handle.h"
#include "base/status_macros.h"

namespace cook::layers {
namespace {

using ZstdCCtx = std::unique_ptr<ZSTD_CCtx, FreeWith<&ZSTD_freeCCtx>>;
using ZstdDCtx = std::unique_ptr<ZSTD_DCtx, FreeWith<&ZSTD_freeDCtx>>;

void FreeDeflate(z_stream* s) {
  deflateEnd(s);
  delete s;
}
void FreeInflate(z_stream* s) {
  inflateEnd(s);
  delete s;
}
using DeflateStream = std::unique_ptr<z_stream, FreeWith<&FreeDeflate>>;
using InflateStream = std::unique_ptr<z_stream, FreeWith<&FreeInflate>>;

constexpr int kMinZstdLevel = 1;
constexpr int kMaxZstdLevel = 19;
constexpr int kMinGzipLevel = 1;
constexpr int kMaxGzipLevel = 9;
constexpr size_t kChunk = 1 << 20;
// zlib counts in 32-bit uInt; larger writes are fed in slices.
constexpr size_t kMaxZlibSlice = 1u << 30;

absl::Status ZstdError(std::string_view op, size_t rc) {
  return absl::InternalError(
      absl::StrFormat("%s: %s", op, ZSTD_getErrorName(rc)));
}

absl::Status ZlibError(std::string_view op, const z_stream& zs, int rc) {
  return absl::InternalError(
      absl::StrFormat("%s: %s", op, zs.msg != nullptr ? zs.msg : zError(rc)));
}

absl::Status WriteAfterClose() {
  return absl::FailedPreconditionError("compressing: write after close");
}

class PassthroughSink : public ByteSink {
 public:
  explicit PassthroughSink(ByteSink* out) : out_(out) {}
  absl::Status Write(std::string_view data) override {
    if (closed_) return WriteAfterClose();
    return out_->Write(data);
  }
  absl::Status Close() override {
    closed_ = true;
    return absl::OkStatus();
  }

 private:
  ByteSink* out_;
  bool closed_ = false;
};

class ZstdSink : public ByteSink {
 public:
  ZstdSink(ZstdCCtx cctx, ByteSink* out)
      : cctx_(std::move(cctx)), out_(out), buffer_(ZSTD_CStreamOutSize()) {}

  absl::Status Write(std::string_view data) override {
    if (closed_) return WriteAfterClose();
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    // In multi-threaded mode a call may return before consuming all input;
    // it blocks on the workers when it cannot progress, so this loop does
    // not spin.
    while (in.pos < in.size) {
      RETURN_IF_ERROR(Step(&in, ZSTD_e_continue).status());
    }
    return absl::OkStatus();
  }

  absl::Status Close() override {
    if (closed_) return absl::OkStatus();
    closed_ = true;
    ZSTD_inBuffer in{nullptr, 0, 0};
    while (true) {
      ASSIGN_OR_RETURN(size_t remaining, Step(&in, ZSTD_e_end));
      if (remaining == 0) return absl::OkStatus();
    }
  }

 private:
  absl::StatusOr<size_t> Step(ZSTD_inBuffer* in, ZSTD_EndDirective mode) {
    ZSTD_outBuffer out{buffer_.data(), buffer_.size(), 0};
    size_t rc = ZSTD_compressStream2(cctx_.get(), &out, in, mode);
    if (ZSTD_isError(rc)) return ZstdError("compressing with zstd", rc);
    if (out.pos > 0) {
      RETURN_IF_ERROR(out_->Write(std::string_view(buffer_.data(), out.pos)));
    }
    return rc;
  }

  ZstdCCtx cctx_;
  ByteSink* out_;
  std::vector<char> buffer_;
  bool closed_ = false;
};

class GzipSink : public ByteSink {
 public:
  GzipSink(DeflateStream zs, ByteSink* out)
      : zs_(std::move(zs)), out_(out), buffer_(kChunk) {}

  absl::Status Write(std::string_view data) override {
    if (closed_) return WriteAfterClose();
    while (!data.empty()) {
      const size_t slice = std::min(data.size(), kMaxZlibSlice);
      zs_->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
      zs_->avail_in = static_cast<uInt>(slice);
      while (zs_->avail_in > 0) {
        RETURN_IF_ERROR(Step(Z_NO_FLUSH).status());
      }
      data.remove_prefix(slice);
    }
    return absl::OkStatus();
  }

  absl::Status Close() override {
    if (closed_) return absl::OkStatus();
    closed_ = true;
    zs_->next_in = nullptr;
    zs_->avail_in = 0;
    while (true) {
      ASSIGN_OR_RETURN(int rc, Step(Z_FINISH));
      if (rc == Z_STREAM_END) return absl::OkStatus();
    }
  }

 private:
  absl::StatusOr<int> Step(int flush) {
    zs_->next_out = reinterpret_cast<Bytef*>(buffer_.data());
    zs_->avail_out = static_cast<uInt>(buffer_.size());
    int rc = deflate(zs_.get(), flush);
    // Z_BUF_ERROR only says no progress was possible, which cannot last:
    // the output buffer was emptied just above.
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      return ZlibError("compressing with gzip", *zs_, rc);
    }
    const size_t produced = buffer_.size() - zs_->avail_out;
    if (produced > 0) {
      RETURN_IF_ERROR(out_->Write(std::string_view(buffer_.data(), produced)));
    }
    return rc;
  }

  DeflateStream zs_;
  ByteSink* out_;
  std::vector<char> buffer_;
  bool closed_ = false;
};

absl::StatusOr<std::unique_ptr<ByteSink>> NewZstdSink(int level, int threads,
                                                      ByteSink* out) {
  ZstdCCtx cctx(ZSTD_createCCtx());
  if (cctx == nullptr)
    return absl::ResourceExhaustedError("creating zstd context");
  // Always the multi-threaded framing, even for one worker: its output is
  // the same for any worker count, while single-threaded (nbWorkers = 0)
  // output differs. Reproducible layers must not depend on the host's cores.
  const int workers = std::max(threads, 1);
  for (auto [param, value] : {std::pair{ZSTD_c_compressionLevel, level},
                              std::pair{ZSTD_c_checksumFlag, 1},
                              std::pair{ZSTD_c_nbWorkers, workers}}) {
    size_t rc = ZSTD_CCtx_setParameter(cctx.get(), param, value);
    if (ZSTD_isError(rc)) {
      return ZstdError(
          param == ZSTD_c_nbWorkers
              ? "configuring zstd workers (libzstd built without threads?)"
              : "configuring zstd",
          rc);
    }
  }
  return std::unique_ptr<ByteSink>(new ZstdSink(std::move(cctx), out));
}

absl::StatusOr<std::unique_ptr<ByteSink>> NewGzipSink(int level,
                                                      ByteSink* out) {
  DeflateStream zs(new z_stream{});
  // windowBits 15 + 16 selects the gzip wrapper.
  int rc =
      deflateInit2(zs.get(), level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  if (rc != Z_OK) {
    // deflateEnd on a stream whose init failed is harmless (Z_STREAM_ERROR).
    return ZlibError("initialising gzip", *zs, rc);
  }
  // An explicit header instead of zlib's default: mtime 0, no name, and the
  // OS byte fixed to Unix (3) whatever platform zlib was built for.
  static gz_header header = [] {
    gz_header h{};
    h.os = 3;
    return h;
  }();
  rc = deflateSetHeader(zs.get(), &header);
  if (rc != Z_OK) return ZlibError("setting the gzip header", *zs, rc);
  return std::unique_ptr<ByteSink>(new GzipSink(std::move(zs), out));
}

// Replays the bytes NewDecompressor peeked at, then reads `in`.
class PeekedSource : public ByteSource {
 public:
  PeekedSource(std::string peeked, ByteSource* in)
      : peeked_(std::move(peeked)), in_(in) {}
  absl::StatusOr<size_t> Read(char* buffer, size_t n) override {
    if (offset_ < peeked_.size()) {
      n = std::min(n, peeked_.size() - offset_);
      std::memcpy(buffer, peeked_.data() + offset_, n);
      offset_ += n;
      return n;
    }
    return in_->Read(buffer, n);
  }

 private:
  std::string peeked_;
  size_t offset_ = 0;
  ByteSource* in_;
};

class ZstdSource : public ByteSource {
 public:
  ZstdSource(ZstdDCtx dctx, std::unique_ptr<ByteSource> in)
      : dctx_(std::move(dctx)),
        in_(std::move(in)),
        buffer_(ZSTD_DStreamInSize()) {}

  absl::StatusOr<size_t> Read(char* buffer, size_t n) override {
    if (n == 0) return 0;
    while (true) {
      if (input_.pos == input_.size && !eof_) {
        ASSIGN_OR_RETURN(size_t got, in_->Read(buffer_.data(), buffer_.size()));
        input_ = {buffer_.data(), got, 0};
        eof_ = got == 0;
      }
      // The end of the input between frames is the end of the stream.
      // (Asked for more then, zstd would answer that it wants a new frame.)
      if (eof_ && input_.pos == input_.size && !frame_open_) return 0;
      ZSTD_outBuffer out{buffer, n, 0};
      size_t rc = ZSTD_decompressStream(dctx_.get(), &out, &input_);
      if (ZSTD_isError(rc)) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "decompressing zstd stream: %s", ZSTD_getErrorName(rc)));
      }
      // 0: the frame is complete and flushed; a stream may hold more frames.
      frame_open_ = rc != 0;
      if (out.pos > 0) return out.pos;
      if (eof_ && input_.pos == input_.size) {
        if (frame_open_) {
          return absl::InvalidArgumentError(
              "decompressing zstd stream: truncated input");
        }
        return 0;
      }
    }
  }

 private:
  ZstdDCtx dctx_;
  std::unique_ptr<ByteSource> in_;
  std::vector<char> buffer_;
  ZSTD_inBuffer input_{nullptr, 0, 0};
  bool eof_ = false;
  bool frame_open_ = false;
};

class GzipSource : public ByteSource {
 public:
  GzipSource(InflateStream zs, std::unique_ptr<ByteSource> in)
      : zs_(std::move(zs)), in_(std::move(in)), buffer_(kChunk) {}

  absl::StatusOr<size_t> Read(char* buffer, size_t n) override {
    n = std::min(n, kMaxZlibSlice);
    while (n > 0) {
      if (zs_->avail_in == 0 && !eof_) RETURN_IF_ERROR(Refill());
      if (member_done_) {
        // gzip allows concatenated members (`cat a.gz b.gz`); anything
        // after the last one must be another member.
        if (zs_->avail_in == 0 && eof_) return 0;
        if (inflateReset(zs_.get()) != Z_OK) {
          return absl::InternalError("decompressing gzip stream: reset failed");
        }
        member_done_ = false;
      }
      zs_->next_out = reinterpret_cast<Bytef*>(buffer);
      zs_->avail_out = static_cast<uInt>(n);
      int rc = inflate(zs_.get(), Z_NO_FLUSH);
      const size_t produced = n - zs_->avail_out;
      if (rc == Z_STREAM_END) {
        member_done_ = true;
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return absl::InvalidArgumentError(
            absl::StrFormat("decompressing gzip stream: %s",
                            zs_->msg != nullptr ? zs_->msg : zError(rc)));
      }
      if (produced > 0) return produced;
      if (!member_done_ && zs_->avail_in == 0 && eof_) {
        return absl::InvalidArgumentError(
            "decompressing gzip stream: truncated input");
      }
    }
    return 0;
  }

 private:
  absl::Status Refill() {
    ASSIGN_OR_RETURN(size_t got, in_->Read(buffer_.data(), buffer_.size()));
    zs_->next_in = reinterpret_cast<Bytef*>(buffer_.data());
    zs_->avail_in = static_cast<uInt>(got);
    eof_ = got == 0;
    return absl::OkStatus();
  }

  InflateStream zs_;
  std::unique_ptr<ByteSource> in_;
  std::vector<char> buffer_;
  bool eof_ = false;
  bool member_done_ = false;
};

}  // namespace

std::string_view CompressionName(Compression c) {
  switch (c) {
    case Compression::kNone:
      return "none";
    case Compression::kZstd:
      return "zstd";
    case Compression::kGzip:
      return "gzip";
  }
  return "unknown";
}

absl::StatusOr<Compression> ParseCompression(std::string_view name) {
  for (Compression c :
       {Compression::kZstd, Compression::kGzip, Compression::kNone}) {
    if (name == CompressionName(c)) return c;
  }
  return absl::InvalidArgumentError(absl::StrFormat(
      "unknown compression \"%s\": use zstd, gzip or none", name));
}

absl::Status ValidateLevel(Compression c, int level) {
  int min = 0;
  int max = 0;
  switch (c) {
    case Compression::kZstd:
      min = kMinZstdLevel;
      max = kMaxZstdLevel;
      break;
    case Compression::kGzip:
      min = kMinGzipLevel;
      max = kMaxGzipLevel;
      break;
    case Compression::kNone:
      if (level == 0) return absl::OkStatus();
      return absl::InvalidArgumentError(absl::StrFormat(
          "compression level %d: an uncompressed layer takes no level", level));
  }
  if (level >= min && level <= max) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrFormat("compression level %d is out of range for %s: use %d..%d",
                      level, CompressionName(c), min, max));
}

absl::StatusOr<std::unique_ptr<ByteSink>> NewCompressor(
    const CompressorOptions& options, ByteSink* out) {
  int level = options.level;
  if (level == 0) {
    if (options.compression == Compression::kZstd) level = kDefaultZstdLevel;
    if (options.compression == Compression::kGzip) level = kDefaultGzipLevel;
  }
  RETURN_IF_ERROR(ValidateLevel(options.compression, level));
  if (options.threads < 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "compression threads %d: use 0 (all cores) or more", options.threads));
  }
  switch (options.compression) {
    case Compression::kNone:
      return std::unique_ptr<ByteSink>(new PassthroughSink(out));
    case Compression::kZstd: {
      const int threads =
          options.threads > 0
              ? options.threads
              : static_cast<int>(std::thread::hardware_concurrency());
      return NewZstdSink(level, threads, out);
    }
    case Compression::kGzip:
      return NewGzipSink(level, out);
  }
  return absl::InternalError("unknown compression");
}

Compression DetectCompression(std::string_view head) {
  if (head.substr(0, 4) == std::string_view("\x28\xb5\x2f\xfd", 4)) {
    return Compression::kZstd;
  }
  if (head.substr(0, 2) == std::string_view("\x1f\x8b", 2)) {
    return Compression::kGzip;
  }
  return Compression::kNone;
}

absl::StatusOr<std::unique_ptr<ByteSource>> NewDecompressor(ByteSource* in) {
  // Read until the 4 magic bytes are in or the input ends: a source may
  // return fewer bytes than asked.
  std::string magic(4, '\0');
  size_t have = 0;
  while (have < magic.size()) {
    ASSIGN_OR_RETURN(size_t got,
                     in->Read(magic.data() + have, magic.size() - have));
    if (got == 0) break;
    have += got;
  }
  magic.resize(have);
  const Compression compression = DetectCompression(magic);
  auto source = std::make_unique<PeekedSource>(std::move(magic), in);
  if (compression == Compression::kZstd) {
    ZstdDCtx dctx(ZSTD_createDCtx());
    if (dctx == nullptr) {
      return absl::ResourceExhaustedError(
          "creating zstd decompression context");
    }
    return std::unique_ptr<ByteSource>(
        new ZstdSource(std::move(dctx), std::move(source)));
  }
  if (compression == Compression::kGzip) {
    InflateStream zs(new z_stream{});
    int rc = inflateInit2(zs.get(), 15 + 16);
    if (rc != Z_OK) return ZlibError("initialising gunzip", *zs, rc);
    return std::unique_ptr<ByteSource>(
        new GzipSource(std::move(zs), std::move(source)));
  }
  return std::unique_ptr<ByteSource>(std::move(source));
}

}  // namespace cook::layers
