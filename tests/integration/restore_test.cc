// `cook restore` against hand-made hostile images: every escape is refused
// with an error naming the entry, exit 1, and nothing lands outside the
// target directory or cargo home. Tampered layers (in oci:, docker-archive:
// and a registry), labels that disagree with the layers, and an interrupt
// leave no file of the layer under its final name.

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/io.h"
#include "oci/image.h"
#include "oci/reference.h"
#include "oci/transport.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "layers/compressor.h"
#include "layers/digest.h"
#include "layers/layer_writer.h"
#include "tests/layers/tar_testing.h"
#include "tests/testing/registry_server.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace cook {
namespace {

namespace fs = std::filesystem;
using ::cook::layers::testing::BuildTar;
using ::cook::layers::testing::DirEntry;
using ::cook::layers::testing::FileEntry;
using ::cook::layers::testing::TarEntry;
using ::cook::testing::CookBinary;
using ::cook::testing::RunProgram;
using ::cook::testing::RunResult;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

// Pads a tar to whole 10 KiB records with zeros after its end marker, as
// GNU tar and Docker write them: bytes that a reader stopping at the end
// marker never looks at.
std::string PadToRecord(std::string tar) {
  tar.resize((tar.size() / 10240 + 1) * 10240, '\0');
  return tar;
}

std::string Zstd(const std::string& data) {
  std::string out;
  StringSink sink(&out);
  auto compressor = layers::NewCompressor({}, &sink);
  EXPECT_TRUE(compressor.ok()) << compressor.status();
  EXPECT_TRUE((*compressor)->Write(data).ok());
  EXPECT_TRUE((*compressor)->Close().ok());
  return out;
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteAll(const fs::path& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

// Every path below `root` (relative), or nothing when it does not exist.
std::vector<std::string> Tree(const fs::path& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    out.push_back(it->path().lexically_relative(root).string());
  }
  return out;
}

// How WriteImage makes its image.
struct CacheImageSpec {
  std::string tar;  // the layer's uncompressed tar
  bool zstd = false;  // store the layer compressed
  // The config's diff_id for the layer; empty: the digest of `tar`.
  std::string diff_id;
  // The dev.cook.layers.target label; unset: the diff_id.
  std::optional<std::string> target_layers;
};

class RestoreTest : public cook::testing::TempDirTest {
 protected:
  // Writes an image whose only layer is `tar`, labelled as a cook cache with
  // the target directory at /build/target, to oci:root_/image:t.
  std::string WriteCacheImage(const std::string& tar) {
    return WriteImage({.tar = tar});
  }

  std::string WriteImage(const CacheImageSpec& spec) {
    const std::string blob = spec.zstd ? Zstd(spec.tar) : spec.tar;
    oci::Descriptor layer{
        std::string(spec.zstd ? oci::kOciLayerZstd : oci::kOciLayerTar),
        layers::Sha256Digest(blob), static_cast<int64_t>(blob.size())};
    const std::string diff_id =
        spec.diff_id.empty() ? layers::Sha256Digest(spec.tar) : spec.diff_id;
    return CommitImage(layer, diff_id, spec.target_layers.value_or(diff_id),
                       [&](oci::ImageDestination& dest) {
                         StringSource source(blob);
                         return dest.PutBlob(layer, source);
                       });
  }

  // Writes oci:root_/image:t with the one `layer`, which `put` stores.
  // Sets layer_digest_ and manifest_digest_.
  std::string CommitImage(
      const oci::Descriptor& layer, const std::string& diff_id,
      const std::string& target_layers,
      const std::function<absl::Status(oci::ImageDestination&)>& put) {
    auto ref = oci::ParseReference("oci:" + (root_ / "image").string() + ":t");
    EXPECT_TRUE(ref.ok());
    auto dest = oci::OpenImageDestination(*ref);
    EXPECT_TRUE(dest.ok()) << dest.status();
    absl::Status put_status = put(**dest);
    EXPECT_TRUE(put_status.ok()) << put_status;
    layer_digest_ = layer.digest;
    oci::ImageConfig config;
    config.created = "1970-01-01T00:00:01Z";
    config.diff_ids = {diff_id};
    config.labels = {{"dev.cook.recipe.digest", "sha256:" + std::string(64, '0')},
                     {"dev.cook.target-dir", "/build/target"},
                     {"dev.cook.cargo-home", "/usr/local/cargo"}};
    if (!target_layers.empty()) config.labels["dev.cook.layers.target"] = target_layers;
    const std::string config_bytes = oci::SerializeConfig(config);
    oci::Manifest manifest;
    manifest.config = {std::string(oci::kOciConfig), layers::Sha256Digest(config_bytes),
                       static_cast<int64_t>(config_bytes.size())};
    manifest.layers = {layer};
    StringSource config_source(config_bytes);
    EXPECT_TRUE((*dest)->PutBlob(manifest.config, config_source).ok());
    const oci::RawManifest raw = oci::MakeRawManifest(manifest);
    manifest_digest_ = raw.digest;
    EXPECT_TRUE((*dest)->PutManifest(raw).ok());
    EXPECT_TRUE((*dest)->Commit().ok());
    return "oci:" + (root_ / "image").string() + ":t";
  }

  // The layer blob's file in the oci: layout WriteImage wrote.
  fs::path LayerBlobFile() const {
    return root_ / "image/blobs/sha256" / layer_digest_.substr(7);
  }

  // A benign cache layer, padded past its end marker.
  static std::string GoodTar() {
    return PadToRecord(BuildTar({DirEntry("build/"), DirEntry("build/target/"),
                                 DirEntry("build/target/debug/"),
                                 FileEntry("build/target/debug/libdep.rlib", "rlib"),
                                 FileEntry("build/target/debug/libdep.d", "deps")}));
  }

  // The same bytes with the last one (padding after the end marker) changed.
  static std::string TamperLastByte(std::string bytes) {
    bytes.back() = 'X';
    return bytes;
  }

  // Restore fails naming the layer, and nothing of it is in the target dir.
  void ExpectRefusedLayer(const RunResult& r, const std::string& why) {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_THAT(r.err, AllOf(StartsWith("cook: error: "), HasSubstr(layer_digest_),
                             HasSubstr(why)));
    EXPECT_THAT(Tree(root_ / "work/target"), IsEmpty());
    EXPECT_THAT(Tree(root_ / "work/cargo-home"), IsEmpty());
  }

  RunResult Restore(const std::string& ref, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {CookBinary(), "restore", "--from", ref, "--target-dir",
                                     (root_ / "work/target").string(), "--cargo-home",
                                     (root_ / "work/cargo-home").string(), "--quiet"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunProgram(argv);
  }

  std::string layer_digest_;
  std::string manifest_digest_;

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
      {DirEntry("build/"), DirEntry("build/target/"), DirEntry("build/target/debug/"),
       FileEntry("build/target/debug/libdep.rlib", "rlib"), FileEntry("etc/not-the-cache", "x")})));
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
  ExpectRefused({DirEntry("build/target/"),
                 FileEntry("build/target/../../../../outside/pwned", "x")},
                "outside/pwned");
}

TEST_F(RestoreTest, RefusesAbsolutePaths) {
  ExpectRefused({DirEntry("build/target/"),
                 FileEntry((root_ / "outside/pwned").string(), "x")},
                "pwned");
}

TEST_F(RestoreTest, RefusesWritingThroughASymlink) {
  TarEntry link;
  link.name = "build/target/link";
  link.type = S_IFLNK;
  link.symlink = (root_ / "outside").string();
  ExpectRefused({DirEntry("build/target/"), link, FileEntry("build/target/link/pwned", "x")},
                "link/pwned");
}

TEST_F(RestoreTest, RefusesHardlinksToOutside) {
  TarEntry hard;
  hard.name = "build/target/hard";
  hard.type = S_IFREG;
  hard.hardlink = "build/target/../../../../outside/secret";
  ExpectRefused({DirEntry("build/target/"), hard}, "build/target/hard");
}

TEST_F(RestoreTest, RefusesDeviceNodes) {
  TarEntry dev;
  dev.name = "build/target/tty";
  dev.type = S_IFCHR;
  ExpectRefused({DirEntry("build/target/"), dev}, "build/target/tty");
}

TEST_F(RestoreTest, RefusesImagesThatAreNotCaches) {
  auto ref = RunProgram({CookBinary(), "assemble", "--add", (root_ / "outside").string(),
                         "--dest", "oci:" + (root_ / "plain").string(), "--quiet"});
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  RunResult r = Restore("oci:" + (root_ / "plain").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("not a cook cache image"));
}

TEST_F(RestoreTest, TamperedBytesAfterTheTarEndFailInAnOciLayout) {
  const std::string ref = WriteCacheImage(GoodTar());
  WriteAll(LayerBlobFile(), TamperLastByte(GoodTar()));
  ExpectRefusedLayer(Restore(ref), "digest mismatch");
}

TEST_F(RestoreTest, TamperedBytesAfterTheTarEndFailInADockerArchive) {
  const std::string ref = WriteCacheImage(GoodTar());
  const fs::path archive = root_ / "image.tar";
  RunResult copy = RunProgram({CookBinary(), "copy", ref,
                               "docker-archive:" + archive.string(), "--quiet"});
  ASSERT_EQ(copy.exit_code, 0) << copy.err;
  // The layer is a member of the archive as is: alter its last byte there.
  std::string bytes = ReadAll(archive);
  const size_t at = bytes.find(GoodTar());
  ASSERT_NE(at, std::string::npos);
  bytes[at + GoodTar().size() - 1] = 'X';
  WriteAll(archive, bytes);
  ExpectRefusedLayer(Restore("docker-archive:" + archive.string()), "digest mismatch");
}

TEST_F(RestoreTest, TamperedBytesAfterTheTarEndFailFromARegistryByDigest) {
  absl::StatusOr<std::unique_ptr<cook::testing::RegistryServer>> server =
      cook::testing::RegistryServer::Start({.tls = false});
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string ref = WriteCacheImage(GoodTar());
  RunResult push = RunProgram({CookBinary(), "copy", ref, (*server)->ImageRef("cache:t"),
                               "--tls-verify=false", "--quiet"});
  ASSERT_EQ(push.exit_code, 0) << push.err;
  // The registry keeps blobs in its storage directory under ::testing::TempDir():
  // alter the layer there, as a compromised registry would.
  const std::string tail =
      absl::StrCat("blobs/sha256/", layer_digest_.substr(7, 2), "/", layer_digest_.substr(7),
                   "/data");
  std::vector<fs::path> stored;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(::testing::TempDir(), ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (absl::EndsWith(it->path().string(), tail)) stored.push_back(it->path());
  }
  ASSERT_EQ(stored.size(), 1u) << "the registry's copy of the layer was not found";
  WriteAll(stored[0], TamperLastByte(GoodTar()));
  ExpectRefusedLayer(Restore((*server)->ImageRef("cache@" + manifest_digest_),
                             {"--tls-verify=false"}),
                     "digest mismatch");
}

TEST_F(RestoreTest, ALayerThatIsNotItsDiffIdFails) {
  // The blob matches the manifest, but its contents are not what the config
  // says: the config's diff_id belongs to another tar.
  const std::string other = BuildTar({FileEntry("build/target/other", "o")});
  const std::string ref = WriteImage(
      {.tar = GoodTar(), .zstd = true, .diff_id = layers::Sha256Digest(other)});
  ExpectRefusedLayer(Restore(ref), "diff_id");
}

TEST_F(RestoreTest, ATruncatedLayerLeavesNothing) {
  const std::string tar = PadToRecord(BuildTar(
      {DirEntry("build/target/"), FileEntry("build/target/first", "complete"),
       FileEntry("build/target/big", std::string(1 << 20, 'b'))}));
  const std::string ref = WriteCacheImage(tar);
  // Cut in the middle of "big": the blob's size is wrong, and the tar ends
  // early; "first" was complete but belongs to a layer that failed.
  WriteAll(LayerBlobFile(), tar.substr(0, tar.size() / 2));
  ExpectRefusedLayer(Restore(ref), "");
}

TEST_F(RestoreTest, LabelsNamingALayerTheImageLacksFail) {
  const std::string missing = "sha256:" + std::string(64, 'a');
  RunResult r = Restore(WriteImage({.tar = GoodTar(), .target_layers = missing}));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, AllOf(StartsWith("cook: error: "), HasSubstr(missing),
                           HasSubstr("does not have")));
  EXPECT_THAT(Tree(root_ / "work/target"), IsEmpty());
}

TEST_F(RestoreTest, ACacheWhoseLabelsNameNoLayersFails) {
  RunResult r = Restore(WriteImage({.tar = GoodTar(), .target_layers = ""}));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, AllOf(StartsWith("cook: error: "), HasSubstr("nothing to restore")));
}

TEST_F(RestoreTest, AVerifiedLayerIsRestored) {
  RunResult r = Restore(WriteImage({.tar = GoodTar(), .zstd = true}), {"--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"layers\":1"));
  EXPECT_EQ(ReadAll(root_ / "work/target/debug/libdep.rlib"), "rlib");
  EXPECT_THAT(Tree(root_ / "work/target"),
              ::testing::UnorderedElementsAre("debug", "debug/libdep.rlib", "debug/libdep.d"));
}

// SIGINT while cook writes a 1 GiB file: exit 130, and no file of the layer
// (complete or not) under its final name, no staging directory left.
TEST_F(RestoreTest, InterruptLeavesNoPartialFile) {
  const fs::path src = root_ / "src";
  fs::create_directories(src / "debug");
  cook::testing::WriteTestFile(src / "debug/small", "small");
  {
    // Sparse: a big file without writing it; zeros compress to almost nothing.
    std::ofstream(src / "debug/big").close();
    fs::resize_file(src / "debug/big", uint64_t{1} << 30);
  }
  layers::LayerOptions options;
  options.epoch = absl::FromUnixSeconds(1700000000);
  absl::StatusOr<layers::LayerBlob> blob =
      layers::WriteLayer({.source = src, .dest = "/build/target"}, root_ / "layer", options);
  ASSERT_TRUE(blob.ok()) << blob.status();
  fs::remove_all(src);
  const oci::Descriptor layer{std::string(oci::kOciLayerZstd), blob->digest,
                              static_cast<int64_t>(blob->size)};
  const std::string ref =
      CommitImage(layer, blob->diff_id, blob->diff_id, [&](oci::ImageDestination& dest) {
        return dest.PutBlobFile(layer, blob->path, /*take=*/true);
      });

  const fs::path err = root_ / "stderr";
  const std::vector<std::string> argv = {
      CookBinary(), "restore", "--from", ref, "--target-dir", (root_ / "work/target").string(),
      "--cargo-home", (root_ / "work/cargo-home").string()};
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 2);
    ::execv(args[0], args.data());
    _exit(127);
  }
  // Wait until part of "big" is written (wherever it is being written).
  bool writing = false;
  int status = 0;
  bool exited = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!writing && !exited && std::chrono::steady_clock::now() < deadline) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root_ / "work", ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      std::error_code size_ec;
      if (it->path().filename() == "big" && fs::file_size(it->path(), size_ec) > 0 &&
          !size_ec) {
        writing = true;
        break;
      }
    }
    if (!writing) {
      exited = ::waitpid(pid, &status, WNOHANG) == pid;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  ::kill(pid, SIGINT);
  if (!exited) ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(writing) << "cook never wrote the big file: " << ReadAll(err);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130) << ReadAll(err);
  EXPECT_THAT(ReadAll(err), HasSubstr("interrupted"));
  for (const std::string& path : Tree(root_ / "work")) {
    EXPECT_THAT(path, AllOf(Not(HasSubstr("big")), Not(HasSubstr("small")),
                            Not(HasSubstr(".cook-extract-"))));
  }
}

}  // namespace
}  // namespace cook
