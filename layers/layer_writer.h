#ifndef COOK_LAYERS_LAYER_WRITER_H_
#define COOK_LAYERS_LAYER_WRITER_H_

// Turns a directory tree into a deterministic, compressed layer blob in one
// streaming pass: walk (sorted) -> tar (PAX) -> SHA-256 (diff_id) ->
// compress -> SHA-256 (digest) -> file. Memory stays flat for any size.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

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

// Splitting one tree into several layers (a cache by crate, so that a change
// to one crate changes few layers).

namespace internal {
struct PlannedEntries;  // the entries of one planned layer, in archive order
}  // namespace internal

struct LayerPlan {
  // The group's name; a group too large for one layer is split into parts
  // named "<group>#0", "<group>#1", ...
  std::string group;
  uint64_t tar_bytes = 0;  // the predicted size of its tar
  std::shared_ptr<const internal::PlannedEntries> entries;
};

// The group of an entry, from its path relative to the source directory
// ("debug/deps/libserde-0123456789abcdef.rlib").
using GroupFn = std::function<std::string(std::string_view relative)>;

// The tar bytes of each group's entries (headers and padded contents; the
// directories on the way, the fixed head and the end blocks not counted).
using GroupBytes = std::map<std::string, uint64_t>;
// Maps each group `group_of` gave, knowing every group's bytes, to the
// group of its layer; groups missing from the result keep their name.
using RegroupFn = std::function<std::map<std::string, std::string>(const GroupBytes&)>;

// Walks the directory `input.source` once and splits its entries by
// `group_of` into groups, merged by `regroup` when given (for an assignment
// that depends on sizes), into layers ordered by group name. Each layer also
// holds the parents of `input.dest` and every directory on the way to its
// entries (with their modes), so that it extracts on its own and layers
// stack in any order. A group whose tar would pass `max_tar_bytes` (0: no
// limit) is split, in archive order, into parts that stay under it (a single
// file larger than the limit gets a part of its own). Sizes depend only on
// the entries' names, kinds and sizes: the same tree and the same functions
// give the same plans on any machine.
absl::StatusOr<std::vector<LayerPlan>> PlanLayers(const LayerInput& input,
                                                  const GroupFn& group_of,
                                                  uint64_t max_tar_bytes,
                                                  const RegroupFn& regroup = nullptr);

// The diff_id the planned layer has with `epoch`: the tar is made and
// hashed, but not compressed or stored (about ten times as fast as writing
// it), so that a layer an earlier image already holds can be reused.
absl::StatusOr<std::string> PlannedDiffId(const LayerPlan& plan, absl::Time epoch);

// Writes the planned layer to `blob_path` as WriteLayer does.
absl::StatusOr<LayerBlob> WritePlannedLayer(const LayerPlan& plan,
                                            const std::filesystem::path& blob_path,
                                            const LayerOptions& options,
                                            const ProgressFn& progress = nullptr);

}  // namespace cook::layers

#endif  // COOK_LAYERS_LAYER_WRITER_H_
