#ifndef COOK_LAYERS_LAYER_WRITER_H_
#define COOK_LAYERS_LAYER_WRITER_H_

// Turns a directory tree into a deterministic, compressed layer blob in one
// streaming pass: walk (sorted) -> tar (PAX) -> SHA-256 (diff_id) ->
// compress -> SHA-256 (digest) -> file. Memory stays flat for any size.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "layers/compressor.h"

namespace cook::layers {

struct LayerInput {
  // A directory (its contents are added under `dest`) or a single file, or
  // symlink (added as `dest`, or as `dest`/basename when `dest` ends in "/").
  // Symlinks are never followed. Sockets, FIFOs and device nodes inside a
  // directory are skipped. The parents of `dest` are written as 0755
  // directories; a directory `dest` itself keeps the source's mode.
  std::filesystem::path source;
  // Path inside the archive, absolute or relative; "/" means the root.
  std::string dest = "/";
};

struct LayerOptions {
  CompressorOptions compressor;
  // Every entry's mtime. No atime/ctime are written.
  absl::Time epoch = absl::FromUnixSeconds(1);
};

struct LayerBlob {
  std::filesystem::path path;  // the compressed blob as written
  std::string digest;          // "sha256:..." of the compressed bytes
  std::string diff_id;         // "sha256:..." of the uncompressed tar
  uint64_t size = 0;           // compressed bytes
  uint64_t uncompressed_size = 0;
  Compression compression = Compression::kZstd;
};

// Called now and then with the bytes of tar written so far and the total the
// walk found. May be empty.
using ProgressFn = std::function<void(uint64_t done, uint64_t total)>;

// Writes the layer for `input` to `blob_path`, which must not exist. On any
// error nothing is left at `blob_path`.
absl::StatusOr<LayerBlob> WriteLayer(const LayerInput& input,
                                     const std::filesystem::path& blob_path,
                                     const LayerOptions& options,
                                     const ProgressFn& progress = nullptr);

}  // namespace cook::layers

#endif  // COOK_LAYERS_LAYER_WRITER_H_
