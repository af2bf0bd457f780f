#ifndef COOK_CHEF_PARALLEL_MAP_H_
#define COOK_CHEF_PARALLEL_MAP_H_

// Independent work of chef's pipeline (reading manifests, discovering
// targets, formatting files) spread over the machine's cores.

#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "base/parallel.h"

namespace cook::chef {

// fn(0) ... fn(n - 1) on up to as many threads as the machine has cores (at
// most 8), their results in index order. `fn` must be safe to call
// concurrently and must not fail: it returns any error as its value (a
// StatusOr), so the caller sees the first one in index order, as a
// sequential loop would.
template <typename T, typename Fn>
std::vector<T> ParallelMap(size_t n, Fn&& fn) {
  std::vector<T> out(n);
  const int threads =
      std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 1, 8);
  ParallelFor(n, threads, [&](size_t i) {
    out[i] = fn(i);
    return absl::OkStatus();
  }).IgnoreError();
  return out;
}

}  // namespace cook::chef

#endif  // COOK_CHEF_PARALLEL_MAP_H_
