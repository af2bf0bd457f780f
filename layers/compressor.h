#ifndef COOK_LAYERS_COMPRESSOR_H_
#define COOK_LAYERS_COMPRESSOR_H_

// Streaming compression (zstd, gzip) and auto-detecting decompression.

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "base/io.h"

namespace cook::layers {

enum class Compression { kNone, kZstd, kGzip };

// "zstd", "gzip", "none".
std::string_view CompressionName(Compression c);
// Parses "zstd" or "gzip" (user input; "none" is accepted too).
absl::StatusOr<Compression> ParseCompression(std::string_view name);

inline constexpr int kDefaultZstdLevel = 3;
inline constexpr int kDefaultGzipLevel = 6;

struct CompressorOptions {
  Compression compression = Compression::kZstd;
  int level = 0;  // 0: the default for the algorithm
  // Worker threads for zstd; 0 = all cores. The output bytes do not depend on
  // this number (zstd is always run in its multi-threaded framing).
  int threads = 0;
};

// Checks the level against the algorithm's range (zstd 1..19, gzip 1..9).
absl::Status ValidateLevel(Compression c, int level);

// A sink that compresses into `out` (which must outlive it). Close() writes
// the trailer; it does not close `out`.
absl::StatusOr<std::unique_ptr<ByteSink>> NewCompressor(
    const CompressorOptions& options, ByteSink* out);

// The compression whose magic number `head` (a stream's first bytes; 4 are
// enough) starts with: zstd, gzip, or kNone for anything else.
Compression DetectCompression(std::string_view head);

// A source that yields the decompressed bytes of `in` (which must outlive
// it), detecting zstd and gzip by their magic numbers; anything else passes
// through unchanged.
absl::StatusOr<std::unique_ptr<ByteSource>> NewDecompressor(ByteSource* in);

}  // namespace cook::layers

#endif  // COOK_LAYERS_COMPRESSOR_H_
