#ifndef COOK_CACHE_TOOLCHAIN_H_
#define COOK_CACHE_TOOLCHAIN_H_

// Which cargo and rustc a build uses and what they say they are: the rustc
// version is part of the cache key. A seam: the build asks a ToolchainProbe,
// and tests pass a fake one.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "sandbox/sandbox.h"

namespace cook::cache {

struct Toolchain {
  std::string cargo;          // absolute path
  std::string rustc;          // absolute path
  std::string rustc_version;  // `rustc -vV`, trailing whitespace stripped
  std::string cargo_version;  // `cargo -V`, trailing whitespace stripped
  std::string host;           // the host triple rustc reports
};

class ToolchainProbe {
 public:
  virtual ~ToolchainProbe() = default;
  // Finds cargo and rustc on the PATH of `spec.env` and asks each for its
  // version, run as the build will run them (`spec`'s environment and
  // working directory: a toolchain file there decides which toolchain
  // answers). `scratch` is a writable directory for their output.
  // NotFound (with a hint) when either is not on PATH; FailedPrecondition
  // when either fails.
  virtual absl::StatusOr<Toolchain> Probe(const sandbox::SandboxSpec& spec,
                                          const std::filesystem::path& scratch) = 0;
};

// The probe that runs the programs through `runner` (a direct one: it
// must outlive the probe).
std::unique_ptr<ToolchainProbe> NewToolchainProbe(sandbox::SandboxRunner& runner);

// The host triple of `rustc -vV` output (its "host: " line), or "".
std::string HostTriple(const std::string& rustc_version);

}  // namespace cook::cache

#endif  // COOK_CACHE_TOOLCHAIN_H_
