// Acceptance of issue 4 (`cook build` and `cook restore`) against the real
// cargo, rustc and Debian's crates:
//  * a cache cooked from examples/bakery (dev, --release, --profile ci,
//    --target <host>, --tests) and from tests/fixtures/tally, restored into a
//    copy of the workspace at another path from oci: and docker-archive:,
//    leaves `cargo build` with the same options compiling every member and no
//    dependency, and the program built from the (edited) real sources says
//    what those sources say;
//  * a second build to the same destinations is up to date;
//  * a vendored build script's escapes (loopback connection, write outside the
//    build, secret from cook's environment) fail under --sandbox on and the
//    first two succeed under --sandbox off;
//  * SIGINT during the cargo build: exit 130 within 5 s, no process left, no
//    destination written.
//
// Each configuration is cooked once per suite (SetUpTestSuite): a dependency
// build of the example takes 20-60 s on two cores.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/integration/build_testing.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace cook::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// ---------------------------------------------------------------------------
// One workspace cooked once per suite.

struct Cooked {
  std::string name;
  fs::path fixture;                 // the original, in the source tree
  fs::path dir;                     // the suite's scratch directory
  fs::path workspace;               // the copy that was cooked
  std::vector<std::string> cargo;   // cargo options given to cook and cargo
  std::vector<std::string> cook_args;
  std::string oci;                  // oci:DIR:TAG
  std::string archive;              // docker-archive:FILE:NAME:TAG, or ""
  RunResult result;
  double seconds = 0;
  std::string skip;                 // why the suite cannot run here
};

std::map<std::string, Cooked>& AllCooked() {
  static auto* all = new std::map<std::string, Cooked>;
  return *all;
}

// `cook build` of a copy of `fixture` (relative to the source tree) with
// `cargo` options, to an oci: layout and, with `archive`, a docker-archive.
void CookSuite(const std::string& suite, const std::string& fixture,
               std::vector<std::string> cargo, bool archive) {
  Cooked& c = AllCooked()[suite];
  c.name = suite;
  c.cargo = std::move(cargo);
  const std::optional<fs::path> root = SourceRoot();
  if (!root) {
    c.skip = "the source tree is not reachable through //:README.md";
    return;
  }
  c.fixture = *root / fixture;
  if (RunProgram({"cargo", "-V"}, RustOptions()).exit_code != 0) {
    c.skip = "cargo is not installed";
    return;
  }
  c.dir = fs::path(::testing::TempDir()) / absl::StrCat("suite-", suite);
  fs::remove_all(c.dir);
  fs::create_directories(c.dir);
  c.workspace = c.dir / "cooked" / c.fixture.filename();
  CopyWorkspace(c.fixture, c.workspace);
  c.oci = absl::StrCat("oci:", (c.dir / "layout").string(), ":cache");
  if (archive) c.archive = absl::StrCat("docker-archive:", (c.dir / "cache.tar").string(), ":cook/cache:cache");
  c.cook_args = {"build", "--manifest-path", c.workspace.string(), "--sandbox", "auto",
                 "--dest", c.oci};
  if (archive) c.cook_args.insert(c.cook_args.end(), {"--dest", c.archive});
  c.cook_args.insert(c.cook_args.end(), c.cargo.begin(), c.cargo.end());
  const auto start = Clock::now();
  c.result = RunCook(c.cook_args);
  c.seconds = SecondsSince(start);
  std::cerr << "[" << suite << "] cook " << absl::StrJoin(c.cook_args, " ") << ": exit "
            << c.result.exit_code << " in " << absl::StrFormat("%.1f", c.seconds) << " s\n";
}

void ForgetSuite(const std::string& suite) {
  auto it = AllCooked().find(suite);
  if (it == AllCooked().end()) return;
  std::error_code ec;
  if (!it->second.dir.empty()) fs::remove_all(it->second.dir, ec);
  AllCooked().erase(it);
}

// What a restored build must show.
struct Expect {
  // Units cargo must compile: exactly these ("package/kind[/test]").
  std::set<std::string> compiled_members;
  // The program to run (relative to the copy's target directory), its
  // arguments and its whole stdout.
  std::string program;
  std::vector<std::string> program_args;
  std::string output;            // exact, unless output_contains is used
  std::vector<std::string> output_contains;
};

class CookedTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    const std::string suite =
        ::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name();
    auto it = AllCooked().find(suite);
    ASSERT_NE(it, AllCooked().end()) << "the suite did not cook anything";
    cooked_ = &it->second;
    if (!cooked_->skip.empty()) GTEST_SKIP() << cooked_->skip;
    ASSERT_EQ(cooked_->result.exit_code, 0)
        << "cook " << absl::StrJoin(cooked_->cook_args, " ") << "\n"
        << cooked_->result.err;
  }

  const Cooked& cooked() const { return *cooked_; }

  // Copies the fixture to a new path, lets `edit` change its sources, restores
  // `from` into it, runs `cargo build --message-format=json` with the suite's
  // options and checks `expect`. Returns the units cargo reported.
  std::vector<Unit> RestoreAndBuild(const std::string& from,
                                    const std::function<void(const fs::path&)>& edit,
                                    const Expect& expect) {
    const Cooked& c = cooked();
    const fs::path copy = root_ / "elsewhere" / c.fixture.filename();
    const fs::path cargo_home = root_ / "cargo-home";
    CopyWorkspace(c.fixture, copy);
    if (::testing::Test::HasFatalFailure()) return {};
    EXPECT_NE(fs::canonical(copy), fs::canonical(c.workspace));
    edit(copy);
    if (::testing::Test::HasFatalFailure()) return {};

    RunResult restore = RunCook({"restore", "--from", from, "--target-dir",
                                 (copy / "target").string(), "--cargo-home",
                                 cargo_home.string()});
    EXPECT_EQ(restore.exit_code, 0) << "cook restore --from " << from << "\n" << restore.err;
    if (restore.exit_code != 0) return {};

    RunOptions options = RustOptions();
    options.cwd = copy.string();
    options.env["CARGO_HOME"] = cargo_home.string();
    std::vector<std::string> argv = {"cargo", "build", "--message-format=json"};
    argv.insert(argv.end(), c.cargo.begin(), c.cargo.end());
    const auto start = Clock::now();
    RunResult build = RunProgram(argv, options);
    std::cerr << "[" << c.name << "] " << absl::StrJoin(argv, " ") << " after restore from "
              << from << ": exit " << build.exit_code << " in "
              << absl::StrFormat("%.1f", SecondsSince(start)) << " s\n";
    EXPECT_EQ(build.exit_code, 0) << build.err;
    if (build.exit_code != 0) return {};

    const std::vector<Unit> units = ParseUnits(build.out);
    int dependencies = 0;
    for (const Unit& u : units) dependencies += u.local ? 0 : 1;
    EXPECT_GT(dependencies, 0) << "cargo reported no dependency at all:\n" << build.out;
    EXPECT_EQ(CompiledKeys(units, /*local=*/false), std::set<std::string>())
        << "dependencies were compiled again after the restore:\n"
        << build.err;
    EXPECT_EQ(CompiledKeys(units, /*local=*/true), expect.compiled_members) << build.err;

    if (expect.program.empty()) return units;
    const fs::path program = copy / "target" / expect.program;
    EXPECT_TRUE(fs::exists(program)) << program;
    std::vector<std::string> run = {program.string()};
    run.insert(run.end(), expect.program_args.begin(), expect.program_args.end());
    RunResult ran = RunProgram(run, {.cwd = copy.string()});
    EXPECT_EQ(ran.exit_code, 0) << ran.err;
    if (expect.output_contains.empty()) {
      EXPECT_EQ(ran.out, expect.output);
    }
    for (const std::string& part : expect.output_contains) {
      EXPECT_TRUE(absl::StrContains(ran.out, part)) << "no " << part << " in\n" << ran.out;
    }
    return units;
  }

 private:
  const Cooked* cooked_ = nullptr;
};

// ---------------------------------------------------------------------------
// examples/bakery

const char kBakery[] = "examples/bakery";

// The members' own units: the build script, the lib, the derive macro, the bin.
const std::set<std::string> kBakeryMembers = {"recipes/custom-build", "recipes/lib",
                                              "oven-macros/proc-macro", "bakery/bin"};

// Edits all three members so that the program's output can only come from
// the real sources (a skeleton stub or a cached member would print nothing,
// or the original text): the build script's oven temperature, the derive
// macro's case, the bin's first ingredient.
void EditBakery(const fs::path& ws, int oven) {
  ReplaceInFile(ws / "crates/recipes/build.rs", "RECIPES_OVEN_TEMP=220",
                absl::StrCat("RECIPES_OVEN_TEMP=", oven));
  ReplaceInFile(ws / "crates/oven-macros/src/lib.rs", "to_lowercase()", "to_uppercase()");
  ReplaceInFile(ws / "crates/bakery/src/main.rs", "\"500g flour\"", "\"450g rye\"");
}

std::string EditedBakeryOutput(int oven) {
  return absl::StrCat("SOURDOUGH at ", oven,
                      "C: [{\"name\":\"rye\",\"grams\":450},{\"name\":\"water\",\"grams\":350},"
                      "{\"name\":\"salt\",\"grams\":10}]\n");
}

Expect BakeryExpect(const std::string& profile_dir, int oven) {
  return {.compiled_members = kBakeryMembers,
          .program = absl::StrCat(profile_dir, "/bakery"),
          .output = EditedBakeryOutput(oven)};
}

// Default (dev) profile, one build to both oci: and docker-archive:.
class BakeryDev : public CookedTest {
 public:
  static void SetUpTestSuite() { CookSuite("BakeryDev", kBakery, {}, /*archive=*/true); }
  static void TearDownTestSuite() { ForgetSuite("BakeryDev"); }
};

TEST_F(BakeryDev, RestoredFromOciCargoBuildCompilesOnlyMembers) {
  RestoreAndBuild(cooked().oci, [](const fs::path& ws) { EditBakery(ws, 231); },
                  BakeryExpect("debug", 231));
}

TEST_F(BakeryDev, RestoredFromDockerArchiveCargoBuildCompilesOnlyMembers) {
  RestoreAndBuild(cooked().archive, [](const fs::path& ws) { EditBakery(ws, 232); },
                  BakeryExpect("debug", 232));
}

// Unedited sources too: the original program, compiled from a restore.
TEST_F(BakeryDev, RestoredUneditedWorkspaceRunsAsWritten) {
  RestoreAndBuild(cooked().oci, [](const fs::path&) {},
                  {.compiled_members = kBakeryMembers,
                   .program = "debug/bakery",
                   .output = "sourdough at 220C: [{\"name\":\"flour\",\"grams\":500},"
                             "{\"name\":\"water\",\"grams\":350},"
                             "{\"name\":\"salt\",\"grams\":10}]\n"});
}

// CLI.md step 2: every destination already holds this recipe and these
// options, so cook says so and builds nothing.
TEST_F(BakeryDev, SecondBuildToTheSameDestinationsIsUpToDate) {
  const Cooked& c = cooked();
  const fs::path index = c.dir / "layout" / "index.json";
  const fs::path archive = c.dir / "cache.tar";
  const std::string index_before = ReadAll(index);
  ASSERT_FALSE(index_before.empty());
  const auto archive_time = fs::last_write_time(archive);

  const auto start = Clock::now();
  RunResult again = RunCook(c.cook_args);
  const double seconds = SecondsSince(start);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(absl::StrContains(again.err, "up to date")) << again.err;
  EXPECT_FALSE(absl::StrContains(again.err, "Compiling")) << again.err;
  EXPECT_FALSE(absl::StrContains(again.err, "building dependencies")) << again.err;
  EXPECT_LT(seconds, 10.0) << "the first build took " << c.seconds << " s";
  EXPECT_EQ(ReadAll(index), index_before);
  EXPECT_EQ(fs::last_write_time(archive), archive_time);
}

// DESIGN.md: same inputs, same bytes. The work area's path ends up in the
// target directory (build/*/root-output, build-script dep-info, the debug
// info's comp_dir), so it must depend on the recipe alone.
TEST_F(BakeryDev, RebuildGivesTheSameImage) {
  const Cooked& c = cooked();
  const fs::path again = root_ / "again";
  RunResult r = RunCook({"build", "--manifest-path", c.workspace.string(), "--sandbox", "auto",
                         "--dest", absl::StrCat("oci:", again.string(), ":cache")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto manifest_digest = [](const fs::path& layout) {
    const std::string index = ReadAll(layout / "index.json");
    const size_t at = index.find("\"digest\":\"");
    return at == std::string::npos ? index : index.substr(at + 10, 71);
  };
  EXPECT_EQ(manifest_digest(again), manifest_digest(c.dir / "layout"));
}

class BakeryRelease : public CookedTest {
 public:
  static void SetUpTestSuite() { CookSuite("BakeryRelease", kBakery, {"--release"}, false); }
  static void TearDownTestSuite() { ForgetSuite("BakeryRelease"); }
};

TEST_F(BakeryRelease, RestoredCargoBuildReleaseCompilesOnlyMembers) {
  RestoreAndBuild(cooked().oci, [](const fs::path& ws) { EditBakery(ws, 241); },
                  BakeryExpect("release", 241));
}

// [profile.ci] in the example inherits dev: artifacts under target/ci.
class BakeryCustomProfile : public CookedTest {
 public:
  static void SetUpTestSuite() {
    CookSuite("BakeryCustomProfile", kBakery, {"--profile", "ci"}, false);
  }
  static void TearDownTestSuite() { ForgetSuite("BakeryCustomProfile"); }
};

TEST_F(BakeryCustomProfile, RestoredCargoBuildProfileCiCompilesOnlyMembers) {
  RestoreAndBuild(cooked().oci, [](const fs::path& ws) { EditBakery(ws, 251); },
                  BakeryExpect("ci", 251));
}

// --target <host triple>: artifacts under target/<triple>/debug, build
// scripts and proc-macros under target/debug.
class BakeryHostTarget : public CookedTest {
 public:
  static void SetUpTestSuite() {
    CookSuite("BakeryHostTarget", kBakery, {"--target", HostTriple()}, false);
  }
  static void TearDownTestSuite() { ForgetSuite("BakeryHostTarget"); }
};

TEST_F(BakeryHostTarget, RestoredCargoBuildTargetHostCompilesOnlyMembers) {
  const std::string triple = cooked().cargo.at(1);
  ASSERT_FALSE(triple.empty()) << "rustc -vV printed no host";
  const std::vector<Unit> units =
      RestoreAndBuild(cooked().oci, [](const fs::path& ws) { EditBakery(ws, 261); },
                      BakeryExpect(absl::StrCat(triple, "/debug"), 261));
  for (const Unit& u : units) {
    if (u.package == "bakery" && u.kind == "bin") {
      EXPECT_TRUE(absl::StrContains(u.executable, absl::StrCat("/target/", triple, "/debug/")))
          << u.executable;
    }
  }
}

// --tests: the members' test harnesses compile against the cached
// dependencies; the lib's harness runs a test added to the copy.
class BakeryTests : public CookedTest {
 public:
  static void SetUpTestSuite() { CookSuite("BakeryTests", kBakery, {"--tests"}, false); }
  static void TearDownTestSuite() { ForgetSuite("BakeryTests"); }
};

TEST_F(BakeryTests, RestoredCargoBuildTestsCompilesOnlyMembers) {
  // The harnesses of the lib, the derive macro and the bin, plus what they
  // need: the lib itself, the macro itself and the build script.
  const std::set<std::string> compiled = {
      "recipes/custom-build", "recipes/lib",       "recipes/lib/test",
      "oven-macros/proc-macro", "oven-macros/proc-macro/test", "bakery/bin/test"};
  const std::vector<Unit> units = RestoreAndBuild(
      cooked().oci,
      [](const fs::path& ws) {
        EditBakery(ws, 271);
        std::ofstream(ws / "crates/recipes/src/lib.rs", std::ios::app)
            << "\n#[cfg(test)]\nmod edited {\n    #[test]\n    fn oven_is_hot() {\n"
               "        assert_eq!(super::OVEN_TEMP, \"271\");\n    }\n}\n";
      },
      {.compiled_members = compiled, .program = "", .output = ""});
  if (::testing::Test::HasFailure()) return;
  // Run the lib's harness: it holds the fixture's test and the added one.
  std::string harness;
  for (const Unit& u : units) {
    if (u.package == "recipes" && u.kind == "lib" && u.test) harness = u.executable;
  }
  ASSERT_FALSE(harness.empty());
  RunResult ran = RunProgram({harness});
  EXPECT_EQ(ran.exit_code, 0) << ran.out << ran.err;
  EXPECT_TRUE(absl::StrContains(ran.out, "test tests::parses_a_line ... ok")) << ran.out;
  EXPECT_TRUE(absl::StrContains(ran.out, "test edited::oven_is_hot ... ok")) << ran.out;
  EXPECT_TRUE(absl::StrContains(ran.out, "2 passed")) << ran.out;
}

// ---------------------------------------------------------------------------
// tests/fixtures/tally: a root package with a member, a renamed and a
// target-specific dependency, a lib named unlike its package, a dev-dependency
// and a profile override for dependencies.

class Tally : public CookedTest {
 public:
  static void SetUpTestSuite() { CookSuite("Tally", "tests/fixtures/tally", {}, true); }
  static void TearDownTestSuite() { ForgetSuite("Tally"); }
};

void EditTally(const fs::path& ws, const std::string& label) {
  ReplaceInFile(ws / "tally-core/src/lib.rs", "pub const LABEL: &str = \"tally\";",
                absl::StrCat("pub const LABEL: &str = \"", label, "\";"));
}

TEST_F(Tally, RestoredFromOciCargoBuildCompilesOnlyMembers) {
  RestoreAndBuild(cooked().oci, [](const fs::path& ws) { EditTally(ws, "counted"); },
                  {.compiled_members = {"tally/bin", "tally-core/lib"},
                   .program = "debug/tally",
                   .program_args = {"a", "b", "a"},
                   .output = "counted: {\"crc32\":639659260,\"distinct\":2,"
                             "\"repeated\":[[\"a\",2]],\"unix\":true,\"words\":3}\n"});
}

TEST_F(Tally, RestoredFromDockerArchiveCargoBuildCompilesOnlyMembers) {
  RestoreAndBuild(cooked().archive, [](const fs::path& ws) { EditTally(ws, "tallied"); },
                  {.compiled_members = {"tally/bin", "tally-core/lib"},
                   .program = "debug/tally",
                   .output = "tallied: {\"crc32\":842871427,\"distinct\":9,"
                             "\"repeated\":[[\"the\",3]],\"unix\":true,\"words\":11}\n"});
}

// ---------------------------------------------------------------------------
// The sandbox probe: tests/fixtures/probe depends on a vendored crate whose
// build script tries three escapes and writes what happened to
// OUT_DIR/probe.txt (kept: `--target-dir` is the test's).

class SandboxProbe : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    const std::optional<fs::path> root = SourceRoot();
    if (!root) GTEST_SKIP() << "the source tree is not reachable through //:README.md";
    workspace_ = root_ / "probe";
    CopyWorkspace(*root / "tests/fixtures/probe", workspace_);

    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    ASSERT_GE(listener_, 0) << std::strerror(errno);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ASSERT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0)
        << std::strerror(errno);
    ASSERT_EQ(::listen(listener_, 16), 0) << std::strerror(errno);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port_ = ntohs(addr.sin_port);
  }
  void TearDown() override {
    if (listener_ >= 0) ::close(listener_);
    TempDirTest::TearDown();
  }

  // Connections the listener got (and what they sent).
  int AcceptAll(std::string* received) {
    int n = 0;
    while (true) {
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return n;
      ++n;
      char buffer[64];
      const ssize_t got = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
      if (got > 0) received->append(buffer, got);
      ::close(fd);
    }
  }

  // cook build of the probe with `--sandbox mode`; the probe's findings.
  std::map<std::string, std::string> Build(const std::string& mode, RunResult* result) {
    const fs::path target = root_ / ("target-" + mode);
    *result = RunCook({"build", "--manifest-path", workspace_.string(), "--dest",
                       absl::StrCat("oci:", (root_ / ("image-" + mode)).string()),
                       "--target-dir", target.string(), "--sandbox", mode, "--pass-env",
                       "PROBE_PORT", "--pass-env", "PROBE_OUTSIDE"},
                      {{"PROBE_PORT", std::to_string(port_)},
                       {"PROBE_OUTSIDE", Outside(mode).string()},
                       {"PROBE_SECRET", kSecret}});
    std::map<std::string, std::string> found;
    std::error_code ec;
    for (const auto& unit : fs::directory_iterator(target / "debug" / "build", ec)) {
      const fs::path file = unit.path() / "out" / "probe.txt";
      if (!fs::exists(file)) continue;
      std::istringstream lines(ReadAll(file));
      for (std::string line; std::getline(lines, line);) {
        const size_t eq = line.find('=');
        if (eq != std::string::npos) found[line.substr(0, eq)] = line.substr(eq + 1);
      }
    }
    return found;
  }

  fs::path Outside(const std::string& mode) const {
    return root_ / ("outside-" + mode + ".txt");
  }

  static constexpr char kSecret[] = "cook-probe-secret-7f3a";
  fs::path workspace_;
  int listener_ = -1;
  int port_ = 0;
};

TEST_F(SandboxProbe, OnRefusesLoopbackConnectionOutsideWriteAndSecret) {
  RunResult r;
  const std::map<std::string, std::string> probe = Build("on", &r);
  if (r.exit_code != 0 && absl::StrContains(r.err, "the sandbox is unavailable")) {
    GTEST_SKIP() << "no user namespaces here: " << r.err;
  }
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_FALSE(probe.empty()) << "the probe's build script left no probe.txt\n" << r.err;
  // The variables it needed did reach it: the failures are the sandbox's.
  EXPECT_EQ(probe.at("port"), std::to_string(port_));
  EXPECT_EQ(probe.at("outside"), Outside("on").string());

  EXPECT_TRUE(absl::StartsWith(probe.at("connect"), "error")) << probe.at("connect");
  std::string received;
  EXPECT_EQ(AcceptAll(&received), 0) << received;

  EXPECT_TRUE(absl::StartsWith(probe.at("write"), "error")) << probe.at("write");
  EXPECT_FALSE(fs::exists(Outside("on")));

  EXPECT_EQ(probe.at("secret"), "absent");
  // Not through /proc either: cook's own environment holds the secret.
  EXPECT_EQ(probe.at("proc_secret"), "absent");
}

TEST_F(SandboxProbe, OffLetsTheProbeConnectAndWrite) {
  RunResult r;
  const std::map<std::string, std::string> probe = Build("off", &r);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_FALSE(probe.empty()) << "the probe's build script left no probe.txt\n" << r.err;
  EXPECT_EQ(probe.at("port"), std::to_string(port_));
  EXPECT_EQ(probe.at("connect"), "ok");
  std::string received;
  EXPECT_GE(AcceptAll(&received), 1);
  EXPECT_TRUE(absl::StrContains(received, "probe")) << received;

  EXPECT_EQ(probe.at("write"), "ok");
  EXPECT_EQ(ReadAll(Outside("off")), "written by probe-sys's build script\n");
  // Without the sandbox cargo still gets the allow-listed environment.
  EXPECT_EQ(probe.at("secret"), "absent");
}

// A workspace under /tmp whose crates come from a directory source beside it
// (what `cargo vendor` produces). The sandbox replaces /tmp with an empty
// tmpfs, so the recipe's directory sources must be bound into it.
TEST_F(SandboxProbe, OnReadsVendoredSourcesOfAWorkspaceUnderTmp) {
  std::string pattern = "/tmp/cook-build-test-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
  const fs::path dir = pattern;
  CopyWorkspace(workspace_, dir / "probe");
  RunResult r = RunCook({"build", "--manifest-path", (dir / "probe").string(), "--dest",
                         absl::StrCat("oci:", (dir / "image").string()), "--sandbox", "on"});
  fs::remove_all(dir);
  if (r.exit_code != 0 && absl::StrContains(r.err, "the sandbox is unavailable")) {
    GTEST_SKIP() << "no user namespaces here: " << r.err;
  }
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// ---------------------------------------------------------------------------
// SIGINT while cargo compiles the example's dependencies.

class BuildInterrupt : public TempDirTest {};

TEST_F(BuildInterrupt, SigintDuringCargoBuildExits130LeavesNoProcessAndNoImage) {
  const std::optional<fs::path> root = SourceRoot();
  if (!root) GTEST_SKIP() << "the source tree is not reachable through //:README.md";
  const fs::path ws = root_ / "bakery";
  CopyWorkspace(*root / kBakery, ws);
  // cook's work area (cook-build-*) goes to $TMPDIR: every process of the
  // build mentions it on its command line.
  const fs::path tmp = root_ / "tmp";
  fs::create_directories(tmp);
  const fs::path layout = root_ / "image";
  const fs::path err_file = root_ / "cook.err";

  RunOptions options = RustOptions();
  options.env["TMPDIR"] = tmp.string();
  const std::vector<std::string> argv = {CookBinary(), "build", "--manifest-path", ws.string(),
                                         "--dest", absl::StrCat("oci:", layout.string()),
                                         "--sandbox", "auto"};
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(err, 2);
    for (const auto& [k, v] : options.env) ::setenv(k.c_str(), v.c_str(), 1);
    for (const auto& k : options.unset_env) ::unsetenv(k.c_str());
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    _exit(127);
  }

  // Wait until rustc compiles a crate under cook.
  const auto start = Clock::now();
  std::vector<std::string> compiling;
  while (SecondsSince(start) < 180) {
    compiling.clear();
    for (const std::string& p : ProcessesMentioning(tmp.string())) {
      if (absl::StrContains(p, "rustc") && absl::StrContains(p, "--crate-name")) {
        compiling.push_back(p);
      }
    }
    if (!compiling.empty()) break;
    if (std::optional<int> code = WaitWithTimeout(pid, 0.1)) {
      FAIL() << "cook exited with " << *code << " before rustc ran:\n" << ReadAll(err_file);
    }
  }
  if (compiling.empty()) {
    ::kill(pid, SIGKILL);
    WaitWithTimeout(pid, 10);
    FAIL() << "no rustc under cook after 180 s:\n" << ReadAll(err_file);
  }
  // Let cargo get going on a few crates.
  std::this_thread::sleep_for(std::chrono::seconds(2));

  ASSERT_EQ(::kill(pid, SIGINT), 0);
  const auto interrupted = Clock::now();
  std::optional<int> code = WaitWithTimeout(pid, 5.0);
  const double seconds = SecondsSince(interrupted);
  if (!code) {
    ::kill(pid, SIGKILL);
    WaitWithTimeout(pid, 10);
  }
  ASSERT_TRUE(code.has_value()) << "cook still ran 5 s after SIGINT\n" << ReadAll(err_file);
  EXPECT_EQ(*code, 130) << ReadAll(err_file);
  std::cerr << "cook exited " << *code << " " << absl::StrFormat("%.2f", seconds)
            << " s after SIGINT; it was running:\n  " << compiling.front() << "\n";

  // Nothing that cook started survives it (allowing what is left of the 5 s).
  std::vector<std::string> left = ProcessesMentioning(tmp.string());
  while (!left.empty() && SecondsSince(interrupted) < 5.0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    left = ProcessesMentioning(tmp.string());
  }
  EXPECT_TRUE(left.empty()) << absl::StrJoin(left, "\n");
  for (const std::string& p : left) {
    ::kill(std::stoi(p.substr(0, p.find(':'))), SIGKILL);  // don't leave them to others
  }

  // No destination written, no work area left behind.
  EXPECT_FALSE(fs::exists(layout / "index.json"));
  EXPECT_FALSE(fs::exists(layout / "oci-layout"));
  std::vector<std::string> leftovers;
  for (const fs::path& dir : {tmp, root_}) {
    for (const auto& e : fs::directory_iterator(dir)) {
      const std::string name = e.path().filename().string();
      if (absl::StartsWith(name, "cook-build-") || absl::StartsWith(name, ".cook-staging-")) {
        leftovers.push_back(e.path().string());
      }
    }
  }
  EXPECT_TRUE(leftovers.empty()) << absl::StrJoin(leftovers, "\n");
  EXPECT_TRUE(absl::StrContains(ReadAll(err_file), "interrupted")) << ReadAll(err_file);
}

}  // namespace
}  // namespace cook::testing
