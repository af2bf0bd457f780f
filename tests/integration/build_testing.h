#ifndef COOK_TESTS_INTEGRATION_BUILD_TESTING_H_
#define COOK_TESTS_INTEGRATION_BUILD_TESTING_H_

// Helpers of the `cook build` / `cook restore` acceptance tests: finding the
// source tree, copying workspaces, running cook and cargo with the user's
// Rust toolchain, and reading `cargo build --message-format=json`.

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/testing/subprocess.h"

namespace cook::testing {

// The real source tree (where //:README.md's runfile points), or nullopt.
std::optional<std::filesystem::path> SourceRoot();

// Why an acceptance suite that runs cargo on the source tree's fixtures
// cannot run here (no source tree through //:README.md, no cargo), or "".
std::string CargoSuiteSkipReason();

// Copies a workspace (without a top-level target/ directory) to `to`, which
// must not exist, leaving every file writable. Fails the test on error.
void CopyWorkspace(const std::filesystem::path& from,
                   const std::filesystem::path& to);

// Replaces the one occurrence of `from` in `file`; fails the test when
// `from` occurs there not exactly once.
void ReplaceInFile(const std::filesystem::path& file, const std::string& from,
                   const std::string& to);

// The environment that cook and cargo need on top of the test's: the
// user's ~/.cargo/bin first on PATH, RUSTUP_HOME, no inherited target dir.
RunOptions RustOptions();

// `cook ARGS` with RustOptions() plus `env`.
RunResult RunCook(const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& env = {});

// The host triple (`rustc -vV`), or "" when rustc is missing.
std::string HostTriple();

// One "compiler-artifact" message of cargo's JSON output.
struct Unit {
  std::string package;     // package name
  bool local = false;      // a path dependency (a workspace member here)
  std::string kind;        // "lib", "bin", "proc-macro", "custom-build", ...
  bool test = false;       // built as a test harness
  bool fresh = false;
  std::string executable;  // "" when none
  // "package/kind" or "package/kind/test".
  std::string Key() const;
};

// The compiler artifacts in `json_lines`, in order. Fails the test on a line
// that is not JSON.
std::vector<Unit> ParseUnits(const std::string& json_lines);

// The keys of the units that were compiled (not fresh), split by locality.
std::set<std::string> CompiledKeys(const std::vector<Unit>& units, bool local);

// Waits for `pid` (a child) for up to `seconds`: its exit status as
// RunResult::exit_code does, or nullopt on timeout.
std::optional<int> WaitWithTimeout(pid_t pid, double seconds);

// Processes (other than the caller) whose command line mentions `needle`,
// as "PID: cmdline" lines.
std::vector<std::string> ProcessesMentioning(const std::string& needle);

}  // namespace cook::testing

#endif  // COOK_TESTS_INTEGRATION_BUILD_TESTING_H_
