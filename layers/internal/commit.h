#ifndef COOK_LAYERS_INTERNAL_COMMIT_H_
#define COOK_LAYERS_INTERNAL_COMMIT_H_

// The extractor's second half: the staged tree moved into the destination.

#include "absl/status/status.h"
#include "layers/internal/staging.h"

namespace cook::layers::internal {

// Moves everything `staged` holds into its destination, all or nothing as
// far as the file system allows: a first pass finds every conflict that
// would stop the move (and moves nothing), the second renames. Each rename
// is atomic, so every name in the destination holds a complete file at
// every moment. A staged directory is renamed whole where the destination
// has nothing, merged where it has a directory, and replaces a file or
// symlink only if the archive listed it (otherwise the archive meant to
// write through that name, which the extractor never does).
absl::Status MoveIntoPlace(const Staging& staged);

// Sets the modes (and with keep_mtimes, the mtimes) of the staged directory
// entries, now in the destination. Not interruptible: the layer is in place
// already.
absl::Status FinishDirectories(const Staging& staged);

}  // namespace cook::layers::internal

#endif  // COOK_LAYERS_INTERNAL_COMMIT_H_
