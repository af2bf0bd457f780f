#ifndef COOK_CACHE_CARGO_OPTIONS_H_
#define COOK_CACHE_CARGO_OPTIONS_H_

// The cargo options a cache is built with, forwarded with cargo's meaning.

#include <string>
#include <vector>

namespace cook::cache {

struct CargoOptions {
  bool release = false;
  std::string profile;
  std::vector<std::string> targets;
  std::string features;
  bool all_features = false;
  bool no_default_features = false;
  std::vector<std::string> packages;
  std::vector<std::string> bins;
  bool all_bins = false;
  bool workspace = false;
  bool tests = false;
  bool benches = false;
  bool examples = false;
  bool all_targets = false;
  bool locked = false;
  bool frozen = false;
  bool offline = false;
  int jobs = 0;  // 0: cargo's default (the cores)

  // The options as cargo arguments, in a fixed order (also the label value
  // that says how an image was built).
  std::vector<std::string> ToArgs() const;
};

// The options that change what gets built, as the cache key's
// dev.cook.cargo.options label: ToArgs() without --jobs, --locked, --frozen
// and --offline, joined by spaces.
std::string OptionsLabel(const CargoOptions& cargo);

}  // namespace cook::cache

#endif  // COOK_CACHE_CARGO_OPTIONS_H_
