// The crate-to-layer assignment (cache/format.h) on the entries of a real
// 49-crate cache (tests/cache/testdata/larder_layout.txt: the target
// directory of tests/fixtures/larder's build and the sources of its lock
// file's packages as a cargo home): adding one dependency (smallvec) or
// removing one (flate2, with miniz_oxide, adler and crc32fast, which only it
// needs) rewrites at most 10% of the image's bytes, where the hash buckets
// alone rewrote more.
//
// The files are sparse (their sizes are real, their contents zeros), so a
// layer's bytes here are its tar bytes, and a layer is rewritten when its
// diff_id is not one the other image has.

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cache/format.h"
#include "cache/target_dir.h"
#include "gtest/gtest.h"
#include "layers/layer_writer.h"

namespace cook::cache {
namespace {

namespace fs = std::filesystem;

constexpr char kListing[] = "tests/cache/testdata/larder_layout.txt";
constexpr char kIndex[] = "index.crates.io-1949cf8c6b5b557f";
// Each package's registry index entry (in the shared layer).
constexpr uint64_t kIndexEntryBytes = 16 << 10;
const std::set<std::string> kAdded = {"smallvec"};
const std::set<std::string> kRemoved = {"flate2", "miniz_oxide", "adler",
                                        "crc32fast"};
// What the assignment was before sizes counted: every crate in a bucket.
constexpr CrateLayout kTargetHashOnly{.own_layer_bytes = UINT64_MAX,
                                      .buckets = 16};
constexpr CrateLayout kCargoHomeHashOnly{.own_layer_bytes = UINT64_MAX,
                                         .buckets = 4};

struct Package {
  std::string name_version;  // "serde-1.0.152"
  int files = 0;
  uint64_t bytes = 0;
};

struct Listing {
  std::map<std::string, uint64_t> target;  // path -> size
  std::vector<Package> packages;
};

Listing ReadListing() {
  std::ifstream in(kListing);
  EXPECT_TRUE(in.good()) << "cannot read " << kListing;
  Listing listing;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string kind;
    fields >> kind;
    if (kind == "target") {
      std::string path;
      uint64_t size = 0;
      fields >> path >> size;
      listing.target[path] = size;
    } else {
      Package p;
      fields >> p.name_version >> p.files >> p.bytes;
      listing.packages.push_back(p);
    }
    EXPECT_FALSE(fields.fail()) << line;
  }
  return listing;
}

void SparseFile(const fs::path& path, uint64_t size) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary).close();
  fs::resize_file(path, size);
}

// The target directory and cargo home of `listing` under `root`, without
// the crates in `leave_out`.
void MakeCache(const Listing& listing, const std::set<std::string>& leave_out,
               const fs::path& root) {
  for (const auto& [path, size] : listing.target) {
    if (!leave_out.contains(TargetEntryCrate(path)))
      SparseFile(root / "target" / path, size);
  }
  const fs::path registry = root / "cargo-home" / "registry";
  for (const Package& p : listing.packages) {
    const std::string crate = CargoHomeEntryCrate(
        absl::StrCat("registry/cache/x/", p.name_version, ".crate"));
    if (leave_out.contains(crate)) continue;
    const fs::path src = registry / "src" / kIndex / p.name_version;
    for (int i = 0; i < p.files; ++i) {
      const uint64_t size =
          p.bytes / p.files + (i == 0 ? p.bytes % p.files : 0);
      SparseFile(src / absl::StrFormat("src/f%03d.rs", i), size);
    }
    SparseFile(registry / "cache" / kIndex / (p.name_version + ".crate"),
               p.bytes / 4);
    SparseFile(registry / "index" / kIndex / ".cache" / crate,
               kIndexEntryBytes);
  }
}

struct Image {
  std::map<std::string, uint64_t> layers;  // diff_id -> tar bytes
  uint64_t Bytes() const {
    uint64_t total = 0;
    for (const auto& [diff_id, bytes] : layers) total += bytes;
    return total;
  }
};

// The layers cook build would make of the cache under `root`, as
// cache/build_snapshot.cc plans them, with the given layouts.
Image Plan(const fs::path& root, const CrateLayout& target,
           const CrateLayout& cargo_home) {
  Image image;
  for (const bool is_target : {true, false}) {
    const fs::path dir = root / (is_target ? "target" : "cargo-home");
    std::set<std::string> used;
    for (auto it = fs::recursive_directory_iterator(dir);
         it != fs::recursive_directory_iterator(); ++it) {
      used.insert(
          TargetEntryUnitHash(it->path().lexically_relative(dir).string()));
    }
    auto group_of = [&](std::string_view relative) {
      return is_target ? TargetEntryGroup(relative, used)
                       : CargoHomeEntryGroup(relative);
    };
    auto regroup = [&](const layers::GroupBytes& bytes) {
      return AssignCrateLayers(bytes, is_target ? target : cargo_home);
    };
    absl::StatusOr<std::vector<layers::LayerPlan>> plans = layers::PlanLayers(
        {dir, is_target ? "/cook/target" : "/usr/local/cargo"}, group_of,
        uint64_t{2} << 30, regroup);
    EXPECT_TRUE(plans.ok()) << plans.status();
    if (!plans.ok()) return image;
    for (const layers::LayerPlan& plan : *plans) {
      EXPECT_FALSE(IsUnusedGroup(plan.group)) << plan.group;
      absl::StatusOr<std::string> diff_id =
          layers::PlannedDiffId(plan, absl::FromUnixSeconds(1));
      EXPECT_TRUE(diff_id.ok()) << diff_id.status();
      if (diff_id.ok()) image.layers[*diff_id] = plan.tar_bytes;
    }
  }
  return image;
}

// The share of `after`'s bytes in layers `before` lacks.
double NewShare(const Image& before, const Image& after) {
  uint64_t fresh = 0;
  for (const auto& [diff_id, bytes] : after.layers) {
    if (!before.layers.contains(diff_id)) fresh += bytes;
  }
  return static_cast<double>(fresh) / static_cast<double>(after.Bytes());
}

// The three caches, made once for the suite.
class LayerAssignmentTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new fs::path(fs::path(::testing::TempDir()) / "layer-assignment");
    fs::remove_all(*root_);
    const Listing listing = ReadListing();
    ASSERT_GE(listing.target.size(), 500u);
    ASSERT_GE(listing.packages.size(), 40u);
    MakeCache(listing, kAdded, *root_ / "full");
    MakeCache(listing, {}, *root_ / "added");
    MakeCache(listing, kRemoved, *root_ / "removed");
  }

  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*root_, ec);
    delete root_;
    root_ = nullptr;
  }

  // The shares of new bytes after adding smallvec and after then removing
  // flate2 and its three dependencies.
  static std::pair<double, double> Shares(const CrateLayout& target,
                                          const CrateLayout& cargo_home,
                                          size_t* layers) {
    const Image full = Plan(*root_ / "full", target, cargo_home);
    const Image added = Plan(*root_ / "added", target, cargo_home);
    const Image removed = Plan(*root_ / "removed", target, cargo_home);
    *layers = added.layers.size();
    return {NewShare(full, added), NewShare(added, removed)};
  }

  static fs::path* root_;
};

fs::path* LayerAssignmentTest::root_ = nullptr;

TEST_F(LayerAssignmentTest, AddingOrRemovingADependencyRewritesAtMostATenth) {
  size_t layers = 0;
  const auto [add, remove] = Shares(kTargetLayout, kCargoHomeLayout, &layers);
  std::cerr << absl::StrFormat(
      "[layers] %d layers; new bytes: %.1f%% after adding smallvec, "
      "%.1f%% after removing flate2\n",
      layers, 100 * add, 100 * remove);
  EXPECT_LE(add, 0.10);
  EXPECT_LE(remove, 0.10);
  EXPECT_GT(add, 0.0);
  EXPECT_LE(layers, static_cast<size_t>(kTargetLayout.max_own_layers +
                                        kTargetLayout.buckets +
                                        kCargoHomeLayout.max_own_layers +
                                        kCargoHomeLayout.buckets + 2));
}

// What makes the test above mean something: on the same entries, the name
// hash alone (cook's assignment before sizes counted) rewrites more.
TEST_F(LayerAssignmentTest, HashBucketsAloneRewriteMore) {
  size_t layers = 0;
  const auto [add, remove] =
      Shares(kTargetHashOnly, kCargoHomeHashOnly, &layers);
  std::cerr << absl::StrFormat(
      "[layers] hash buckets only: %d layers; new bytes: %.1f%% after "
      "adding smallvec, %.1f%% after removing flate2\n",
      layers, 100 * add, 100 * remove);
  EXPECT_GT(std::max(add, remove), 0.10);
}

}  // namespace
}  // namespace cook::cache
