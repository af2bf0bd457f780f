#ifndef COOK_TESTS_TESTING_SUBPROCESS_H_
#define COOK_TESTS_TESTING_SUBPROCESS_H_

// Runs real programs (cook itself, skopeo, umoci, podman, tar) from tests.

#include <map>
#include <string>
#include <vector>

namespace cook::testing {

struct RunResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
};

struct RunOptions {
  std::string cwd;                          // empty: inherit
  std::map<std::string, std::string> env;   // set on top of the inherited ones
  std::vector<std::string> unset_env;
  std::string stdin_data;
};

RunResult RunProgram(const std::vector<std::string>& argv,
                     const RunOptions& options = {});

// The absolute path of `path` (relative to the workspace, e.g. "docs/cook.1")
// in the test's runfiles: $TEST_SRCDIR (else $RUNFILES_DIR, else the working
// directory) / $TEST_WORKSPACE / `path`. The test lists it in its data.
std::string RunfilePath(const std::string& path);

// The `cook` binary from the test's runfiles (data = ["//builder:cook"]).
std::string CookBinary();

// True when `program` is found on PATH.
bool HaveProgram(const std::string& program);

}  // namespace cook::testing

#endif  // COOK_TESTS_TESTING_SUBPROCESS_H_
