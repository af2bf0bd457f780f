// cache::ExtractCache's pipeline: layers staged concurrently and committed in
// image order give the sequential result; the first error stops everything
// and leaves no staging directory and no file of an uncommitted layer.

#include "cache/extract.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/files.h"
#include "base/io.h"
#include "cache/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "layers/compressor.h"
#include "layers/digest.h"
#include "oci/image.h"
#include "oci/transport.h"
#include "tests/layers/tar_testing.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace cook::cache {
namespace {

namespace fs = std::filesystem;
using ::cook::layers::testing::BuildTar;
using ::cook::layers::testing::TarEntry;
using ::cook::testing::IsOk;
using ::cook::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr int kTargetLayers = 8;
constexpr int kCargoHomeLayers = 2;
constexpr char kTarget[] = "build/target/";
constexpr char kCargoHome[] = "root/.cargo/";

TarEntry Entry(std::string name, mode_t type, uint32_t perm, int64_t mtime) {
  return {.name = std::move(name), .type = type, .perm = perm, .mtime = mtime};
}

// Target layer `k`: a file every layer has (the last one must win), files of
// its own (one big enough to take many reads, one executable), a symlink, a
// hardlink, and directories whose modes and times differ from layer to layer.
std::vector<TarEntry> TargetLayer(int k) {
  const int64_t t = 1700000000 + k * 100;
  const std::string debug = absl::StrCat(kTarget, "debug/");
  std::vector<TarEntry> e = {Entry(kTarget, S_IFDIR, 0755, t),
                             Entry(debug, S_IFDIR, k % 2 ? 0750 : 0755, t + 1),
                             Entry(debug + "deps/", S_IFDIR, 0755, t + 2)};
  TarEntry shared = Entry(debug + "shared.txt", S_IFREG, 0600 + k, t + 3);
  shared.data = absl::StrCat("layer ", k);
  e.push_back(shared);
  TarEntry big = Entry(absl::StrCat(debug, "deps/lib", k, ".rlib"), S_IFREG, 0644, t + 4);
  for (int i = 0; i < 40000; ++i) absl::StrAppend(&big.data, k, ":", i, "\n");
  e.push_back(big);
  TarEntry tool = Entry(absl::StrCat(debug, "tool", k), S_IFREG, 0755, t + 5);
  tool.data = "#!/bin/sh\n";
  e.push_back(tool);
  TarEntry link = Entry(absl::StrCat(debug, "link", k), S_IFLNK, 0777, t + 6);
  link.symlink = absl::StrCat("deps/lib", k, ".rlib");
  e.push_back(link);
  TarEntry hard = Entry(absl::StrCat(debug, "hard", k), S_IFREG, 0644, t + 4);
  hard.hardlink = big.name;
  e.push_back(hard);
  return e;
}

std::vector<TarEntry> CargoHomeLayer(int k) {
  TarEntry file = Entry(absl::StrCat(kCargoHome, "registry/crate", k), S_IFREG, 0644,
                        1700000000 + k);
  file.data = absl::StrCat("crate ", k);
  return {Entry(kCargoHome, S_IFDIR, 0755, 1700000000),
          Entry(absl::StrCat(kCargoHome, "registry/"), S_IFDIR, 0755, 1700000000 + k), file};
}

std::string Zstd(const std::string& data) {
  std::string out;
  StringSink sink(&out);
  auto compressor = layers::NewCompressor({}, &sink);
  EXPECT_THAT(compressor.status(), IsOk());
  EXPECT_THAT((*compressor)->Write(data), IsOk());
  EXPECT_THAT((*compressor)->Close(), IsOk());
  return out;
}

// Hands out blobs in small reads, and lets a test hold one blob's reading
// until another blob has been read to its end, or fail a blob part-way.
class FakeSource : public oci::ImageSource {
 public:
  struct Hold {
    std::string blob;   // whose reads wait
    std::string until;  // until this blob's reader was destroyed
  };
  std::map<std::string, std::string> blobs;
  std::optional<Hold> hold;  // set by HoldUntil()
  std::string fail_blob;  // fails after half of it was read
  std::function<void()> before_failing;

  absl::StatusOr<oci::RawManifest> GetManifest(const oci::Platform&) override {
    return absl::UnimplementedError("not in this test");
  }
  absl::StatusOr<std::unique_ptr<ByteSource>> OpenBlob(const oci::Descriptor& d) override {
    return std::unique_ptr<ByteSource>(new Reader(*this, d.digest, blobs.at(d.digest)));
  }

  void HoldUntil(std::string blob, std::string until) {
    std::lock_guard<std::mutex> lock(mu_);
    hold = Hold{std::move(blob), std::move(until)};
    finished_.clear();
  }

  // Whether the held blob's first read came after `until` was read through
  // (or dropped).
  bool held_in_order() {
    std::lock_guard<std::mutex> lock(mu_);
    return held_in_order_;
  }

 private:
  class Reader : public ByteSource {
   public:
    Reader(FakeSource& source, std::string digest, std::string_view data)
        : source_(source), digest_(std::move(digest)), data_(data) {}
    ~Reader() override { source_.Finished(digest_); }
    absl::StatusOr<size_t> Read(char* buffer, size_t n) override {
      if (offset_ == 0) source_.WaitIfHeld(digest_);
      if (digest_ == source_.fail_blob && offset_ >= data_.size() / 2) {
        if (source_.before_failing) source_.before_failing();
        return absl::UnavailableError("the connection broke");
      }
      const size_t take = std::min({n, data_.size() - offset_, size_t{16384}});
      std::copy_n(data_.data() + offset_, take, buffer);
      offset_ += take;
      return take;
    }

   private:
    FakeSource& source_;
    std::string digest_;
    std::string_view data_;
    size_t offset_ = 0;
  };

  void WaitIfHeld(const std::string& digest) {
    if (!hold.has_value() || hold->blob != digest) return;
    std::unique_lock<std::mutex> lock(mu_);
    // Bounded so that a sequential extractor fails the test instead of
    // hanging it.
    held_in_order_ = changed_.wait_for(lock, std::chrono::seconds(20),
                                       [&] { return finished_.contains(hold->until); });
  }
  void Finished(const std::string& digest) {
    std::lock_guard<std::mutex> lock(mu_);
    finished_.insert(digest);
    changed_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable changed_;
  std::set<std::string> finished_;
  bool held_in_order_ = false;
};

// Records what a non-interactive progress would print.
class RecordingProgress : public Progress {
 public:
  void Step(std::string_view message) override {
    std::lock_guard<std::mutex> lock(mu_);
    steps.emplace_back(message);
  }
  void Warn(std::string_view) override {}
  void Begin(std::string_view, uint64_t total) override { total_bytes = total; }
  void Update(uint64_t) override {}
  void End() override { ended = true; }
  bool interactive() const override { return false; }

  std::mutex mu_;
  std::vector<std::string> steps;
  uint64_t total_bytes = 0;
  bool ended = false;
};

// Every path below `root` (not `root` itself, which the extraction made)
// with its type, mode, mtime and content.
std::vector<std::string> Describe(const fs::path& root) {
  std::vector<std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    struct stat st;
    EXPECT_EQ(::lstat(it->path().c_str(), &st), 0);
    std::string line = absl::StrCat(it->path().lexically_relative(root).string(), " mode=",
                                    st.st_mode, " mtime=", st.st_mtim.tv_sec, ".",
                                    st.st_mtim.tv_nsec, " nlink=", st.st_nlink);
    if (S_ISLNK(st.st_mode)) absl::StrAppend(&line, " -> ", fs::read_symlink(it->path()).string());
    if (S_ISREG(st.st_mode)) {
      absl::StatusOr<std::string> data = ReadFileAtMost(it->path(), 1 << 24);
      EXPECT_THAT(data.status(), IsOk());
      absl::StrAppend(&line, " sha=", layers::Sha256Digest(data.value_or("")));
    }
    out.push_back(std::move(line));
  }
  std::sort(out.begin(), out.end());
  return out;
}

class ExtractCacheTest : public cook::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    auto source = std::make_unique<FakeSource>();
    source_ = source.get();
    image_.source = std::move(source);
    std::vector<std::string> target_ids, home_ids;
    for (int k = 0; k < kTargetLayers + kCargoHomeLayers; ++k) {
      const bool target = k < kTargetLayers;
      const std::string tar =
          BuildTar(target ? TargetLayer(k) : CargoHomeLayer(k - kTargetLayers));
      AddLayer(tar, tar);
      (target ? target_ids : home_ids).push_back(image_.config.diff_ids.back());
    }
    image_.config.labels = {{kLabelRecipeDigest, "sha256:1234"},
                            {kLabelTargetDir, "/build/target"},
                            {kLabelCargoHome, "/root/.cargo"},
                            {kLabelTargetLayers, absl::StrJoin(target_ids, ",")},
                            {kLabelCargoHomeLayers, absl::StrJoin(home_ids, ",")}};
  }

  // A layer whose blob holds `tar` and whose diff_id is that of `claimed`.
  void AddLayer(const std::string& tar, const std::string& claimed) {
    const std::string blob = Zstd(tar);
    oci::Descriptor d{.media_type = "application/vnd.oci.image.layer.v1.tar+zstd",
                      .digest = layers::Sha256Digest(blob),
                      .size = static_cast<int64_t>(blob.size())};
    source_->blobs[d.digest] = blob;
    image_.manifest.layers.push_back(d);
    image_.config.diff_ids.push_back(layers::Sha256Digest(claimed));
  }

  const std::string& Digest(int layer) { return image_.manifest.layers[layer].digest; }

  absl::StatusOr<std::vector<std::string>> Extract(const fs::path& into, int parallel,
                                                   Progress& progress) {
    return ExtractCache(image_, into / "target", into / "home", progress, "restoring test",
                        {.parallel = parallel});
  }

  // Names below `root` that start with the staging prefix.
  static std::vector<std::string> StagingDirs(const fs::path& root) {
    std::vector<std::string> out;
    for (auto it = fs::recursive_directory_iterator(root);
         it != fs::recursive_directory_iterator(); ++it) {
      const std::string name = it->path().filename().string();
      if (name.starts_with(".cook-extract-")) out.push_back(it->path().string());
    }
    return out;
  }

  OpenedImage image_;
  FakeSource* source_ = nullptr;
};

TEST_F(ExtractCacheTest, ConcurrentLayersGiveTheSequentialResult) {
  RecordingProgress sequential_progress;
  ASSERT_THAT(Extract(root_ / "sequential", 1, sequential_progress).status(), IsOk());

  // Layer 0 is read only after layer 3 was read through: layers are staged
  // at once and layer 3 must wait for layer 0 to be committed.
  source_->HoldUntil(Digest(0), Digest(3));
  RecordingProgress progress;
  absl::StatusOr<std::vector<std::string>> restored = Extract(root_ / "parallel", 4, progress);
  ASSERT_THAT(restored.status(), IsOk());
  EXPECT_TRUE(source_->held_in_order());
  EXPECT_EQ(*restored, image_.config.diff_ids);

  for (const char* part : {"target", "home"}) {
    EXPECT_EQ(Describe(root_ / "parallel" / part), Describe(root_ / "sequential" / part));
  }
  // debug/, deps/ and shared.txt, and four entries of each target layer;
  // the cargo home's registry/ and a file of each layer.
  EXPECT_EQ(Describe(root_ / "sequential/target").size(), 3 + 4 * kTargetLayers);
  EXPECT_EQ(Describe(root_ / "sequential/home").size(), 1 + kCargoHomeLayers);
  absl::StatusOr<std::string> shared =
      ReadFileAtMost(root_ / "parallel/target/debug/shared.txt", 100);
  EXPECT_THAT(shared, ::cook::testing::IsOkAndHolds(absl::StrCat("layer ", kTargetLayers - 1)));

  // One line per layer, in image order, in a log.
  ASSERT_EQ(progress.steps.size(), kTargetLayers + kCargoHomeLayers);
  EXPECT_THAT(progress.steps[0], StartsWith(absl::StrCat("restored layer 1/10 ",
                                                         Digest(0).substr(0, 19), " (")));
  EXPECT_THAT(progress.steps[0], HasSubstr("into the target directory"));
  EXPECT_THAT(progress.steps[9], StartsWith(absl::StrCat("restored layer 10/10 ",
                                                         Digest(9).substr(0, 19))));
  EXPECT_THAT(progress.steps[9], HasSubstr("into the cargo home"));
  EXPECT_TRUE(progress.ended);
  EXPECT_THAT(StagingDirs(root_), IsEmpty());
}

TEST_F(ExtractCacheTest, ACorruptLayerFailsWithItsErrorAndLeavesNoUncommittedFiles) {
  // Layer 4's blob holds another tar than its diff_id says; layer 0 waits
  // until layer 4 was read through, so that layer 4 fails while the layers
  // around it are in flight or staged.
  image_.manifest.layers.clear();
  image_.config.diff_ids.clear();
  source_->blobs.clear();
  std::vector<std::string> ids;
  for (int k = 0; k < kTargetLayers; ++k) {
    const std::string tar = BuildTar(TargetLayer(k));
    AddLayer(k == 4 ? BuildTar(TargetLayer(40)) : tar, tar);
    ids.push_back(image_.config.diff_ids.back());
  }
  image_.config.labels[kLabelTargetLayers] = absl::StrJoin(ids, ",");
  image_.config.labels[kLabelCargoHomeLayers] = "";
  source_->HoldUntil(Digest(0), Digest(4));

  RecordingProgress progress;
  absl::StatusOr<std::vector<std::string>> restored = Extract(root_, 4, progress);
  EXPECT_THAT(restored.status(),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr(absl::StrCat("layer ", Digest(4))),
                             HasSubstr("but its diff_id is"))));
  EXPECT_THAT(StagingDirs(root_), IsEmpty());
  // Layers 0 to 3 may or may not be in place; 4 and later never are.
  for (int k = 4; k < kTargetLayers; ++k) {
    EXPECT_FALSE(fs::exists(root_ / absl::StrCat("target/debug/tool", k))) << k;
    EXPECT_FALSE(fs::exists(root_ / absl::StrCat("target/debug/deps/lib", k, ".rlib"))) << k;
  }
  EXPECT_FALSE(fs::exists(root_ / "target/debug/tool40"));
  EXPECT_FALSE(progress.ended);
}

TEST_F(ExtractCacheTest, ABrokenDownloadLeavesNoPartialFileUnderItsName) {
  // Layer 2 breaks half-way through its big file; just before, that file
  // must be nowhere under its final name.
  source_->fail_blob = Digest(2);
  bool checked = false;
  source_->before_failing = [&] {
    checked = true;
    EXPECT_FALSE(fs::exists(root_ / "target/debug/deps/lib2.rlib"));
  };
  RecordingProgress progress;
  EXPECT_THAT(Extract(root_, 4, progress).status(),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr(absl::StrCat("layer ", Digest(2))),
                             HasSubstr("the connection broke"))));
  EXPECT_TRUE(checked);
  EXPECT_FALSE(fs::exists(root_ / "target/debug/deps/lib2.rlib"));
  EXPECT_FALSE(fs::exists(root_ / "target/debug/tool2"));
  EXPECT_FALSE(fs::exists(root_ / "home/registry/crate0"));
  EXPECT_THAT(StagingDirs(root_), IsEmpty());
}

TEST_F(ExtractCacheTest, AHardlinkToAnEarlierLayerIsMadeOnceThatLayerIsInPlace) {
  // Layer 8 (a cargo-home layer) is replaced by a target layer that links
  // to layer 7's file: staged before layer 7 is committed, it is staged
  // again after, and links to layer 7's file, as a sequential restore would.
  const std::string debug = absl::StrCat(kTarget, "debug/");
  TarEntry link = Entry(debug + "linked", S_IFREG, 0644, 1700000000);
  link.hardlink = debug + "deps/lib7.rlib";
  const std::string tar = BuildTar({link});
  image_.manifest.layers.resize(kTargetLayers);
  image_.config.diff_ids.resize(kTargetLayers);
  AddLayer(tar, tar);
  std::vector<std::string> ids(image_.config.diff_ids.begin(), image_.config.diff_ids.end());
  image_.config.labels[kLabelTargetLayers] = absl::StrJoin(ids, ",");
  image_.config.labels[kLabelCargoHomeLayers] = "";
  source_->HoldUntil(Digest(7), Digest(8));

  RecordingProgress progress;
  ASSERT_THAT(Extract(root_, 4, progress).status(), IsOk());
  struct stat a, b;
  ASSERT_EQ(::stat((root_ / "target/debug/linked").c_str(), &a), 0);
  ASSERT_EQ(::stat((root_ / "target/debug/deps/lib7.rlib").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_THAT(StagingDirs(root_), IsEmpty());
}

}  // namespace
}  // namespace cook::cache
