// End-to-end tests of `cook assemble` and `cook inspect`: the real binary,
// read back by real clients (skopeo, umoci, podman, tar).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace cook {
namespace {

namespace fs = std::filesystem;
using ::cook::testing::CookBinary;
using ::cook::testing::HaveProgram;
using ::cook::testing::RunOptions;
using ::cook::testing::RunProgram;
using ::cook::testing::RunResult;
using ::cook::testing::WriteTestFile;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Makes the same logical tree in different ways: creation order, mtimes,
// owners and umask differ with `variant`; final permission bits do not.
void MakeTree(const fs::path& root, int variant) {
  struct Entry {
    std::string path;
    std::string contents;
    mode_t mode;
  };
  std::vector<Entry> files = {
      {"deps/libserde-1a2b.rlib", std::string(70000, 's') + "serde", 0644},
      {"deps/libfoo.so", std::string(50000, 'f'), 0755},
      {"build/foo-123/out/generated.rs", "pub const X: u32 = 1;\n", 0600},
      {"a/" + std::string(120, 'n') + "/" + std::string(150, 'm') + ".rmeta",
       "long name", 0644},
      {"unicode/d\xc3\xa9j\xc3\xa0-vu/\xe6\x97\xa5\xe6\x9c\xac.txt", "utf-8", 0644},
      {".fingerprint/foo/hash", "0123456789abcdef", 0644},
      {"z-last", "z", 0444},
  };
  std::mt19937 rng(variant);
  if (variant % 2) std::reverse(files.begin(), files.end());
  std::shuffle(files.begin(), files.end(), rng);
  const mode_t old_umask = ::umask(variant % 2 ? 0077 : 0022);
  for (const Entry& f : files) {
    WriteTestFile(root / f.path, f.contents);
    ::chmod((root / f.path).c_str(), f.mode);
  }
  fs::create_directories(root / "empty/dir");
  fs::create_symlink("../deps/libfoo.so", root / "build/link-to-foo");
  fs::create_symlink("does/not/exist", root / "dangling");
  fs::create_hard_link(root / "deps/libfoo.so", root / "deps/libfoo-hard.so");
  ::umask(old_umask);
  // Directories get the same final modes whatever the umask was.
  for (auto it = fs::recursive_directory_iterator(root);
       it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_directory() && !it->is_symlink()) ::chmod(it->path().c_str(), 0755);
  }
  ::chmod(root.c_str(), 0755);
  const struct timespec times[2] = {{1000 + variant * 7777, 0},
                                    {2000 + variant * 9999, 0}};
  for (auto it = fs::recursive_directory_iterator(root);
       it != fs::recursive_directory_iterator(); ++it) {
    ::utimensat(AT_FDCWD, it->path().c_str(), times, AT_SYMLINK_NOFOLLOW);
    if (::geteuid() == 0) {
      ::lchown(it->path().c_str(), 1000 + variant, 2000 + variant);
    }
  }
}

class AssembleTest : public cook::testing::TempDirTest {
 protected:
  RunResult Cook(std::vector<std::string> args, RunOptions options = {}) {
    args.insert(args.begin(), CookBinary());
    options.unset_env.push_back("SOURCE_DATE_EPOCH");
    return RunProgram(args, options);
  }

  // Assembles `tree` into oci:`layout`:TAG and returns the manifest digest.
  std::string Assemble(const fs::path& tree, const fs::path& layout,
                       const std::string& compression,
                       const std::vector<std::string>& prefix = {}) {
    std::vector<std::string> args = prefix;
    args.insert(args.end(),
                {CookBinary(), "assemble", "--add", tree.string() + ":/build/target",
                 "--dest", "oci:" + layout.string() + ":t", "--compression",
                 compression, "--env", "CARGO_TARGET_DIR=/build/target",
                 "--quiet"});
    RunOptions options;
    options.unset_env.push_back("SOURCE_DATE_EPOCH");
    RunResult r = RunProgram(args, options);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string digest = r.out;
    while (!digest.empty() && digest.back() == '\n') digest.pop_back();
    EXPECT_THAT(digest, StartsWith("sha256:"));
    return digest;
  }

  nlohmann::json InspectJson(const std::string& ref) {
    RunResult r = Cook({"inspect", "--json", ref});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  }

  // The layer blob of `layout` with `digest` as a path.
  static fs::path Blob(const fs::path& layout, const std::string& digest) {
    return layout / "blobs" / "sha256" / digest.substr(7);
  }
};

class DeterminismTest : public AssembleTest,
                        public ::testing::WithParamInterface<std::string> {};

TEST_P(DeterminismTest, SameTreeBuiltDifferentlyGivesSameDigest) {
  const std::string compression = GetParam();
  MakeTree(root_ / "tree1", 1);
  MakeTree(root_ / "tree2", 2);
  const std::string d1 = Assemble(root_ / "tree1", root_ / "out1", compression);
  const std::string d2 = Assemble(root_ / "tree2", root_ / "out2", compression);
  EXPECT_EQ(d1, d2);
  // One core instead of all: zstd's thread count must not show in the bytes.
  if (HaveProgram("taskset")) {
    const std::string d3 = Assemble(root_ / "tree1", root_ / "out3", compression,
                                    {"taskset", "-c", "0"});
    EXPECT_EQ(d1, d3);
  }
  // And the content matters: a changed byte changes the digest.
  WriteTestFile(root_ / "tree2/z-last", "y");
  ::chmod((root_ / "tree2/z-last").c_str(), 0444);
  EXPECT_NE(Assemble(root_ / "tree2", root_ / "out4", compression), d1);
}

TEST_P(DeterminismTest, LargeMultiThreadedLayerIsIndependentOfCores) {
  if (!HaveProgram("taskset")) GTEST_SKIP() << "taskset is not installed";
  // Large enough for zstd to split the work into several jobs.
  std::string data;
  std::mt19937 rng(7);
  data.reserve(40 << 20);
  while (data.size() < (40u << 20)) {
    data += absl::StrCat("line ", rng() % 100000, " of a build log\n");
  }
  WriteTestFile(root_ / "big/blob.bin", data);
  const std::string all = Assemble(root_ / "big", root_ / "o1", GetParam());
  const std::string one = Assemble(root_ / "big", root_ / "o2", GetParam(),
                                   {"taskset", "-c", "0"});
  EXPECT_EQ(all, one);
}

INSTANTIATE_TEST_SUITE_P(Compressions, DeterminismTest,
                         ::testing::Values("zstd", "gzip"));

TEST_F(AssembleTest, SourceDateEpochSetsEveryEntryTimeAndCreated) {
  MakeTree(root_ / "tree", 3);
  RunOptions options;
  options.env["SOURCE_DATE_EPOCH"] = "1700000000";
  RunResult r = RunProgram({CookBinary(), "assemble", "--add",
                            (root_ / "tree").string() + ":/build/target",
                            "--dest", "oci:" + (root_ / "out").string(),
                            "--compression", "gzip", "--quiet"},
                           options);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json image = InspectJson("oci:" + (root_ / "out").string());
  EXPECT_EQ(image["created"], "2023-11-14T22:13:20Z");
  const std::string layer = image["layers"][0]["digest"];
  RunResult listing = RunProgram(
      {"sh", "-c",
       "gzip -dc " + Blob(root_ / "out", layer).string() +
           " | python3 -c 'import tarfile,sys\n"
           "t=tarfile.open(fileobj=sys.stdin.buffer,mode=\"r|\")\n"
           "for m in t: print(m.mtime, m.uid, m.gid, repr(m.uname), repr(m.gname), m.name)'"});
  ASSERT_EQ(listing.exit_code, 0) << listing.err;
  std::vector<std::string> lines =
      absl::StrSplit(listing.out, '\n', absl::SkipEmpty());
  ASSERT_GT(lines.size(), 15u);
  for (const std::string& line : lines) {
    EXPECT_THAT(line, StartsWith("1700000000 0 0 '' '' ")) << line;
  }
}

TEST_F(AssembleTest, WithoutSourceDateEpochTimesAreOneSecondAfterTheEpoch) {
  MakeTree(root_ / "tree", 4);
  Assemble(root_ / "tree", root_ / "out", "zstd");
  nlohmann::json image = InspectJson("oci:" + (root_ / "out").string() + ":t");
  EXPECT_EQ(image["created"], "1970-01-01T00:00:01Z");
  EXPECT_EQ(image["platform"], "linux/amd64");
  EXPECT_THAT(image["env"].dump(), HasSubstr("CARGO_TARGET_DIR=/build/target"));
}

TEST_F(AssembleTest, SkopeoReadsAndCopiesZstdAndGzipLayouts) {
  if (!HaveProgram("skopeo")) GTEST_SKIP() << "skopeo is not installed";
  MakeTree(root_ / "tree", 5);
  for (const std::string compression : {"zstd", "gzip"}) {
    const fs::path layout = root_ / ("layout-" + compression);
    const std::string digest = Assemble(root_ / "tree", layout, compression);
    RunResult inspect = RunProgram({"skopeo", "--insecure-policy", "inspect",
                                    "oci:" + layout.string() + ":t"});
    ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
    nlohmann::json info = nlohmann::json::parse(inspect.out, nullptr, false);
    EXPECT_EQ(info["Digest"], digest) << compression;
    EXPECT_EQ(info["Layers"].size(), 1u);
    RunResult copy = RunProgram({"skopeo", "--insecure-policy", "copy",
                                 "oci:" + layout.string() + ":t",
                                 "dir:" + (root_ / ("dir-" + compression)).string()});
    ASSERT_EQ(copy.exit_code, 0) << copy.err;
    EXPECT_TRUE(fs::exists(root_ / ("dir-" + compression) / "manifest.json"));
  }
}

TEST_F(AssembleTest, UmociUnpacksAnImageOnABusyboxBaseAndItsProgramRuns) {
  if (!HaveProgram("umoci") || !fs::exists("/bin/busybox") || ::geteuid() != 0) {
    GTEST_SKIP() << "needs umoci, busybox-static and root for chroot";
  }
  // A base image made by another tool: umoci itself.
  const fs::path base = root_ / "base";
  ASSERT_EQ(RunProgram({"umoci", "init", "--layout", base.string()}).exit_code, 0);
  ASSERT_EQ(RunProgram({"umoci", "new", "--image", base.string() + ":busybox"}).exit_code, 0);
  RunResult insert = RunProgram({"umoci", "insert", "--image", base.string() + ":busybox",
                                 "/bin/busybox", "/bin/busybox"});
  ASSERT_EQ(insert.exit_code, 0) << insert.err;
  ASSERT_EQ(RunProgram({"umoci", "config", "--image", base.string() + ":busybox",
                        "--config.env", "FROM_BASE=yes"})
                .exit_code,
            0);

  WriteTestFile(root_ / "app/hello.sh", "echo \"hello from cook, $FROM_BASE $GREETING\"\n");
  ::chmod((root_ / "app/hello.sh").c_str(), 0755);
  const fs::path out = root_ / "out";
  RunResult r = Cook({"assemble", "--base", "oci:" + base.string() + ":busybox",
                      "--add", (root_ / "app").string() + ":/app", "--env",
                      "GREETING=hi", "--compression", "gzip", "--entrypoint", "/bin/busybox", "--cmd", "sh",
                      "--dest", "oci:" + out.string() + ":app", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json image = InspectJson("oci:" + out.string() + ":app");
  EXPECT_EQ(image["layers"].size(), 2u);
  EXPECT_THAT(image["env"].dump(), AllOf(HasSubstr("FROM_BASE=yes"), HasSubstr("GREETING=hi")));

  const fs::path bundle = root_ / "bundle";
  RunResult unpack = RunProgram({"umoci", "unpack", "--image", out.string() + ":app",
                                 bundle.string()});
  ASSERT_EQ(unpack.exit_code, 0) << unpack.err;
  RunResult run = RunProgram({"chroot", (bundle / "rootfs").string(), "/bin/busybox",
                              "sh", "-c", "FROM_BASE=yes GREETING=hi /bin/busybox sh /app/hello.sh"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "hello from cook, yes hi\n");
}

TEST_F(AssembleTest, PodmanLoadsTheDockerArchiveAndListsTheTag) {
  if (!HaveProgram("podman")) GTEST_SKIP() << "podman is not installed";
  MakeTree(root_ / "tree", 6);
  const fs::path archive = root_ / "image.tar";
  RunResult r = Cook({"assemble", "--add", (root_ / "tree").string() + ":/build/target",
                      "--dest", "docker-archive:" + archive.string() + ":cook/test:v1",
                      "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // podman limits the run root's path length: keep it short.
  char runroot[] = "/tmp/cook-podman-XXXXXX";
  ASSERT_NE(::mkdtemp(runroot), nullptr);
  const std::vector<std::string> podman = {
      "podman", "--root", (root_ / "storage").string(), "--runroot", runroot, "--storage-driver", "vfs", "--cgroup-manager",
      "cgroupfs", "--events-backend", "file"};
  std::vector<std::string> load = podman;
  load.insert(load.end(), {"load", "-i", archive.string()});
  RunResult loaded = RunProgram(load);
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err << loaded.out;
  std::vector<std::string> images = podman;
  images.insert(images.end(), {"images", "--format", "{{.Repository}}:{{.Tag}}"});
  RunResult listed = RunProgram(images);
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("cook/test:v1"));
  fs::remove_all(runroot);
}

TEST_F(AssembleTest, DockerArchiveAndOciBasesKeepLayersAndMergeConfig) {
  WriteTestFile(root_ / "one/a.txt", "a");
  WriteTestFile(root_ / "two/b.txt", "b");
  const fs::path archive = root_ / "base.tar";
  ASSERT_EQ(Cook({"assemble", "--add", (root_ / "one").string(), "--env", "A=1",
                  "--label", "from=base", "--workdir", "/w", "--dest",
                  "docker-archive:" + archive.string(), "--quiet"})
                .exit_code,
            0);
  for (const std::string& base : {"docker-archive:" + archive.string(),
                                 "oci:" + (root_ / "ocibase").string()}) {
    if (base.starts_with("oci:")) {
      ASSERT_EQ(Cook({"assemble", "--add", (root_ / "one").string(), "--env", "A=1",
                      "--label", "from=base", "--workdir", "/w", "--dest", base,
                      "--quiet"})
                    .exit_code,
                0);
    }
    const std::string out = "oci:" + (root_ / "out").string() + ":" +
                            (base.starts_with("oci:") ? "oci" : "archive");
    RunResult r = Cook({"assemble", "--base", base, "--add",
                        (root_ / "two").string() + ":/data", "--env", "B=2",
                        "--label", "mine=yes", "--dest", out, "--quiet"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    nlohmann::json image = InspectJson(out);
    EXPECT_EQ(image["layers"].size(), 2u) << base;
    EXPECT_EQ(image["env"], nlohmann::json({"A=1", "B=2"})) << base;
    EXPECT_EQ(image["workdir"], "/w");
    EXPECT_EQ(image["labels"]["from"], "base");
    EXPECT_EQ(image["labels"]["mine"], "yes");
  }
}

TEST_F(AssembleTest, TwoTagsInOneLayoutShareBlobsAndBothStayReadable) {
  MakeTree(root_ / "tree", 7);
  const fs::path layout = root_ / "layout";
  ASSERT_EQ(Cook({"assemble", "--add", (root_ / "tree").string(), "--dest",
                  "oci:" + layout.string() + ":one", "--quiet"})
                .exit_code,
            0);
  ASSERT_EQ(Cook({"assemble", "--add", (root_ / "tree").string(), "--label", "x=y",
                  "--dest", "oci:" + layout.string() + ":two", "--quiet"})
                .exit_code,
            0);
  int blobs = 0;
  for (const auto& e : fs::directory_iterator(layout / "blobs/sha256")) {
    (void)e;
    ++blobs;
  }
  // One shared layer, two configs, two manifests.
  EXPECT_EQ(blobs, 5);
  EXPECT_EQ(InspectJson("oci:" + layout.string() + ":one")["labels"].size(), 0u);
  EXPECT_EQ(InspectJson("oci:" + layout.string() + ":two")["labels"]["x"], "y");
}

TEST_F(AssembleTest, JsonOutputIsOneObjectOnStdout) {
  WriteTestFile(root_ / "tree/f", "f");
  RunResult r = Cook({"assemble", "--add", (root_ / "tree").string(), "--dest",
                      "oci:" + (root_ / "a").string(), "--dest",
                      "docker-archive:" + (root_ / "b.tar").string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json doc = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << r.out;
  EXPECT_THAT(doc["digest"].get<std::string>(), StartsWith("sha256:"));
  EXPECT_EQ(doc["layers"].size(), 1u);
  EXPECT_EQ(doc["destinations"].size(), 2u);
  EXPECT_TRUE(fs::exists(root_ / "b.tar"));
}

TEST_F(AssembleTest, RelativePathsResolveAgainstBuildWorkingDirectory) {
  WriteTestFile(root_ / "user/files/f", "f");
  RunOptions options;
  options.cwd = "/";
  options.env["BUILD_WORKING_DIRECTORY"] = (root_ / "user").string();
  RunResult r = Cook({"assemble", "--add", "files:/x", "--dest", "oci:out:tag", "--quiet"},
                     options);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(root_ / "user/out/index.json"));
  EXPECT_FALSE(fs::exists("/out"));
}

TEST_F(AssembleTest, HelpWorksForEveryCommand) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--help"}, {"assemble", "--help"}, {"inspect", "--help"}}) {
    RunResult r = Cook(args);
    EXPECT_EQ(r.exit_code, 0) << args.back();
    EXPECT_THAT(r.out, HasSubstr("Usage"));
  }
}

// Bad input: one clear error line, the right exit code, nothing half-written.
TEST_F(AssembleTest, MissingAddSourceFailsWithOneLineAndWritesNothing) {
  RunResult r = Cook({"assemble", "--add", (root_ / "nope").string(), "--dest",
                      "oci:" + (root_ / "out").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, StartsWith("cook: error: adding "));
  EXPECT_THAT(r.err, HasSubstr("nope"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(root_ / "out"));
}

TEST_F(AssembleTest, UnwritableDestinationFailsAndLeavesNoStagingBehind) {
  WriteTestFile(root_ / "tree/f", "f");
  WriteTestFile(root_ / "file", "not a directory");
  RunResult r = Cook({"assemble", "--add", (root_ / "tree").string(), "--dest",
                      "oci:" + (root_ / "file/layout").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, StartsWith("cook: error: "));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(root_)) left.push_back(e.path().filename());
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"file", "tree"}));
}

TEST_F(AssembleTest, FailedWriteKeepsTheImageThatWasThere) {
  WriteTestFile(root_ / "tree/f", "f");
  const fs::path layout = root_ / "layout";
  ASSERT_EQ(Cook({"assemble", "--add", (root_ / "tree").string(), "--dest",
                  "oci:" + layout.string() + ":t", "--quiet"})
                .exit_code,
            0);
  const std::string before = InspectJson("oci:" + layout.string() + ":t")["digest"];
  RunResult r = Cook({"assemble", "--add", (root_ / "missing").string(), "--dest",
                      "oci:" + layout.string() + ":t"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(InspectJson("oci:" + layout.string() + ":t")["digest"], before);
}

TEST_F(AssembleTest, CorruptLayoutIsReportedNamingTheBlob) {
  WriteTestFile(root_ / "tree/f", std::string(1000, 'x'));
  const fs::path layout = root_ / "layout";
  Assemble(root_ / "tree", layout, "gzip");
  nlohmann::json image = InspectJson("oci:" + layout.string() + ":t");
  const std::string layer = image["layers"][0]["digest"];
  {
    std::fstream blob(Blob(layout, layer), std::ios::in | std::ios::out | std::ios::binary);
    blob.seekp(20);
    blob.put('\x42');
  }
  RunResult r = Cook({"assemble", "--base", "oci:" + layout.string() + ":t", "--add",
                      (root_ / "tree").string(), "--dest",
                      "oci:" + (root_ / "out").string(), "--quiet"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, AllOf(StartsWith("cook: error: "), HasSubstr(layer.substr(7, 12))));
  EXPECT_FALSE(fs::exists(root_ / "out/index.json"));

  WriteTestFile(layout / "index.json", "{not json");
  RunResult bad_index = Cook({"inspect", "oci:" + layout.string() + ":t"});
  EXPECT_EQ(bad_index.exit_code, 1);
  EXPECT_THAT(bad_index.err, AllOf(StartsWith("cook: error: "), HasSubstr("index.json")));
}

TEST_F(AssembleTest, UnknownTransportAndUnknownFlagAreUsageErrors) {
  WriteTestFile(root_ / "tree/f", "f");
  RunResult transport = Cook({"assemble", "--add", (root_ / "tree").string(), "--dest",
                              "ftp:somewhere"});
  EXPECT_EQ(transport.exit_code, 2);
  EXPECT_THAT(transport.err, AllOf(StartsWith("cook: error: "), HasSubstr("ftp")));
  RunResult flag = Cook({"assemble", "--frobnicate", "--add", "x", "--dest", "oci:y"});
  EXPECT_EQ(flag.exit_code, 2);
  EXPECT_THAT(flag.err, AllOf(StartsWith("cook: error: "), HasSubstr("frobnicate")));
  RunResult missing = Cook({"inspect"});
  EXPECT_EQ(missing.exit_code, 2);
  RunResult level = Cook({"assemble", "--add", "x", "--dest", "oci:y",
                          "--compression", "gzip", "--compression-level", "42"});
  EXPECT_EQ(level.exit_code, 2);
  EXPECT_FALSE(fs::exists(root_ / "y"));
}

TEST_F(AssembleTest, InterruptExits130AndLeavesNothingThatLooksComplete) {
  if (!HaveProgram("timeout")) GTEST_SKIP() << "coreutils timeout is missing";
  std::string data;
  std::mt19937_64 rng(3);
  data.resize(256 << 20);
  for (size_t i = 0; i + 8 <= data.size(); i += 8) {
    const uint64_t v = rng() % 4096;  // compressible, but not trivially
    std::memcpy(&data[i], &v, 8);
  }
  WriteTestFile(root_ / "big/data.bin", data);
  data.clear();
  RunResult r = RunProgram({"timeout", "--preserve-status", "-s", "INT", "1",
                            CookBinary(), "assemble", "--add",
                            (root_ / "big").string(), "--compression", "gzip",
                            "--dest", "oci:" + (root_ / "out").string(), "--quiet"});
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_THAT(r.err, HasSubstr("interrupted"));
  EXPECT_FALSE(fs::exists(root_ / "out/index.json"));
  for (const auto& e : fs::directory_iterator(root_)) {
    EXPECT_THAT(e.path().filename().string(), Not(HasSubstr("cook-staging")));
  }
}

// Names of the entries directly in `dir` that start with ".cook-staging".
std::vector<std::string> StagingLeftIn(const fs::path& dir) {
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(".cook-staging", 0) == 0) left.push_back(name);
  }
  return left;
}

// Invalid UTF-8 in a layer destination (it goes into the config's history)
// and in a destination reference (it goes into --json output) used to abort
// cook (an uncaught nlohmann exception, exit 134) after the image was
// written, leaving its staging directory behind.
TEST_F(AssembleTest, InvalidUtf8InPathsAndReferencesNeverAborts) {
  WriteTestFile(root_ / "src/f", "f");
  const std::string bad = "\xff";
  RunResult add = Cook({"assemble", "--add", (root_ / "src").string() + ":/" + bad, "--dest",
                        "oci:" + (root_ / "one").string()});
  EXPECT_EQ(add.exit_code, 0) << add.err;
  EXPECT_THAT(add.out, StartsWith("sha256:"));
  // Progress names the layer by its destination: escaped, not raw.
  EXPECT_THAT(add.err, HasSubstr("(/\\xff)"));
  EXPECT_EQ(add.err.find('\xff'), std::string::npos) << add.err;

  const std::string dest = "oci:" + (root_ / ("x" + bad)).string() + ":v1";
  RunResult json = Cook({"assemble", "--add", (root_ / "src").string(), "--dest", dest,
                         "--json", "--quiet"});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  nlohmann::json doc = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << json.out;
  ASSERT_EQ(doc["destinations"].size(), 1u) << json.out;
  // The invalid byte comes out as U+FFFD.
  EXPECT_THAT(doc["destinations"][0].get<std::string>(), HasSubstr("x\xef\xbf\xbd:v1"));
  EXPECT_EQ(std::count(json.out.begin(), json.out.end(), '\n'), 1) << json.out;

  RunResult inspect = Cook({"inspect", "--json", dest});
  EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_TRUE(nlohmann::json::parse(inspect.out, nullptr, false).is_object()) << inspect.out;
  RunResult human = Cook({"inspect", dest});
  EXPECT_EQ(human.exit_code, 0) << human.err;
  EXPECT_THAT(human.out, HasSubstr("x\\xff:v1"));

  EXPECT_EQ(StagingLeftIn(root_), std::vector<std::string>());
}

// What an image says (labels, env, cmd, entrypoint, workdir) is printed
// escaped: it can neither add lines to `cook inspect` nor drive the terminal.
TEST_F(AssembleTest, InspectEscapesWhatTheImageSays) {
  WriteTestFile(root_ / "src/f", "f");
  const std::string layout = "oci:" + (root_ / "layout").string() + ":t";
  RunResult r = Cook({"assemble", "--add", (root_ / "src").string(), "--dest", layout,
                      "--label", "evil=x\nDigest:     sha256:forged\x1b[2J",
                      "--label", "c1=\xc2\x9b" "31m", "--env", "A=1\nB=2\r",
                      "--workdir", "/w\nLabels:", "--cmd", "a\nb", "--cmd", "say \"hi\"", "--entrypoint",
                      "\x1b]0;title\x07", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  RunResult human = Cook({"inspect", layout});
  ASSERT_EQ(human.exit_code, 0) << human.err;
  const std::vector<std::string> lines = absl::StrSplit(human.out, '\n');
  // Name, Digest, Platform, Created, Layers + 1, Env: + 1, Workdir,
  // Entrypoint, Cmd, Labels: + 2, Signatures: (none), and the empty piece
  // after the last '\n'.
  EXPECT_EQ(lines.size(), 16u) << human.out;
  EXPECT_THAT(human.out, HasSubstr("\nSignatures: 0\n"));
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(),
                          [](const std::string& l) { return l.rfind("Digest:", 0) == 0; }),
            1)
      << human.out;
  EXPECT_EQ(human.out.find('\x1b'), std::string::npos) << human.out;
  EXPECT_EQ(human.out.find('\r'), std::string::npos) << human.out;
  EXPECT_EQ(human.out.find('\x07'), std::string::npos) << human.out;
  EXPECT_EQ(human.out.find("\xc2\x9b"), std::string::npos) << human.out;
  EXPECT_THAT(human.out, HasSubstr("  evil=x\\nDigest:     sha256:forged\\x1b[2J\n"));
  EXPECT_THAT(human.out, HasSubstr("  A=1\\nB=2\\r\n"));
  EXPECT_THAT(human.out, HasSubstr("  c1=\\u{9b}31m\n"));
  EXPECT_THAT(human.out, HasSubstr("Workdir:    /w\\nLabels:\n"));
  EXPECT_THAT(human.out, HasSubstr("Cmd:        [\"a\\nb\", \"say \\\"hi\\\"\"]\n"));
  EXPECT_THAT(human.out, HasSubstr("Entrypoint: [\"\\x1b]0;title\\x07\"]\n"));

  // --json keeps the exact text.
  nlohmann::json doc = InspectJson(layout);
  EXPECT_EQ(doc["labels"]["evil"], "x\nDigest:     sha256:forged\x1b[2J");
  EXPECT_EQ(doc["env"][0], "A=1\nB=2\r");
}

// An error is one line, plus the hint line cook itself adds; text quoted in
// it (a reference, a path) cannot add lines or terminal controls.
TEST_F(AssembleTest, ErrorsStayOnOneLineWhateverTheyQuote) {
  RunResult missing =
      Cook({"inspect", "oci:" + (root_ / "nothing\ncook- error- forged\x1b[2J").string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, StartsWith("cook: error: inspecting oci:"));
  EXPECT_THAT(missing.err, HasSubstr("nothing\\ncook- error- forged\\x1b[2J"));
  EXPECT_EQ(std::count(missing.err.begin(), missing.err.end(), '\n'), 1) << missing.err;
  EXPECT_EQ(missing.err.find('\x1b'), std::string::npos) << missing.err;

  // A usage error with a hint of cook's: the quoted text's own "hint:" stays
  // inside the error line.
  RunResult transport = Cook({"inspect", "bogus:x\nhint: forged\xff"});
  EXPECT_EQ(transport.exit_code, 2);
  const std::vector<std::string> lines = absl::StrSplit(transport.err, '\n');
  ASSERT_EQ(lines.size(), 3u) << transport.err;
  EXPECT_THAT(lines[0], AllOf(StartsWith("cook: error: "), HasSubstr("x\\nhint: forged\\xff")));
  EXPECT_THAT(lines[1], StartsWith("hint: use oci:DIR"));
  EXPECT_EQ(lines[2], "");
}

TEST_F(AssembleTest, InspectOfMissingImageSaysWhatIsMissing) {
  RunResult r = Cook({"inspect", "oci:" + (root_ / "nothing").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, AllOf(StartsWith("cook: error: inspecting oci:"), HasSubstr("nothing")));
}

}  // namespace
}  // namespace cook
