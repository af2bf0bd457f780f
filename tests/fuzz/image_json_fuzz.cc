// OCI / Docker schema 2 manifests, indexes and image configs: ParseManifest,
// ParseIndex, ParseConfig, DetectMediaType and SelectManifest on the input.
//
// Checks: whatever parses serialises canonically to JSON that parses again
// and serialises to the same bytes (cook writes base images' configs back).

#include <cstddef>
#include <cstdint>
#include <string>

#include "oci/image.h"
#include "oci/index_walk.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cook;
  const std::string_view json = fuzz::AsText(data, size);
  (void)oci::DetectMediaType(json);
  if (auto manifest = oci::ParseManifest(json); manifest.ok()) {
    const std::string out = oci::SerializeManifest(*manifest);
    auto again = oci::ParseManifest(out);
    fuzz::Check(again.ok(), "a serialised manifest does not parse", out);
    fuzz::Check(oci::SerializeManifest(*again) == out,
                "manifest serialisation is not stable", out);
  }
  if (auto index = oci::ParseIndex(json); index.ok()) {
    const std::string out = oci::SerializeIndex(*index);
    auto again = oci::ParseIndex(out);
    fuzz::Check(again.ok(), "a serialised index does not parse", out);
    fuzz::Check(oci::SerializeIndex(*again) == out,
                "index serialisation is not stable", out);
    (void)oci::SelectManifest(*index, {.os = "linux", .architecture = "amd64"});
  }
  if (auto config = oci::ParseConfig(json); config.ok()) {
    const std::string out = oci::SerializeConfig(*config);
    auto again = oci::ParseConfig(out);
    fuzz::Check(again.ok(), "a serialised config does not parse", out);
    fuzz::Check(oci::SerializeConfig(*again) == out,
                "config serialisation is not stable", out);
  }
  return 0;
}
