#ifndef COOK_CACHE_BUILD_H_
#define COOK_CACHE_BUILD_H_

// `cook build`'s pipeline: recipe, work area, toolchain, up-to-date check,
// fetch, sandboxed cargo build, trim, snapshot (reusing the layers of a
// --cache-from image), assemble. The programs it runs come in as seams, as
// ninja passes its CommandRunner to Builder: the CLI passes the real
// sandbox and toolchain, tests pass fakes.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/progress.h"
#include "cache/cargo_options.h"
#include "cache/image_io.h"
#include "cache/signing_keys.h"
#include "cache/toolchain.h"
#include "layers/compressor.h"
#include "oci/image.h"
#include "oci/reference.h"
#include "registry/session.h"
#include "sandbox/sandbox.h"

namespace cook::cache {

struct BuildOptions {
  std::string manifest_path;  // absolute; empty when recipe_path is given
  std::string recipe_path;    // absolute, or empty
  CargoOptions cargo;
  bool quiet = false;  // cargo build --quiet
  // cook's environment, "NAME=value": the build sees what
  // sandbox::FilterEnvironment lets through, plus `pass_env`.
  std::vector<std::string> environment;
  std::vector<std::string> pass_env;
  // Where the work area goes, and layers are staged when no destination is
  // local: the caller's $TMPDIR or /tmp.
  std::string temp_dir;
  std::string target_dir;  // absolute, or empty for a private one
  oci::ImageReference base;
  std::vector<oci::ImageReference> dests;
  std::optional<oci::ImageReference> cache_from;
  // The cache_from image must carry a signature by one of these (when any).
  std::vector<VerifyingKey> verify_keys;
  std::optional<SigningKey> sign_key;  // signs every destination
  std::string image_root = "/build";
  layers::Compression compression = layers::Compression::kZstd;
  int compression_level = 0;
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<std::pair<std::string, std::string>> env;
  std::optional<oci::Platform> platform;
  absl::Time epoch;  // the floor for the layer time
  // No layer's tar grows past this; 0: no limit.
  uint64_t max_layer_bytes = uint64_t{2} << 30;
  // The most layers the image may have, the base's included: overlay file
  // systems stack about 127 (a lower dir per layer within one page of
  // mount options). A build that would pass it fails before snapshotting.
  size_t max_layers = 127;
};

// What a build runs and reports through. Each must outlive Build().
struct BuildSeams {
  // Runs `cargo fetch` (the network allowed).
  sandbox::SandboxRunner* direct = nullptr;
  // Makes the runner `cargo build` runs in. Called once, only when there is
  // something to build (so a sandbox warning comes only then).
  std::function<absl::StatusOr<std::unique_ptr<sandbox::SandboxRunner>>()> sandboxed;
  ToolchainProbe* toolchain = nullptr;
  Progress* progress = nullptr;
  registry::RegistrySession* registries = nullptr;
};

struct BuildResult {
  std::string recipe_digest;
  // Every destination already held this cache: nothing was built or written.
  bool up_to_date = false;
  ImageResult image;  // when !up_to_date
};

// Builds the dependencies of the recipe (`options.recipe_path`, or prepared
// from `options.manifest_path`) and writes the cache image to every
// destination. Errors name the stage that failed.
absl::StatusOr<BuildResult> Build(const BuildOptions& options, const BuildSeams& seams);

// Parallel layers and zstd workers per layer for `jobs` (0: `cores`): their
// product never exceeds it, and at most 4 layers are written at once.
struct SnapshotThreads {
  int layers = 1;
  int zstd_workers = 1;
};
SnapshotThreads SplitJobs(int jobs, int cores, size_t layer_count);

}  // namespace cook::cache

#endif  // COOK_CACHE_BUILD_H_
