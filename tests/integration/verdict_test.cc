// Acceptance of `cook restore --manifest-path` (verdicts) and of cache-key
// tags, with the real cargo and rustc, Debian's crates (tests/fixtures/tally)
// and Debian's docker-registry on loopback:
//  * the same workspace and toolchain: `cache hit`;
//  * one dependency added (smallvec): `partial hit` counting 1 crate added;
//    under --require-hit, exit 1 and nothing extracted;
//  * a rustc that reports another version (a wrapper ahead on PATH): `cache
//    miss` naming both versions, no layer downloaded, the target directory
//    and cargo home untouched, exit 0, and exit 1 under --require-hit;
//  * a dev build against a release cache: `cache miss` naming the options;
//  * after the branch tag moved to the newer workspace's cache, a restore for
//    the older workspace finds its exact cache through the cache-key tag, and
//    cargo then compiles no dependency.
//
// One shared suite (SetUpTestSuite): a release build of the fixture pushed
// to tally:main, then one with smallvec added (--cache-from tally:main)
// pushed to tally:main again.

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/build_testing.h"
#include "tests/testing/registry_server.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace cook::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kFixture[] = "tests/fixtures/tally";

struct Suite {
  std::string skip;
  fs::path dir;
  std::unique_ptr<RegistryServer> server;
  fs::path older_ws;  // the fixture as it is
  fs::path newer_ws;  // with smallvec
  std::string branch;  // docker://.../tally:main
  RunResult older_build, newer_build;
  std::string older_digest, newer_digest;
  std::vector<std::string> newer_layers;  // layer digests of the newer image

  ~Suite() {
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
  }
};

Suite* suite = nullptr;

// The manifest digest and layer digests of `cook build --json`.
std::string Digest(const RunResult& build, std::vector<std::string>* layers = nullptr) {
  nlohmann::json doc = nlohmann::json::parse(build.out, nullptr, false);
  if (!doc.is_object()) return "";
  if (layers != nullptr) {
    for (const auto& l : doc["layers"]) layers->push_back(l.value("digest", ""));
  }
  return doc.value("digest", "");
}

// Adds smallvec to tally-core and lets cargo add it to Cargo.lock.
void AddDependency(const fs::path& ws) {
  ReplaceInFile(ws / "tally-core/Cargo.toml", "json.workspace = true\n\n[target",
                "json.workspace = true\nsmallvec = \"1\"\n\n[target");
  RunOptions options = RustOptions();
  options.cwd = ws.string();
  const RunResult r =
      RunProgram({"cargo", "metadata", "--offline", "--format-version", "1"}, options);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

class Verdicts : public TempDirTest {
 public:
  static void SetUpTestSuite() {
    suite = new Suite;
    Suite& s = *suite;
    s.skip = CargoSuiteSkipReason();
    if (s.skip.empty() && !HaveProgram("docker-registry")) {
      s.skip = "docker-registry is missing: run tools/setup.sh";
    }
    if (!s.skip.empty()) return;
    absl::StatusOr<std::unique_ptr<RegistryServer>> server =
        RegistryServer::Start({.tls = false});
    if (!server.ok()) {
      s.skip = absl::StrCat("no registry: ", server.status().ToString());
      return;
    }
    s.server = *std::move(server);
    s.dir = fs::path(::testing::TempDir()) / "verdict-suite";
    fs::remove_all(s.dir);
    s.older_ws = s.dir / "older" / "tally";
    s.newer_ws = s.dir / "newer" / "tally";
    CopyWorkspace(*SourceRoot() / kFixture, s.older_ws);
    CopyWorkspace(*SourceRoot() / kFixture, s.newer_ws);
    AddDependency(s.newer_ws);
    if (::testing::Test::HasFatalFailure()) return;
    s.branch = s.server->ImageRef("tally:main");
    s.older_build = RunCook({"build", "--manifest-path", s.older_ws.string(), "--release",
                             "--dest", s.branch, "--tls-verify=false", "--json"});
    if (s.older_build.exit_code != 0) return;
    s.newer_build = RunCook({"build", "--manifest-path", s.newer_ws.string(), "--release",
                             "--cache-from", s.branch, "--dest", s.branch,
                             "--tls-verify=false", "--json"});
    s.older_digest = Digest(s.older_build);
    s.newer_digest = Digest(s.newer_build, &s.newer_layers);
  }

  static void TearDownTestSuite() {
    delete suite;
    suite = nullptr;
  }

 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    ASSERT_NE(suite, nullptr);
    if (!suite->skip.empty()) GTEST_SKIP() << suite->skip;
    ASSERT_EQ(suite->older_build.exit_code, 0) << suite->older_build.err;
    ASSERT_EQ(suite->newer_build.exit_code, 0) << suite->newer_build.err;
    ASSERT_FALSE(suite->older_digest.empty()) << suite->older_build.out;
    ASSERT_FALSE(suite->newer_digest.empty()) << suite->newer_build.out;
  }

  fs::path Target() const { return root_ / "restored" / "target"; }
  fs::path CargoHome() const { return root_ / "restored" / "cargo-home"; }

  // `cook restore --from FROM --manifest-path WS ARGS` into root_/restored.
  RunResult Restore(const std::string& from, const fs::path& ws,
                    const std::vector<std::string>& args,
                    const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> argv = {"restore", "--from", from, "--manifest-path", ws.string(),
                                     "--target-dir", Target().string(), "--cargo-home",
                                     CargoHome().string(), "--tls-verify=false"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCook(argv, env);
  }

  static nlohmann::json Json(const RunResult& r) {
    nlohmann::json doc = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_TRUE(doc.is_object()) << "stdout:\n" << r.out << "\nstderr:\n" << r.err;
    return doc.is_object() ? doc : nlohmann::json::object();
  }

  // Every entry under `dir`, relative to it.
  static std::set<std::string> Entries(const fs::path& dir) {
    std::set<std::string> out;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      out.insert(it->path().lexically_relative(dir).string());
    }
    return out;
  }

  static std::vector<std::string> ErrorLines(const std::string& err) {
    std::vector<std::string> lines;
    for (absl::string_view line : absl::StrSplit(err, '\n')) {
      if (absl::StartsWith(line, "cook: error: ")) lines.emplace_back(line);
    }
    return lines;
  }
};

TEST_F(Verdicts, SameWorkspaceAndToolchainIsAHit) {
  const RunResult r = Restore(suite->branch, suite->newer_ws, {"--release"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StartsWith(r.out, "cache hit")) << r.out;
  EXPECT_FALSE(Entries(Target()).empty());
}

TEST_F(Verdicts, OneDependencyAddedIsAPartialHitWithTheCount) {
  // A digest reference is used as it is: the older workspace's image.
  const std::string older = suite->server->ImageRef("tally@" + suite->older_digest);
  const RunResult json = Restore(older, suite->newer_ws, {"--release", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const nlohmann::json doc = Json(json);
  EXPECT_EQ(doc.value("verdict", ""), "partial") << json.out;
  EXPECT_EQ(doc.value("reference", ""), older);
  EXPECT_EQ(doc["crates"], nlohmann::json({{"added", 1}, {"removed", 0}, {"changed", 0}}))
      << json.out;
  EXPECT_GT(doc.value("layers", 0), 0) << json.out;

  fs::remove_all(root_ / "restored");
  const RunResult strict = Restore(older, suite->newer_ws, {"--release", "--require-hit"});
  EXPECT_EQ(strict.exit_code, 1) << strict.err;
  EXPECT_TRUE(absl::StartsWith(strict.out, "partial hit: 1 crate added, 0 removed, 0 changed"))
      << strict.out;
  EXPECT_EQ(ErrorLines(strict.err).size(), 1u) << strict.err;
  EXPECT_FALSE(fs::exists(Target())) << "--require-hit extracted a partial hit";

  // Refused, --json still answers with the verdict (and nothing extracted).
  const RunResult strict_json =
      Restore(older, suite->newer_ws, {"--release", "--require-hit", "--json"});
  EXPECT_EQ(strict_json.exit_code, 1) << strict_json.err;
  const nlohmann::json refused = Json(strict_json);
  EXPECT_EQ(refused.value("verdict", ""), "partial") << strict_json.out;
  EXPECT_FALSE(fs::exists(Target())) << "--require-hit --json extracted a partial hit";
}

TEST_F(Verdicts, AnotherRustcIsAMissThatDownloadsNothing) {
  const RunResult real = RunProgram({"rustc", "-vV"}, RustOptions());
  ASSERT_EQ(real.exit_code, 0) << real.err;
  const std::string real_release = real.out.substr(0, real.out.find('\n'));
  const fs::path bin = root_ / "bin";
  fs::create_directories(bin);
  {
    std::ofstream script(bin / "rustc");
    script << "#!/bin/sh\n"
              "if [ \"$1\" = -vV ]; then\n"
              "  printf 'rustc 1.70.0 (90c541806 2023-05-31)\\nbinary: rustc\\n"
              "host: "
           << HostTriple()
           << "\\nrelease: 1.70.0\\n'\n"
              "  exit 0\n"
              "fi\n"
              "exit 1\n";
  }
  fs::permissions(bin / "rustc", fs::perms::owner_all);
  const std::map<std::string, std::string> env = {
      {"PATH", absl::StrCat(bin.string(), ":", RustOptions().env.at("PATH"))}};
  // Directories the runner already has: a miss must leave them as they are.
  fs::create_directories(Target());
  fs::create_directories(CargoHome());
  std::ofstream(Target() / "mine.txt") << "mine\n";
  std::ofstream(CargoHome() / "config.toml") << "[net]\n";
  const std::set<std::string> target_before = Entries(Target());
  const std::set<std::string> home_before = Entries(CargoHome());
  const size_t requests_before = suite->server->Requests().size();

  const RunResult r = Restore(suite->branch, suite->newer_ws, {"--release"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StartsWith(r.out, "cache miss: rustc differs")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "rustc 1.70.0 (90c541806 2023-05-31)")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, real_release)) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "\nhint: ")) << r.out;

  const RunResult strict = Restore(suite->branch, suite->newer_ws,
                                   {"--release", "--require-hit", "--force"}, env);
  EXPECT_EQ(strict.exit_code, 1) << strict.err;
  EXPECT_EQ(ErrorLines(strict.err).size(), 1u) << strict.err;

  EXPECT_EQ(Entries(Target()), target_before);
  EXPECT_EQ(Entries(CargoHome()), home_before);
  const std::vector<LoggedRequest> requests = suite->server->Requests();
  for (size_t i = requests_before; i < requests.size(); ++i) {
    for (const std::string& layer : suite->newer_layers) {
      EXPECT_FALSE(absl::StrContains(requests[i].path, layer))
          << "a miss downloaded a layer: " << requests[i].method << " " << requests[i].path;
    }
  }
}

TEST_F(Verdicts, ADevBuildAgainstAReleaseCacheIsAMiss) {
  const RunResult r = Restore(suite->branch, suite->newer_ws, {"--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json doc = Json(r);
  EXPECT_EQ(doc.value("verdict", ""), "miss") << r.out;
  EXPECT_EQ(doc.value("layers", -1), 0) << r.out;
  ASSERT_TRUE(doc["reasons"].is_array() && doc["reasons"].size() == 1) << r.out;
  EXPECT_TRUE(absl::StrContains(doc["reasons"][0].get<std::string>(), "--release")) << r.out;
  EXPECT_TRUE(absl::StrContains(doc.value("hint", ""), "cargo build --release")) << r.out;
  EXPECT_FALSE(fs::exists(Target()));
}

TEST_F(Verdicts, TheCacheKeyTagFindsTheOlderWorkspacesExactCache) {
  // tally:main now holds the newer workspace's cache.
  const RunResult r = Restore(suite->branch, suite->older_ws, {"--release", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json doc = Json(r);
  EXPECT_EQ(doc.value("verdict", ""), "hit") << r.out;
  EXPECT_EQ(doc.value("image", ""), suite->older_digest) << r.out;
  const std::string reference = doc.value("reference", "");
  EXPECT_TRUE(absl::StartsWith(reference, suite->server->ImageRef("tally:cook-"))) << r.out;
  EXPECT_TRUE(absl::StrContains(r.err, reference)) << "no progress step names " << reference
                                                    << ":\n" << r.err;

  RunOptions options = RustOptions();
  options.cwd = suite->older_ws.string();
  options.env["CARGO_HOME"] = CargoHome().string();
  const RunResult build =
      RunProgram({"cargo", "build", "--release", "--message-format=json", "--offline",
                  "--locked", "--target-dir", Target().string()},
                 options);
  ASSERT_EQ(build.exit_code, 0) << build.err;
  const std::vector<Unit> units = ParseUnits(build.out);
  EXPECT_FALSE(units.empty());
  EXPECT_EQ(CompiledKeys(units, /*local=*/false), std::set<std::string>())
      << "cargo compiled dependencies after restoring the cache-key tag";
  EXPECT_FALSE(CompiledKeys(units, /*local=*/true).empty());
}

}  // namespace
}  // namespace cook::testing
