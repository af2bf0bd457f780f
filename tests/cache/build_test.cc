// cache::Build with a fake sandbox runner (it writes the target directory
// cargo would) and a fake toolchain probe: no cargo, no network.

#include "cache/build.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/files.h"
#include "cache/cache_tag.h"
#include "cache/format.h"
#include "cache/image_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/session.h"
#include "tests/layers/tar_testing.h"
#include "tests/testing/temp_dir.h"

namespace cook::cache {
namespace {

namespace fs = std::filesystem;
using ::cook::testing::WriteTestFile;
using ::testing::Contains;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

// A dependency unit the fake cargo build writes: deps/lib<crate>-<hash>.rlib,
// its dep-info naming `source`, and its fingerprint.
struct FakeUnit {
  std::string crate;
  std::string hash;  // 16 hex digits
  std::string rlib;  // contents
  bool used = true;  // named in cargo's messages
};

// Plays cargo: `fetch` does nothing, `build` writes every unit into the
// --target-dir and names the used ones in its JSON messages.
class FakeCargo : public sandbox::SandboxRunner {
 public:
  absl::StatusOr<int> Run(const sandbox::SandboxSpec& spec) override {
    if (spec.argv.size() < 2) return 1;
    if (spec.argv[1] == "fetch") {
      ++fetches;
      return 0;
    }
    if (spec.argv[1] != "build") return 1;
    ++builds;
    const auto dir = std::find(spec.argv.begin(), spec.argv.end(), "--target-dir");
    if (dir == spec.argv.end() || !spec.stdout_file) return 1;
    const fs::path profile = fs::path(*(dir + 1)) / "debug";
    std::string messages;
    for (const FakeUnit& u : units) {
      const fs::path rlib = profile / "deps" / absl::StrCat("lib", u.crate, "-", u.hash, ".rlib");
      WriteTestFile(rlib, u.rlib);
      WriteTestFile(profile / "deps" / absl::StrCat(u.crate, "-", u.hash, ".d"),
                    absl::StrCat(rlib.string(), ": ", source.string(), "\n\n",
                                 source.string(), ":\n"));
      WriteTestFile(profile / ".fingerprint" / absl::StrCat(u.crate, "-", u.hash) /
                        absl::StrCat("lib-", u.crate),
                    u.hash);
      if (!u.used) continue;
      absl::StrAppend(&messages, R"({"reason":"compiler-artifact","filenames":[")",
                      rlib.string(), R"("],"executable":null,"fresh":false})", "\n");
    }
    WriteTestFile(fs::path(*(dir + 1)) / ".rustc_info.json", "{}");
    WriteTestFile(*spec.stdout_file, messages);
    return 0;
  }
  bool sandboxed() const override { return true; }

  std::vector<FakeUnit> units;
  fs::path source;  // the one source file every unit read
  int fetches = 0;
  int builds = 0;
};

// The runner Build makes for cargo build: the test's FakeCargo.
class Forward : public sandbox::SandboxRunner {
 public:
  explicit Forward(sandbox::SandboxRunner& to) : to_(to) {}
  absl::StatusOr<int> Run(const sandbox::SandboxSpec& spec) override { return to_.Run(spec); }
  bool sandboxed() const override { return to_.sandboxed(); }

 private:
  sandbox::SandboxRunner& to_;
};

class FakeToolchain : public ToolchainProbe {
 public:
  absl::StatusOr<Toolchain> Probe(const sandbox::SandboxSpec&, const fs::path&) override {
    return Toolchain{"/fake/bin/cargo", "/fake/bin/rustc", rustc_version, "cargo 1.90.0",
                     "x86_64-unknown-linux-gnu"};
  }
  std::string rustc_version = "rustc 1.90.0\nhost: x86_64-unknown-linux-gnu";
};

// Keeps every step, so tests can see what a stage reported.
class RecordingProgress : public Progress {
 public:
  void Step(std::string_view message) override {
    std::lock_guard<std::mutex> lock(mu_);
    steps.emplace_back(message);
  }
  void Warn(std::string_view message) override { Step(message); }
  void Begin(std::string_view, uint64_t) override {}
  void Update(uint64_t) override {}
  void End() override {}
  bool interactive() const override { return false; }

  std::vector<std::string> steps;

 private:
  std::mutex mu_;
};

// Every entry of an image's layers (new ones only), by name, with its mtime.
struct LayerEntries {
  std::map<std::string, int64_t> mtimes;
};

class BuildTest : public cook::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    WriteTestFile(root_ / "ws" / "Cargo.toml",
                  "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n");
    WriteTestFile(root_ / "ws" / "src" / "main.rs", "fn main() {}\n");
    cargo_.source = root_ / "registry" / "serde" / "src" / "lib.rs";
    WriteTestFile(cargo_.source, "// serde\n");
    SetSourceTime(absl::FromUnixSeconds(1153704088));
    cargo_.units = {{"serde", "0123456789abcdef", "serde v1"},
                    {"libc", "1111111111111111", "libc v1"},
                    {"tokio", "2222222222222222", "tokio v1"}};
  }

  void SetSourceTime(absl::Time t) {
    const timespec times[2] = {absl::ToTimespec(t), absl::ToTimespec(t)};
    ASSERT_EQ(::utimensat(AT_FDCWD, cargo_.source.c_str(), times, 0), 0);
  }

  oci::ImageReference Layout(const std::string& name) {
    return *oci::ParseReference(absl::StrCat("oci:", (root_ / name).string(), ":cache"));
  }

  BuildOptions Options(const std::string& dest) {
    BuildOptions options;
    options.manifest_path = (root_ / "ws").string();
    options.environment = {"PATH=/fake/bin", "HOME=" + (root_ / "home").string()};
    options.temp_dir = (root_ / "tmp").string();
    fs::create_directories(options.temp_dir);
    options.dests = {Layout(dest)};
    options.epoch = absl::FromUnixSeconds(1);
    return options;
  }

  absl::StatusOr<BuildResult> Build(const BuildOptions& options) {
    BuildSeams seams;
    seams.direct = &cargo_;
    seams.sandboxed = [this]() -> absl::StatusOr<std::unique_ptr<sandbox::SandboxRunner>> {
      return std::make_unique<Forward>(cargo_);
    };
    seams.toolchain = &toolchain_;
    seams.progress = &progress_;
    seams.registries = &registries_;
    return cache::Build(options, seams);
  }

  OpenedImage Open(const std::string& layout) {
    absl::StatusOr<OpenedImage> image =
        OpenImage(Layout(layout), oci::HostPlatform(), "test", registries_, root_);
    EXPECT_TRUE(image.ok()) << image.status();
    return std::move(*image);
  }

  LayerEntries Entries(const std::string& layout) {
    LayerEntries out;
    for (const oci::Descriptor& layer : Open(layout).manifest.layers) {
      absl::StatusOr<std::string> blob =
          ReadFile(root_ / layout / "blobs" / "sha256" / layer.digest.substr(7));
      EXPECT_TRUE(blob.ok()) << blob.status();
      absl::StatusOr<std::vector<layers::testing::TarEntry>> tar =
          layers::testing::ReadTar(*blob);
      EXPECT_TRUE(tar.ok()) << tar.status();
      for (const auto& e : *tar) out.mtimes[e.name] = e.mtime;
    }
    return out;
  }

  FakeCargo cargo_;
  FakeToolchain toolchain_;
  RecordingProgress progress_;
  registry::RegistrySession registries_{registry::RegistryOptions{}};
};

TEST_F(BuildTest, SameRecipeRustcAndOptionsIsUpToDate) {
  absl::StatusOr<BuildResult> first = Build(Options("layout"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->up_to_date);
  EXPECT_EQ(cargo_.builds, 1);

  absl::StatusOr<BuildResult> again = Build(Options("layout"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->up_to_date);
  EXPECT_EQ(again->recipe_digest, first->recipe_digest);
  EXPECT_EQ(cargo_.fetches, 1);
  EXPECT_EQ(cargo_.builds, 1);
}

TEST_F(BuildTest, ChangedRustcOrOptionsBuildsAgain) {
  ASSERT_TRUE(Build(Options("layout")).ok());
  toolchain_.rustc_version = "rustc 1.91.0\nhost: x86_64-unknown-linux-gnu";
  absl::StatusOr<BuildResult> rustc = Build(Options("layout"));
  ASSERT_TRUE(rustc.ok()) << rustc.status();
  EXPECT_FALSE(rustc->up_to_date);
  EXPECT_EQ(cargo_.builds, 2);

  BuildOptions release = Options("layout");
  release.cargo.release = true;
  absl::StatusOr<BuildResult> options = Build(release);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_FALSE(options->up_to_date);
  EXPECT_EQ(cargo_.builds, 3);
  // --jobs is not part of the key.
  release.cargo.jobs = 1;
  absl::StatusOr<BuildResult> jobs = Build(release);
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  EXPECT_TRUE(jobs->up_to_date);
}

TEST_F(BuildTest, CacheFromReusesLayersThatComeOutTheSame) {
  absl::StatusOr<BuildResult> first = Build(Options("first"));
  ASSERT_TRUE(first.ok()) << first.status();
  std::set<std::string> first_digests;
  for (const oci::Descriptor& d : first->image.layers) first_digests.insert(d.digest);

  cargo_.units[0].rlib = "serde v2";  // one crate changes: one layer
  BuildOptions options = Options("second");
  options.cache_from = Layout("first");
  absl::StatusOr<BuildResult> second = Build(options);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_THAT(second->image.layers, SizeIs(first->image.layers.size()));
  EXPECT_THAT(second->image.reused, SizeIs(second->image.layers.size() - 1));
  for (const std::string& digest : second->image.reused) {
    EXPECT_TRUE(first_digests.contains(digest)) << digest;
  }
  EXPECT_THAT(Open("second").config.diff_ids, Not(IsEmpty()));
}

TEST_F(BuildTest, EveryTaggedDestinationAlsoGetsTheCacheKeyTag) {
  absl::StatusOr<BuildResult> built = Build(Options("layout"));
  ASSERT_TRUE(built.ok()) << built.status();
  const CacheKey key{built->recipe_digest, "", toolchain_.rustc_version};
  const std::string tag = CacheKeyTag(key, "x86_64-unknown-linux-gnu");
  oci::ImageReference tagged = Layout("layout");
  tagged.tag = tag;
  EXPECT_THAT(built->image.destinations, Contains(tagged.ToString()));
  absl::StatusOr<OpenedImage> image =
      OpenImage(tagged, oci::HostPlatform(), "test", registries_, root_);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->raw.digest, built->image.manifest_digest);
  // The image records the lockfile's crates (none: the workspace has no lockfile).
  EXPECT_EQ(ReadCacheLabels(image->config).lock_packages, std::vector<std::string>{});
}

TEST_F(BuildTest, CacheFromLooksForTheCacheKeyTagFirst) {
  ASSERT_TRUE(Build(Options("first")).ok());
  // "branch" names nothing in the layout: the cache-key tag is found first.
  BuildOptions options = Options("second");
  options.cache_from = Layout("first");
  options.cache_from->tag = "branch";
  absl::StatusOr<BuildResult> second = Build(options);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_THAT(second->image.reused, SizeIs(second->image.layers.size()));
  EXPECT_THAT(progress_.steps, Contains(::testing::HasSubstr("the cache-key tag")));
}

TEST_F(BuildTest, UnitsTheBuildDidNotUseAreGone) {
  cargo_.units[2].used = false;  // tokio: left by an earlier build
  absl::StatusOr<BuildResult> result = Build(Options("layout"));
  ASSERT_TRUE(result.ok()) << result.status();
  // Its rlib, dep-info and fingerprint directory.
  EXPECT_THAT(progress_.steps, Contains("removed 3 unused units"));
  const LayerEntries entries = Entries("layout");
  EXPECT_TRUE(entries.mtimes.contains("build/target/debug/deps/libserde-0123456789abcdef.rlib"));
  for (const auto& [name, mtime] : entries.mtimes) {
    EXPECT_FALSE(absl::StrContains(name, "tokio")) << name;
    EXPECT_FALSE(absl::StrContains(name, ".rustc_info.json")) << name;
  }
}

TEST_F(BuildTest, LayerTimeIsNoEarlierThanTheNewestSourceRead) {
  // 2020-01-01T00:00:00.5Z: entry times are whole seconds, rounded up.
  SetSourceTime(absl::FromUnixSeconds(1577836800) + absl::Milliseconds(500));
  absl::StatusOr<BuildResult> result = Build(Options("layout"));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(Open("layout").config.created, "2020-01-01T00:00:01Z");
  const LayerEntries entries = Entries("layout");
  ASSERT_THAT(entries.mtimes, Not(IsEmpty()));
  for (const auto& [name, mtime] : entries.mtimes) EXPECT_EQ(mtime, 1577836801) << name;
}

TEST_F(BuildTest, AnImageWithMoreLayersThanOverlayStacksFailsBeforeWriting) {
  BuildOptions options = Options("layout");
  options.max_layers = 2;
  absl::StatusOr<BuildResult> result = Build(options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(result.status().message(), ::testing::HasSubstr("more than the 2 overlay"));
  EXPECT_FALSE(fs::exists(root_ / "layout")) << "a refused image was written";
}

TEST(SplitJobsTest, ParallelLayersTimesZstdWorkersStayWithinJobs) {
  for (int jobs : {1, 2, 3, 4, 7, 8, 64}) {
    for (size_t layers : {size_t{1}, size_t{2}, size_t{17}}) {
      const SnapshotThreads t = SplitJobs(jobs, 2, layers);
      EXPECT_GE(t.layers, 1);
      EXPECT_GE(t.zstd_workers, 1);
      EXPECT_LE(t.layers, 4);
      EXPECT_LE(t.layers * t.zstd_workers, jobs) << jobs << " " << layers;
    }
  }
  const SnapshotThreads cores = SplitJobs(0, 8, 17);  // -j 0: the cores
  EXPECT_EQ(cores.layers * cores.zstd_workers, 8);
  EXPECT_EQ(SplitJobs(0, 0, 0).layers, 1);
}

}  // namespace
}  // namespace cook::cache
