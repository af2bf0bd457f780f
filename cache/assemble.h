#ifndef COOK_CACHE_ASSEMBLE_H_
#define COOK_CACHE_ASSEMBLE_H_

// `cook assemble`: an image from local files and directories on a base
// image, one deterministic layer per added path, without cargo.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "cache/signing_keys.h"
#include "absl/time/time.h"
#include "base/progress.h"
#include "cache/image_io.h"
#include "layers/compressor.h"
#include "oci/image.h"
#include "oci/reference.h"
#include "registry/session.h"

namespace cook::cache {

struct AddSpec {
  std::string source;  // absolute
  std::string dest;    // inside the image, "/" by default
};

struct AssembleOptions {
  oci::ImageReference base;  // kScratch by default
  std::vector<AddSpec> adds;
  std::vector<oci::ImageReference> dests;
  std::vector<std::pair<std::string, std::string>> env;
  std::optional<std::string> workdir;
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::vector<std::pair<std::string, std::string>> labels;
  std::optional<oci::Platform> platform;
  layers::Compression compression = layers::Compression::kZstd;
  int compression_level = 0;  // 0: the algorithm's default
  absl::Time epoch;           // entry and `created` times
  std::string temp_dir;       // the user's $TMPDIR or /tmp, from the CLI
  std::optional<SigningKey> sign_key;  // signs every destination
};

// Writes one layer per `options.adds` entry (in order) on the base image and
// the image to every destination. A missing source fails before anything is
// read or written.
absl::StatusOr<ImageResult> Assemble(const AssembleOptions& options, Progress& progress,
                                     registry::RegistrySession& registries);

}  // namespace cook::cache

#endif  // COOK_CACHE_ASSEMBLE_H_
