#ifndef COOK_BASE_PARALLEL_H_
#define COOK_BASE_PARALLEL_H_

// A bounded parallel loop over independent items.

#include <cstddef>
#include <functional>

#include "absl/status/status.h"

namespace cook {

// Runs fn(0) ... fn(n - 1) on up to `threads` threads (on the calling thread
// alone when that is 1), each index once, in no particular order. After the
// first failure no further index starts; the items in flight finish. Returns
// that first failure, or OK.
absl::Status ParallelFor(size_t n, int threads,
                         const std::function<absl::Status(size_t)>& fn);

}  // namespace cook

#endif  // COOK_BASE_PARALLEL_H_
