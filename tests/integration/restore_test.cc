// `cook restore` against hand-made hostile images: every escape is refused
// with an error naming the entry, exit 1, and nothing lands outside the
// target directory or cargo home.

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/io.h"
#include "builder/oci/image.h"
#include "builder/oci/reference.h"
#include "builder/oci/transport.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "layers/digest.h"
#include "tests/layers/tar_testing.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace cook {
namespace {

namespace fs = std::filesystem;
using ::cook::layers::testing::BuildTar;
using ::cook::layers::testing::TarEntry;
using ::cook::testing::CookBinary;
using ::cook::testing::RunProgram;
using ::cook::testing::RunResult;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TarEntry Dir(std::string name) {
  TarEntry e;
  e.name = std::move(name);
  e.type = S_IFDIR;
  e.perm = 0755;
  e.mtime = 1700000000;
  return e;
}

TarEntry File(std::string name, std::string data) {
  TarEntry e;
  e.name = std::move(name);
  e.type = S_IFREG;
  e.data = std::move(data);
  e.mtime = 1700000000;
  return e;
}

class RestoreTest : public cook::testing::TempDirTest {
 protected:
  // Writes an image whose only layer is `tar`, labelled as a cook cache with
  // the target directory at /build/target, to oci:root_/image:t.
  std::string WriteCacheImage(const std::string& tar) {
    auto ref = oci::ParseReference("oci:" + (root_ / "image").string() + ":t");
    EXPECT_TRUE(ref.ok());
    auto dest = oci::OpenImageDestination(*ref);
    EXPECT_TRUE(dest.ok()) << dest.status();
    oci::Descriptor layer{std::string(oci::kOciLayerTar), layers::Sha256Digest(tar),
                          static_cast<int64_t>(tar.size())};
    StringSource layer_source(tar);
    EXPECT_TRUE((*dest)->PutBlob(layer, layer_source).ok());
    oci::ImageConfig config;
    config.created = "1970-01-01T00:00:01Z";
    config.diff_ids = {layer.digest};
    config.labels = {{"dev.cook.recipe.digest", "sha256:" + std::string(64, '0')},
                     {"dev.cook.target-dir", "/build/target"},
                     {"dev.cook.cargo-home", "/usr/local/cargo"},
                     {"dev.cook.layers.target", layer.digest}};
    const std::string config_bytes = oci::SerializeConfig(config);
    oci::Manifest manifest;
    manifest.config = {std::string(oci::kOciConfig), layers::Sha256Digest(config_bytes),
                       static_cast<int64_t>(config_bytes.size())};
    manifest.layers = {layer};
    StringSource config_source(config_bytes);
    EXPECT_TRUE((*dest)->PutBlob(manifest.config, config_source).ok());
    EXPECT_TRUE((*dest)->PutManifest(oci::MakeRawManifest(manifest)).ok());
    EXPECT_TRUE((*dest)->Commit().ok());
    return "oci:" + (root_ / "image").string() + ":t";
  }

  RunResult Restore(const std::string& ref) {
    return RunProgram({CookBinary(), "restore", "--from", ref, "--target-dir",
                       (root_ / "work/target").string(), "--cargo-home",
                       (root_ / "work/cargo-home").string(), "--quiet"});
  }

  // Everything under root_/outside, to prove nothing was written there.
  std::vector<std::string> Outside() {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root_ / "outside")) {
      out.push_back(e.path().lexically_relative(root_ / "outside").string());
    }
    return out;
  }

  void SetUp() override {
    TempDirTest::SetUp();
    cook::testing::WriteTestFile(root_ / "outside/secret", "secret");
    fs::create_directories(root_ / "work");
  }

  void ExpectRefused(const std::vector<TarEntry>& entries, const std::string& entry) {
    RunResult r = Restore(WriteCacheImage(BuildTar(entries)));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_THAT(r.err, AllOf(StartsWith("cook: error: "), HasSubstr(entry)));
    EXPECT_EQ(Outside(), std::vector<std::string>{"secret"});
    EXPECT_FALSE(fs::exists(root_ / "evil"));
  }
};

TEST_F(RestoreTest, RestoresABenignCacheWithItsTimes) {
  RunResult r = Restore(WriteCacheImage(BuildTar(
      {Dir("build/"), Dir("build/target/"), Dir("build/target/debug/"),
       File("build/target/debug/libdep.rlib", "rlib"), File("etc/not-the-cache", "x")})));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path rlib = root_ / "work/target/debug/libdep.rlib";
  ASSERT_TRUE(fs::exists(rlib));
  struct stat st;
  ASSERT_EQ(::stat(rlib.c_str(), &st), 0);
  EXPECT_EQ(st.st_mtime, 1700000000);
  // Entries outside the cached directories are not restored anywhere.
  EXPECT_FALSE(fs::exists(root_ / "work/target/etc"));
  EXPECT_FALSE(fs::exists(root_ / "work/etc"));
}

TEST_F(RestoreTest, RefusesPathTraversal) {
  ExpectRefused({Dir("build/target/"),
                 File("build/target/../../../../outside/pwned", "x")},
                "outside/pwned");
}

TEST_F(RestoreTest, RefusesAbsolutePaths) {
  ExpectRefused({Dir("build/target/"),
                 File((root_ / "outside/pwned").string(), "x")},
                "pwned");
}

TEST_F(RestoreTest, RefusesWritingThroughASymlink) {
  TarEntry link;
  link.name = "build/target/link";
  link.type = S_IFLNK;
  link.symlink = (root_ / "outside").string();
  ExpectRefused({Dir("build/target/"), link, File("build/target/link/pwned", "x")},
                "link/pwned");
}

TEST_F(RestoreTest, RefusesHardlinksToOutside) {
  TarEntry hard;
  hard.name = "build/target/hard";
  hard.type = S_IFREG;
  hard.hardlink = "build/target/../../../../outside/secret";
  ExpectRefused({Dir("build/target/"), hard}, "build/target/hard");
}

TEST_F(RestoreTest, RefusesDeviceNodes) {
  TarEntry dev;
  dev.name = "build/target/tty";
  dev.type = S_IFCHR;
  ExpectRefused({Dir("build/target/"), dev}, "build/target/tty");
}

TEST_F(RestoreTest, RefusesImagesThatAreNotCaches) {
  auto ref = RunProgram({CookBinary(), "assemble", "--add", (root_ / "outside").string(),
                         "--dest", "oci:" + (root_ / "plain").string(), "--quiet"});
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  RunResult r = Restore("oci:" + (root_ / "plain").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("not a cook cache image"));
}

}  // namespace
}  // namespace cook
