#ifndef COOK_LAYERS_EXTRACTOR_H_
#define COOK_LAYERS_EXTRACTOR_H_

// Safe extraction of a (possibly compressed) tar layer, for `cook restore`.

#include <filesystem>
#include <string>

#include "absl/status/status.h"
#include "base/io.h"

namespace cook::layers {

struct ExtractOptions {
  // Only entries under this archive prefix (e.g. "build/target") are
  // extracted, with the prefix stripped. Empty: every entry.
  std::string strip_prefix;
  // Restores entry mtimes from the archive (cargo freshness depends on it).
  bool keep_mtimes = true;
};

// Extracts the tar stream in `in` (zstd, gzip or plain) into `dest` (which
// must exist). Refuses, with an InvalidArgument error naming the entry,
// anything that would land outside `dest`: ".." components, absolute paths,
// paths through a symlink, hardlinks to outside; and device nodes and FIFOs.
// Whiteouts (".wh.") are not special. Existing files in the way are
// replaced (unlinked, never written through), existing directories kept.
// Modes (& 07777) are restored, owners are not.
absl::Status ExtractLayer(ByteSource& in, const std::filesystem::path& dest,
                          const ExtractOptions& options = {});

}  // namespace cook::layers

#endif  // COOK_LAYERS_EXTRACTOR_H_
