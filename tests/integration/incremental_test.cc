// Acceptance of `cook build --cache-from` (incremental caches) on
// tests/fixtures/larder, a workspace of about 45 dependency crates from
// Debian's librust-*-dev packages:
//  * after adding one leaf dependency (smallvec), a build from the full
//    image takes at most 0.35 of the full build's wall time, at most 10% of
//    its layer bytes are new (cache/format.h's crate-to-layer assignment),
//    and the layers whose crates did not change are the full image's blobs,
//    taken as they were ("reused");
//  * the incremental image, restored into fresh directories, leaves
//    `cargo build` compiling no dependency;
//  * after removing flate2 (with miniz_oxide, adler and crc32fast), the
//    image built from the incremental one holds nothing of theirs and at
//    most 10% of its layer bytes are new, also
//    when built in a --target-dir of the user's own (which keeps them);
//  * against a registry, the incremental build uploads only the layers the
//    full image lacks, and the config.
//
// One full build and one incremental build per suite (SetUpTestSuite): the
// full build of the fixture takes about 50 s on two cores.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "cache/format.h"
#include "nlohmann/json.hpp"
#include "tests/integration/build_testing.h"
#include "tests/testing/registry_server.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace cook::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr char kFixture[] = "tests/fixtures/larder";
// The crates that go with flate2 (nothing else in the fixture needs them).
const std::vector<std::string> kRemovedCrates = {"flate2", "miniz_oxide", "adler", "crc32fast"};
// The members' own units.
const std::set<std::string> kMembers = {"larder/bin", "larder-core/lib"};

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void WriteAll(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << "writing " << path;
}

// Removes the lines from the one holding `begin` to the one holding `end`.
void EraseLines(const fs::path& file, const std::string& begin, const std::string& end) {
  std::string text = ReadAll(file);
  const size_t from = text.find(begin);
  ASSERT_NE(from, std::string::npos) << file << " has no " << begin;
  const size_t to = text.find(end, from);
  ASSERT_NE(to, std::string::npos) << file << " has no " << end;
  const size_t line_start = text.rfind('\n', from) == std::string::npos
                                ? 0
                                : text.rfind('\n', from) + 1;
  size_t line_end = text.find('\n', to);
  line_end = line_end == std::string::npos ? text.size() : line_end + 1;
  text.erase(line_start, line_end - line_start);
  WriteAll(file, text);
}

// The fixture with smallvec added to larder-core (manifest, lock, source).
void AddDependency(const fs::path& ws) {
  ReplaceInFile(ws / "larder-core/Cargo.toml", "serde_json = \"1\"\n",
                "serde_json = \"1\"\nsmallvec = \"1\"\n");
  ReplaceInFile(ws / "larder-core/src/lib.rs", "pub fn to_json",
                "pub type Counts = smallvec::SmallVec<[usize; 4]>;\n\npub fn to_json");
  std::error_code ec;
  fs::copy_file(ws / "variants/Cargo.lock.added", ws / "Cargo.lock",
                fs::copy_options::overwrite_existing, ec);
  ASSERT_FALSE(ec) << ec.message();
}

// Then flate2 removed from the bin.
void RemoveDependency(const fs::path& ws) {
  ReplaceInFile(ws / "Cargo.toml", "flate2 = \"1\"\n", "");
  EraseLines(ws / "src/main.rs", "compressed_len(&text)?", "compressed_len(&text)?");
  EraseLines(ws / "src/main.rs", "// flate2-begin", "// flate2-end");
  std::error_code ec;
  fs::copy_file(ws / "variants/Cargo.lock.removed", ws / "Cargo.lock",
                fs::copy_options::overwrite_existing, ec);
  ASSERT_FALSE(ec) << ec.message();
}

struct Layer {
  std::string digest;
  int64_t size = 0;
};

// The layers of `ref` from `cook inspect --json`.
std::vector<Layer> InspectLayers(const std::string& ref, const std::vector<std::string>& flags = {},
                                 const std::map<std::string, std::string>& env = {}) {
  std::vector<std::string> args = {"inspect", ref, "--json"};
  args.insert(args.end(), flags.begin(), flags.end());
  RunResult r = RunCook(args, env);
  EXPECT_EQ(r.exit_code, 0) << "cook inspect " << ref << "\n" << r.err;
  if (r.exit_code != 0) return {};
  nlohmann::json doc = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_TRUE(doc.is_object() && doc["layers"].is_array()) << r.out;
  if (!doc.is_object() || !doc["layers"].is_array()) return {};
  std::vector<Layer> layers;
  for (const auto& l : doc["layers"]) {
    layers.push_back({l.value("digest", ""), l.value("size", int64_t{0})});
  }
  return layers;
}

std::set<std::string> Digests(const std::vector<Layer>& layers) {
  std::set<std::string> digests;
  for (const Layer& l : layers) digests.insert(l.digest);
  return digests;
}

// Layers of `image` that `base` does not hold, and their bytes.
std::vector<Layer> NewLayers(const std::vector<Layer>& image, const std::vector<Layer>& base) {
  const std::set<std::string> old = Digests(base);
  std::vector<Layer> fresh;
  for (const Layer& l : image) {
    if (!old.count(l.digest)) fresh.push_back(l);
  }
  return fresh;
}

int64_t Bytes(const std::vector<Layer>& layers) {
  int64_t total = 0;
  for (const Layer& l : layers) total += l.size;
  return total;
}

// The "reused" digests of `cook build --json`.
std::vector<std::string> Reused(const RunResult& build) {
  nlohmann::json doc = nlohmann::json::parse(build.out, nullptr, false);
  EXPECT_TRUE(doc.is_object()) << "cook build --json printed\n" << build.out;
  if (!doc.is_object() || !doc.contains("reused")) {
    ADD_FAILURE() << "no \"reused\" in\n" << build.out;
    return {};
  }
  return doc["reused"].get<std::vector<std::string>>();
}

// Paths (relative to `dir`) of entries whose name contains one of `needles`.
std::vector<std::string> NamesContaining(const fs::path& dir,
                                         const std::vector<std::string>& needles) {
  std::vector<std::string> found;
  std::error_code ec;
  // cook restore creates no cargo home when the image holds none (the
  // fixture's crates come from a directory source, not the cargo home).
  if (!fs::exists(dir, ec)) return found;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    for (const std::string& n : needles) {
      if (absl::StrContains(name, n)) {
        found.push_back(it->path().lexically_relative(dir).string());
        break;
      }
    }
  }
  EXPECT_FALSE(ec) << "listing " << dir << ": " << ec.message();
  return found;
}

// ---------------------------------------------------------------------------
// The suite: one full build of the fixture, one incremental build after
// adding smallvec.

struct Suite {
  std::string skip;
  fs::path dir;
  fs::path fixture;
  fs::path full_ws;    // the fixture as it is
  fs::path added_ws;   // with smallvec
  std::string layout;  // oci:DIR
  std::string full, incr;  // oci:DIR:TAG
  RunResult full_build, incr_build;
  double full_seconds = 0, incr_seconds = 0;
  std::vector<Layer> full_layers, incr_layers;
};

Suite* suite = nullptr;

class Incremental : public TempDirTest {
 public:
  static void SetUpTestSuite() {
    suite = new Suite;
    Suite& s = *suite;
    const std::optional<fs::path> root = SourceRoot();
    if (!root) {
      s.skip = "the source tree is not reachable through //:README.md";
      return;
    }
    if (RunProgram({"cargo", "-V"}, RustOptions()).exit_code != 0) {
      s.skip = "cargo is not installed";
      return;
    }
    s.fixture = *root / kFixture;
    s.dir = fs::path(::testing::TempDir()) / "incremental-suite";
    fs::remove_all(s.dir);
    fs::create_directories(s.dir);
    s.full_ws = s.dir / "full" / "larder";
    s.added_ws = s.dir / "added" / "larder";
    CopyWorkspace(s.fixture, s.full_ws);
    CopyWorkspace(s.fixture, s.added_ws);
    AddDependency(s.added_ws);
    if (::testing::Test::HasFatalFailure()) return;
    s.layout = absl::StrCat("oci:", (s.dir / "layout").string());
    s.full = s.layout + ":full";
    s.incr = s.layout + ":incr";

    auto start = Clock::now();
    s.full_build = RunCook({"build", "--manifest-path", s.full_ws.string(), "--dest", s.full,
                            "--json"});
    s.full_seconds = SecondsSince(start);
    std::cerr << "[incremental] full build: exit " << s.full_build.exit_code << " in "
              << absl::StrFormat("%.1f", s.full_seconds) << " s\n";
    if (s.full_build.exit_code != 0) return;

    start = Clock::now();
    s.incr_build = RunCook({"build", "--manifest-path", s.added_ws.string(), "--cache-from",
                            s.full, "--dest", s.incr, "--json"});
    s.incr_seconds = SecondsSince(start);
    std::cerr << "[incremental] build with smallvec --cache-from full: exit "
              << s.incr_build.exit_code << " in " << absl::StrFormat("%.1f", s.incr_seconds)
              << " s\n";
    if (s.incr_build.exit_code != 0) return;
    s.full_layers = InspectLayers(s.full);
    s.incr_layers = InspectLayers(s.incr);
  }

  static void TearDownTestSuite() {
    if (suite != nullptr && !suite->dir.empty()) {
      std::error_code ec;
      fs::remove_all(suite->dir, ec);
    }
    delete suite;
    suite = nullptr;
  }

 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    ASSERT_NE(suite, nullptr);
    if (!suite->skip.empty()) GTEST_SKIP() << suite->skip;
    ASSERT_EQ(suite->full_build.exit_code, 0) << "the full build failed\n"
                                              << suite->full_build.err;
    ASSERT_EQ(suite->incr_build.exit_code, 0) << "the build with --cache-from failed\n"
                                              << suite->incr_build.err;
    ASSERT_FALSE(suite->full_layers.empty());
    ASSERT_FALSE(suite->incr_layers.empty());
  }

  // `cook restore --from REF` into fresh directories under root_/NAME.
  void Restore(const std::string& ref, const std::string& name, fs::path* target,
               fs::path* cargo_home) {
    *target = root_ / name / "target";
    *cargo_home = root_ / name / "cargo-home";
    RunResult r = RunCook({"restore", "--from", ref, "--target-dir", target->string(),
                           "--cargo-home", cargo_home->string()});
    ASSERT_EQ(r.exit_code, 0) << "cook restore --from " << ref << "\n" << r.err;
  }
};

TEST_F(Incremental, AddingADependencyIsFastAndReusesTheUnchangedLayers) {
  const Suite& s = *suite;
  const double ratio = s.incr_seconds / s.full_seconds;
  const std::vector<Layer> fresh = NewLayers(s.incr_layers, s.full_layers);
  const double new_share =
      static_cast<double>(Bytes(fresh)) / static_cast<double>(Bytes(s.incr_layers));
  const std::vector<std::string> reused = Reused(s.incr_build);
  std::cerr << absl::StrFormat(
      "[incremental] full %.1f s, incremental %.1f s: ratio %.2f; full image %d layers "
      "(%d bytes), incremental image %d layers (%d bytes), %d new (%d bytes, %.1f%%), "
      "%d reused\n",
      s.full_seconds, s.incr_seconds, ratio, s.full_layers.size(), Bytes(s.full_layers),
      s.incr_layers.size(), Bytes(s.incr_layers), fresh.size(), Bytes(fresh),
      100 * new_share, reused.size());

  EXPECT_LE(ratio, 0.35) << "full build " << s.full_seconds << " s, with --cache-from "
                         << s.incr_seconds << " s\n"
                         << s.incr_build.err;
  EXPECT_LE(new_share, 0.10) << Bytes(fresh) << " of " << Bytes(s.incr_layers)
                             << " layer bytes are new";
  // Own layers, crate buckets and a shared layer for the target dir and the
  // cargo home.
  EXPECT_GE(s.incr_layers.size(), 2u);
  EXPECT_LE(s.incr_layers.size(),
            static_cast<size_t>(cache::kTargetLayout.max_own_layers + cache::kTargetLayout.buckets +
                                cache::kCargoHomeLayout.max_own_layers +
                                cache::kCargoHomeLayout.buckets + 2));
  EXPECT_FALSE(fresh.empty()) << "adding smallvec changed no layer";

  // The full build had nothing to reuse.
  nlohmann::json full = nlohmann::json::parse(s.full_build.out, nullptr, false);
  ASSERT_TRUE(full.is_object()) << s.full_build.out;
  if (full.contains("reused")) EXPECT_TRUE(full["reused"].empty()) << s.full_build.out;

  // Unchanged layers are the full image's blobs, not compressed again.
  EXPECT_FALSE(reused.empty()) << s.incr_build.out << "\n" << s.incr_build.err;
  const std::set<std::string> in_full = Digests(s.full_layers);
  const std::set<std::string> in_incr = Digests(s.incr_layers);
  for (const std::string& d : reused) {
    EXPECT_TRUE(in_full.count(d)) << d << " is reused but not a layer of the full image";
    EXPECT_TRUE(in_incr.count(d)) << d << " is reused but not a layer of the new image";
  }
  // Every layer that is the same as the full image's is one that was reused.
  const std::set<std::string> reused_set(reused.begin(), reused.end());
  for (const Layer& l : s.incr_layers) {
    if (in_full.count(l.digest)) {
      EXPECT_TRUE(reused_set.count(l.digest)) << l.digest << " was compressed again";
    }
  }
}

TEST_F(Incremental, RestoredIncrementalImageLeavesNoDependencyToCompile) {
  const Suite& s = *suite;
  // The edited workspace at another path, as a CI runner would have it.
  const fs::path ws = root_ / "elsewhere" / "larder";
  CopyWorkspace(s.fixture, ws);
  AddDependency(ws);
  if (HasFatalFailure()) return;
  fs::path target, cargo_home;
  Restore(s.incr, "restored", &target, &cargo_home);
  if (HasFatalFailure()) return;
  // The restored cache holds the new crate and the ones to be removed later
  // (what the next test's absence check relies on).
  EXPECT_FALSE(NamesContaining(target, {"smallvec"}).empty());
  EXPECT_FALSE(NamesContaining(target, {"flate2"}).empty());

  RunOptions options = RustOptions();
  options.cwd = ws.string();
  options.env["CARGO_HOME"] = cargo_home.string();
  const auto start = Clock::now();
  RunResult build = RunProgram({"cargo", "build", "--message-format=json", "--offline",
                                "--locked", "--target-dir", target.string()},
                               options);
  std::cerr << "[incremental] cargo build after restoring the incremental image: exit "
            << build.exit_code << " in " << absl::StrFormat("%.1f", SecondsSince(start))
            << " s\n";
  ASSERT_EQ(build.exit_code, 0) << build.err;
  const std::vector<Unit> units = ParseUnits(build.out);
  int dependencies = 0;
  for (const Unit& u : units) dependencies += u.local ? 0 : 1;
  EXPECT_GE(dependencies, 40) << "cargo reported " << dependencies << " dependency units";
  EXPECT_EQ(CompiledKeys(units, /*local=*/false), std::set<std::string>())
      << "dependencies were compiled again after the restore:\n"
      << build.err;
  EXPECT_EQ(CompiledKeys(units, /*local=*/true), kMembers) << build.err;

  RunResult ran = RunProgram({(target / "debug" / "larder").string(), "salt", "salt"});
  EXPECT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_TRUE(absl::StrContains(ran.out, "\"words\":{\"salt\":2}")) << ran.out;
}

TEST_F(Incremental, RemovedDependencyLeavesNothingBehind) {
  const Suite& s = *suite;
  const fs::path ws = root_ / "removed" / "larder";
  CopyWorkspace(s.added_ws, ws);
  RemoveDependency(ws);
  if (HasFatalFailure()) return;
  // The prepared lock file matches the edited manifests.
  {
    RunOptions options = RustOptions();
    options.cwd = ws.string();
    options.env["CARGO_HOME"] = (root_ / "metadata-home").string();
    RunResult meta = RunProgram(
        {"cargo", "metadata", "--format-version", "1", "--offline", "--locked"}, options);
    ASSERT_EQ(meta.exit_code, 0) << "variants/Cargo.lock.removed is stale\n" << meta.err;
  }

  // A layout of its own: its cache-key tag in the suite's layout would be what
  // the next test's --cache-from finds first.
  const std::string removed = absl::StrCat("oci:", (root_ / "layout").string(), ":removed");
  const auto start = Clock::now();
  RunResult build = RunCook({"build", "--manifest-path", ws.string(), "--cache-from", s.incr,
                             "--dest", removed, "--json"});
  std::cerr << "[incremental] build without flate2 --cache-from incr: exit "
            << build.exit_code << " in " << absl::StrFormat("%.1f", SecondsSince(start))
            << " s\n";
  ASSERT_EQ(build.exit_code, 0) << build.err;
  const std::vector<Layer> layers = InspectLayers(removed);
  const std::vector<Layer> fresh = NewLayers(layers, s.incr_layers);
  std::cerr << absl::StrFormat("[incremental] image without flate2: %d layers, %d new (%d of %d "
                               "bytes), %d reused\n",
                               layers.size(), fresh.size(), Bytes(fresh), Bytes(layers),
                               Reused(build).size());
  EXPECT_LE(static_cast<double>(Bytes(fresh)), 0.10 * static_cast<double>(Bytes(layers)))
      << Bytes(fresh) << " of " << Bytes(layers) << " layer bytes are new after removing flate2";

  fs::path target, cargo_home;
  Restore(removed, "restored", &target, &cargo_home);
  if (HasFatalFailure()) return;
  EXPECT_TRUE(fs::is_directory(target / "debug" / "deps"));
  EXPECT_FALSE(NamesContaining(target, {"serde_json"}).empty());
  EXPECT_EQ(NamesContaining(target, kRemovedCrates), std::vector<std::string>())
      << "in the restored target dir";
  EXPECT_EQ(NamesContaining(cargo_home, kRemovedCrates), std::vector<std::string>())
      << "in the restored cargo home";
}

// The same with a --target-dir of the user's own, which cook never prunes:
// what the --cache-from restore put there and the build did not use
// (flate2's units) stays in the directory but out of the image.
TEST_F(Incremental, UserTargetDirKeepsUnusedUnitsButTheImageLeavesThemOut) {
  const Suite& s = *suite;
  const fs::path ws = root_ / "removed" / "larder";
  CopyWorkspace(s.added_ws, ws);
  RemoveDependency(ws);
  if (HasFatalFailure()) return;
  const fs::path user_target = root_ / "user-target";

  const std::string removed = s.layout + ":removed-user-target";
  const auto start = Clock::now();
  RunResult build = RunCook({"build", "--manifest-path", ws.string(), "--target-dir",
                             user_target.string(), "--cache-from", s.incr, "--dest", removed,
                             "--json"});
  std::cerr << "[incremental] build without flate2 --target-dir --cache-from incr: exit "
            << build.exit_code << " in " << absl::StrFormat("%.1f", SecondsSince(start))
            << " s\n";
  ASSERT_EQ(build.exit_code, 0) << build.err;
  // Not pruned: the restore put flate2's units there, and there they stay.
  EXPECT_FALSE(NamesContaining(user_target, kRemovedCrates).empty());
  EXPECT_FALSE(NamesContaining(user_target, {"serde_json"}).empty());

  fs::path target, cargo_home;
  Restore(removed, "restored", &target, &cargo_home);
  if (HasFatalFailure()) return;
  EXPECT_TRUE(fs::is_directory(target / "debug" / "deps"));
  EXPECT_FALSE(NamesContaining(target, {"serde_json"}).empty());
  EXPECT_EQ(NamesContaining(target, kRemovedCrates), std::vector<std::string>())
      << "in the image built with --target-dir";
}

TEST_F(Incremental, RegistryGetsOnlyTheNewLayersAndTheConfig) {
  if (!HaveProgram("docker-registry")) {
    GTEST_SKIP() << "docker-registry missing: run tools/setup.sh";
  }
  const Suite& s = *suite;
  absl::StatusOr<std::unique_ptr<RegistryServer>> started =
      RegistryServer::Start(RegistryServerOptions{.tls = false});
  ASSERT_TRUE(started.ok()) << started.status();
  const RegistryServer& server = **started;
  // A private HOME: no ~/.docker/config.json of the user's.
  const std::map<std::string, std::string> env = {{"HOME", root_.string()}};
  const std::string full = server.ImageRef("larder:full");
  const std::string incr = server.ImageRef("larder:incr");

  RunResult copy = RunCook({"copy", s.full, full, "--tls-verify=false"}, env);
  ASSERT_EQ(copy.exit_code, 0) << copy.err;
  const size_t before = server.Requests().size();

  RunResult build = RunCook({"build", "--manifest-path", s.added_ws.string(), "--cache-from",
                             full, "--dest", incr, "--tls-verify=false", "--json"},
                            env);
  ASSERT_EQ(build.exit_code, 0) << build.err << "\n" << server.LogTails();
  const std::vector<LoggedRequest> all = server.Requests();
  int uploads = 0;
  std::vector<std::string> upload_paths;
  for (size_t i = before; i < all.size(); ++i) {
    const LoggedRequest& r = all[i];
    if (r.method == "POST" && absl::StrContains(r.path, "/blobs/uploads/") &&
        !absl::StrContains(r.path, "mount=")) {
      ++uploads;
      upload_paths.push_back(r.path);
    }
  }
  const std::vector<std::string> flags = {"--tls-verify=false"};
  const std::vector<Layer> full_layers = InspectLayers(full, flags, env);
  const std::vector<Layer> incr_layers = InspectLayers(incr, flags, env);
  ASSERT_FALSE(incr_layers.empty());
  EXPECT_EQ(Digests(full_layers), Digests(s.full_layers));
  const std::vector<Layer> fresh = NewLayers(incr_layers, full_layers);
  std::cerr << absl::StrFormat(
      "[incremental] registry: %d upload POSTs for %d new layers of %d (+ the config), "
      "%d reused\n",
      uploads, fresh.size(), incr_layers.size(), Reused(build).size());
  EXPECT_EQ(uploads, static_cast<int>(fresh.size()) + 1)
      << absl::StrJoin(upload_paths, "\n") << "\n"
      << build.err;
  EXPECT_FALSE(Reused(build).empty()) << build.out;
}

}  // namespace
}  // namespace cook::testing
