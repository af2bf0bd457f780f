#include "cache/image_io.h"

#include <filesystem>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "oci/reference.h"

namespace cook::cache {
namespace {

oci::ImageReference Ref(const char* text) {
  absl::StatusOr<oci::ImageReference> ref = oci::ParseReference(text);
  EXPECT_TRUE(ref.ok()) << ref.status();
  return *ref;
}

TEST(StagingParentTest, BesideTheFirstLocalDestinationElseTheTempDir) {
  EXPECT_EQ(StagingParent({Ref("docker://reg.example/app:v1"), Ref("oci:/out/layout:v1")},
                          "/var/tmp"),
            std::filesystem::path("/out"));
  EXPECT_EQ(StagingParent({Ref("docker://reg.example/app:v1")}, "/var/tmp"),
            std::filesystem::path("/var/tmp"));
  // Never the working directory, whatever the caller forgot.
  EXPECT_EQ(StagingParent({}, ""), std::filesystem::path("/tmp"));
}

}  // namespace
}  // namespace cook::cache
