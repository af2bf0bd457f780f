// `cook build --cache-from` trusts nothing it has not verified: a tampered
// cache image fails the build before cargo runs, leaving nothing of the bad
// layer in the target directory, and a cache layer is reused only when the
// restore checked it against its diff_id. A one-crate workspace without
// dependencies keeps the real builds to seconds.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/io.h"
#include "oci/image.h"
#include "oci/reference.h"
#include "oci/transport.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "layers/compressor.h"
#include "layers/digest.h"
#include "tests/integration/build_testing.h"
#include "tests/layers/tar_testing.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace cook {
namespace {

namespace fs = std::filesystem;
using ::cook::layers::testing::BuildTar;
using ::cook::layers::testing::FileEntry;
using ::cook::layers::testing::TarEntry;
using ::cook::testing::RunCook;
using ::cook::testing::RunResult;
using ::cook::testing::WriteTestFile;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

std::string Zstd(const std::string& data) {
  std::string out;
  StringSink sink(&out);
  auto compressor = layers::NewCompressor({}, &sink);
  EXPECT_TRUE(compressor.ok()) << compressor.status();
  EXPECT_TRUE((*compressor)->Write(data).ok());
  EXPECT_TRUE((*compressor)->Close().ok());
  return out;
}

// An image read back: its manifest and config.
struct Image {
  oci::Manifest manifest;
  oci::ImageConfig config;
};

Image ReadImage(const std::string& ref_text) {
  Image image;
  auto ref = oci::ParseReference(ref_text);
  EXPECT_TRUE(ref.ok()) << ref.status();
  auto source = oci::OpenImageSource(*ref);
  EXPECT_TRUE(source.ok()) << source.status();
  auto raw = (*source)->GetManifest(oci::HostPlatform());
  EXPECT_TRUE(raw.ok()) << raw.status();
  auto manifest = oci::ParseManifest(raw->bytes);
  EXPECT_TRUE(manifest.ok()) << manifest.status();
  auto config_bytes = oci::ReadSmallBlob(**source, manifest->config);
  EXPECT_TRUE(config_bytes.ok()) << config_bytes.status();
  auto config = oci::ParseConfig(*config_bytes);
  EXPECT_TRUE(config.ok()) << config.status();
  image.manifest = *manifest;
  image.config = *config;
  return image;
}

// A layer to write: its blob and the diff_id the config claims for it.
struct LayerSpec {
  std::string blob;  // zstd
  std::string diff_id;
};

// Writes `config` (its diff_ids replaced) with `layers` to `ref_text`.
void WriteImage(const std::string& ref_text, oci::ImageConfig config,
                const std::vector<LayerSpec>& layers) {
  auto ref = oci::ParseReference(ref_text);
  ASSERT_TRUE(ref.ok()) << ref.status();
  auto dest = oci::OpenImageDestination(*ref);
  ASSERT_TRUE(dest.ok()) << dest.status();
  oci::Manifest manifest;
  config.diff_ids.clear();
  for (const LayerSpec& l : layers) {
    oci::Descriptor d{std::string(oci::kOciLayerZstd), layers::Sha256Digest(l.blob),
                      static_cast<int64_t>(l.blob.size())};
    StringSource source(l.blob);
    ASSERT_TRUE((*dest)->PutBlob(d, source).ok());
    manifest.layers.push_back(d);
    config.diff_ids.push_back(l.diff_id);
  }
  const std::string config_bytes = oci::SerializeConfig(config);
  manifest.config = {std::string(oci::kOciConfig), layers::Sha256Digest(config_bytes),
                     static_cast<int64_t>(config_bytes.size())};
  StringSource config_source(config_bytes);
  ASSERT_TRUE((*dest)->PutBlob(manifest.config, config_source).ok());
  ASSERT_TRUE((*dest)->PutManifest(oci::MakeRawManifest(manifest)).ok());
  ASSERT_TRUE((*dest)->Commit().ok());
}

std::vector<std::string> Tree(const fs::path& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    out.push_back(it->path().lexically_relative(root).string());
  }
  return out;
}

class CacheFromTest : public cook::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    if (cook::testing::HostTriple().empty()) GTEST_SKIP() << "rustc is missing";
    ws_ = root_ / "ws";
    WriteTestFile(ws_ / "Cargo.toml",
                  "[package]\nname = \"w\"\nversion = \"0.1.0\"\nedition = \"2021\"\n");
    WriteTestFile(ws_ / "Cargo.lock",
                  "version = 3\n\n[[package]]\nname = \"w\"\nversion = \"0.1.0\"\n");
    WriteTestFile(ws_ / "src/lib.rs", "pub fn f() {}\n");
  }

  RunResult Build(std::vector<std::string> extra) {
    std::vector<std::string> args = {"build", "--manifest-path", ws_.string(), "--sandbox",
                                     "off", "--offline", "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunCook(args);
  }

  std::string Oci(const std::string& name) const {
    return "oci:" + (root_ / name).string() + ":t";
  }

  fs::path ws_;
};

TEST_F(CacheFromTest, ATamperedCacheFailsTheBuildAndLeavesNothingOfIt) {
  const std::string tar = BuildTar({FileEntry("build/target/debug/libdep.rlib", "rlib")});
  std::string padded = tar;
  padded.resize((tar.size() / 10240 + 1) * 10240, '\0');
  oci::ImageConfig config;
  config.created = "1970-01-01T00:00:01Z";
  config.labels = {{"dev.cook.recipe.digest", "sha256:" + std::string(64, '0')},
                   {"dev.cook.target-dir", "/build/target"},
                   {"dev.cook.cargo-home", "/usr/local/cargo"},
                   {"dev.cook.layers.target", layers::Sha256Digest(padded)}};
  // Same entries, same size, different bytes after the tar end marker: the
  // blob is what the manifest says, its stream is not the diff_id.
  std::string tampered = padded;
  tampered.back() = 'X';
  ASSERT_NO_FATAL_FAILURE(
      WriteImage(Oci("cache"), config, {{Zstd(tampered), layers::Sha256Digest(padded)}}));
  const fs::path target = root_ / "target";
  RunResult r = Build({"--cache-from", Oci("cache"), "--target-dir", target.string(),
                       "--dest", Oci("out")});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, AllOf(HasSubstr("cook: error: reading --cache-from"),
                           HasSubstr("diff_id")));
  EXPECT_THAT(Tree(target), IsEmpty());
  EXPECT_FALSE(fs::exists(root_ / "out"));
}

TEST_F(CacheFromTest, OnlyLayersTheRestoreVerifiedAreReused) {
  RunResult first = Build({"--dest", Oci("first")});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const Image built = ReadImage(Oci("first"));
  ASSERT_EQ(built.manifest.layers.size(), 1u);
  // The cache claims the built layer's diff_id for a blob with other
  // contents, and its labels leave that layer out, so nothing checks the
  // claim; a small layer the labels do name makes it a cache to restore.
  const std::string bogus = Zstd(BuildTar({FileEntry("build/target/bogus", "not this")}));
  const std::string other_tar = BuildTar({FileEntry("etc/unrelated", "u")});
  oci::ImageConfig config = built.config;
  config.labels["dev.cook.layers.target"] = layers::Sha256Digest(other_tar);
  ASSERT_NO_FATAL_FAILURE(WriteImage(Oci("cache"), config,
                                     {{bogus, built.config.diff_ids[0]},
                                      {Zstd(other_tar), layers::Sha256Digest(other_tar)}}));

  RunResult second = Build({"--cache-from", Oci("cache"), "--dest", Oci("second")});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const Image rebuilt = ReadImage(Oci("second"));
  std::vector<std::string> digests;
  for (const oci::Descriptor& d : rebuilt.manifest.layers) digests.push_back(d.digest);
  EXPECT_THAT(digests, Not(Contains(layers::Sha256Digest(bogus))));
  EXPECT_THAT(digests, Contains(built.manifest.layers[0].digest));
  EXPECT_EQ(rebuilt.config.diff_ids, built.config.diff_ids);
}

}  // namespace
}  // namespace cook
