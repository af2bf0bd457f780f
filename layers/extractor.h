#ifndef COOK_LAYERS_EXTRACTOR_H_
#define COOK_LAYERS_EXTRACTOR_H_

// Safe extraction of a (possibly compressed) tar layer, for `cook restore`.

#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/io.h"

namespace cook::layers {

struct ExtractOptions {
  // Only entries under this archive prefix (e.g. "build/target") are
  // extracted, with the prefix stripped. Empty: every entry.
  std::string strip_prefix;
  // Restores entry mtimes from the archive (cargo freshness depends on it).
  bool keep_mtimes = true;
  // "sha256:<hex>" that the uncompressed tar stream, read to its end, must
  // hash to (the image config's diff_id). Empty: not checked.
  std::string diff_id;
  // For StageLayer() while the layers before this one are not in `dest`
  // yet: staging then consults nothing in `dest`. A path through a file or
  // symlink of `dest` is refused when the layer is committed instead (as
  // `dest` is then), and a hardlink to a file outside this layer fails with
  // an error NeedsEarlierLayers() recognises: extract such a layer again,
  // with this off, once the layers before it are committed.
  bool defer_dest_checks = false;
};

// Whether StageLayer() failed only because of `defer_dest_checks`.
bool NeedsEarlierLayers(const absl::Status& status);

// A layer read to its end, verified and written into its staging directory
// inside the destination, but not yet in place. Destroying it removes the
// staging directory, and with it whatever was not committed. Not
// thread-safe; distinct layers may be used from distinct threads.
class StagedLayer {
 public:
  struct State;
  explicit StagedLayer(std::unique_ptr<State> state);
  StagedLayer(StagedLayer&&) noexcept;
  StagedLayer& operator=(StagedLayer&&) noexcept;
  ~StagedLayer();

  // Moves the layer into place, all or nothing (see ExtractLayer), and sets
  // the modes and times of its directories. Call at most once; layers of one
  // destination are committed one at a time, in image order, so that a later
  // layer's file replaces an earlier one's.
  absl::Status Commit();

 private:
  std::unique_ptr<State> state_;
};

// The first half of ExtractLayer, everything up to and including the
// diff_id check: the layer in its own staging directory. Layers of one
// destination may be staged concurrently from different threads.
absl::StatusOr<StagedLayer> StageLayer(ByteSource& in,
                                       const std::filesystem::path& dest,
                                       const ExtractOptions& options = {});

// Extracts the tar stream in `in` (zstd, gzip or plain) into `dest` (which
// must exist), all or nothing: entries are written into a private staging
// directory inside `dest` (".cook-extract-XXXXXX", so on the same file
// system), `in` is read to its very end (past the tar end marker, so that a
// verifying source sees all of its bytes and can fail), the uncompressed
// stream is checked against `options.diff_id`, and only then is everything
// renamed into place. On any error, interrupt (CancelledError) included,
// the staging directory is removed and `dest` holds none of this layer's
// files; files appear under their final names only complete, with their
// mode and time set. A mismatch is DataLoss. Refuses, with an InvalidArgument
// error naming the entry, anything that would land outside `dest`: ".."
// components, absolute paths, paths through a symlink, hardlinks to outside;
// and device nodes and FIFOs. Whiteouts (".wh.") are not special. Existing
// files in the way are replaced (renamed over, never written through), existing
// directories merged. A hardlink may name a file of this layer or one already
// in `dest`. Modes (& 07777) are restored, owners are not. StageLayer()
// followed by StagedLayer::Commit().
absl::Status ExtractLayer(ByteSource& in, const std::filesystem::path& dest,
                          const ExtractOptions& options = {});

}  // namespace cook::layers

#endif  // COOK_LAYERS_EXTRACTOR_H_
