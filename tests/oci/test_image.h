#ifndef COOK_TESTS_OCI_TEST_IMAGE_H_
#define COOK_TESTS_OCI_TEST_IMAGE_H_

// Small real images for transport tests: ustar layers built in memory,
// optionally compressed, with a matching config and manifest.

#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "oci/image.h"
#include "oci/transport.h"
#include "layers/compressor.h"
#include "tests/testing/status_matchers.h"

namespace cook::oci::testing {

// The platform of the test images, which transport tests ask sources for.
inline const Platform kAmd64{"linux", "amd64", ""};

// The matchers every transport test in this namespace uses.
using ::cook::testing::IsOk;
using ::cook::testing::IsOkAndHolds;
using ::cook::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

struct TarEntry {
  std::string name;
  std::string contents;
  char type = '0';  // '0' file, '2' symlink, '5' directory
  std::string linkname;
};

// A ustar archive holding `entries` in the given order, mtime 0, uid/gid 0.
std::string MakeTar(const std::vector<TarEntry>& entries);

// `data` compressed with the layers compressor.
std::string Compress(std::string_view data, layers::Compression compression);

struct TestImage {
  ImageConfig config;
  std::string config_json;
  std::vector<std::string> layer_tars;   // uncompressed
  std::vector<std::string> layer_blobs;  // as stored (maybe compressed)
  Manifest manifest;
  RawManifest raw;
};

// An image whose layers are tars holding one file each ("<prefix>-<i>.txt").
TestImage MakeImage(
    const std::vector<std::string>& file_contents,
    layers::Compression compression = layers::Compression::kNone,
    std::string label = "one");

// Puts the config, the layers and the manifest, then commits.
absl::Status WriteImage(ImageDestination& dest, const TestImage& image);

// Reads the whole blob through the source's verifying reader.
absl::StatusOr<std::string> ReadAll(ImageSource& source, const Descriptor& d);

// Regular files directly under `dir` and below, relative, sorted.
std::vector<std::string> ListFiles(const std::filesystem::path& dir);

// Runs `command` with sh; returns its exit code and puts stdout in `out`.
int RunCommand(const std::string& command, std::string* out);

}  // namespace cook::oci::testing

#endif  // COOK_TESTS_OCI_TEST_IMAGE_H_
