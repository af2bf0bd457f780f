#ifndef COOK_CACHE_EXTRACT_H_
#define COOK_CACHE_EXTRACT_H_

// A cook cache image's layers put back into a target directory and a cargo
// home: downloaded, decompressed, verified and staged several at a time,
// committed one at a time in image order.

#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/progress.h"
#include "cache/image_io.h"

namespace cook::cache {

struct ExtractCacheOptions {
  // Layers staged at once; 0: min(cores, 4). Memory is bounded per layer in
  // flight: the source's read-ahead (8 MiB for a registry), the zstd window
  // (zstd refuses frames above 128 MiB; cook writes 2 MiB ones) and three
  // 1 MiB buffers. A staged layer waiting for its turn to be committed holds
  // no buffer, only its files, which are already on the destination's file
  // system.
  int parallel = 0;
};

// Extracts the target-directory and cargo-home layers of a cook cache image
// (opened by OpenImage) into `target_dir` and `cargo_home` through the safe
// extractor, each layer verified (digest, size, diff_id) and all or nothing;
// returns the diff_ids of the layers extracted, in order. Layers are staged
// concurrently (`image.source->OpenBlob` is called from several threads) and
// committed in image order, so the result is the sequential one: a file in
// two layers ends with the later layer's content. On the first error no new
// layer starts, the layers in flight stop at their next read, every
// uncommitted layer's staging directory is removed, and that first error is
// returned (layers committed before it stay). An image that is not a valid
// cache image (ParseCacheImage) is InvalidArgument. Errors name `context`
// and the layer. Reports bytes of compressed blobs through `progress`
// (Begin/Update/End) and, when it is not interactive, one Step per layer
// committed.
absl::StatusOr<std::vector<std::string>> ExtractCache(
    const OpenedImage& image, const std::filesystem::path& target_dir,
    const std::filesystem::path& cargo_home, Progress& progress,
    const std::string& context, const ExtractCacheOptions& options);
absl::StatusOr<std::vector<std::string>> ExtractCache(
    const OpenedImage& image, const std::filesystem::path& target_dir,
    const std::filesystem::path& cargo_home, Progress& progress,
    const std::string& context);

}  // namespace cook::cache

#endif  // COOK_CACHE_EXTRACT_H_
