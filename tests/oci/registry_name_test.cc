#include "oci/registry_name.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cook::oci {
namespace {

using ::testing::ElementsAre;

TEST(RegistryNameTest, DockerHubHasThreeHostNames) {
  for (const char* host :
       {"docker.io", "index.docker.io", "registry-1.docker.io", "Docker.IO"}) {
    EXPECT_TRUE(IsDockerHub(host)) << host;
  }
  for (const char* host : {"quay.io", "docker.io:5000", "auth.docker.io", ""}) {
    EXPECT_FALSE(IsDockerHub(host)) << host;
  }
}

TEST(RegistryNameTest, ReferencesNameDockerHubAsDockerIo) {
  EXPECT_EQ(CanonicalRegistry(""), "docker.io");
  EXPECT_EQ(CanonicalRegistry("index.docker.io"), "docker.io");
  EXPECT_EQ(CanonicalRegistry("docker.io"), "docker.io");
  EXPECT_EQ(CanonicalRegistry("localhost:5000"), "localhost:5000");
  EXPECT_EQ(CanonicalRepository("docker.io", "rust"), "library/rust");
  EXPECT_EQ(CanonicalRepository("docker.io", "someone/tool"), "someone/tool");
  EXPECT_EQ(CanonicalRepository("quay.io", "rust"), "rust");
}

TEST(RegistryNameTest, TheApiLivesOnRegistry1) {
  EXPECT_EQ(EndpointHost("docker.io"), "registry-1.docker.io");
  EXPECT_EQ(EndpointHost("index.docker.io"), "registry-1.docker.io");
  EXPECT_EQ(EndpointHost("reg.example:5000"), "reg.example:5000");
}

TEST(RegistryNameTest, CredentialNames) {
  EXPECT_THAT(
      CredentialHostAliases("index.docker.io"),
      ElementsAre("docker.io", "index.docker.io", "registry-1.docker.io"));
  EXPECT_THAT(CredentialHostAliases("Reg.Example:5000"),
              ElementsAre("reg.example:5000"));
  EXPECT_EQ(CredentialHelperServer("docker.io"), "https://index.docker.io/v1/");
  EXPECT_EQ(CredentialHelperServer("Reg.Example"), "Reg.Example");
}

TEST(RegistryNameTest, ShortImageNameDropsHubPrefixes) {
  EXPECT_EQ(ShortImageName("docker.io/library/rust:1"), "rust:1");
  EXPECT_EQ(ShortImageName("index.docker.io/library/rust:1"), "rust:1");
  EXPECT_EQ(ShortImageName("library/rust:1"), "rust:1");
  EXPECT_EQ(ShortImageName("docker.io/someone/tool:2"), "someone/tool:2");
  EXPECT_EQ(ShortImageName("quay.io/library/x:1"), "quay.io/library/x:1");
  EXPECT_EQ(ShortImageName("docker.iox/y"), "docker.iox/y");
}

}  // namespace
}  // namespace cook::oci
