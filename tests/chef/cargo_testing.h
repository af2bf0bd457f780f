#ifndef COOK_TESTS_CHEF_CARGO_TESTING_H_
#define COOK_TESTS_CHEF_CARGO_TESTING_H_

// Running the real cargo against original workspaces and their skeletons.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/testing/subprocess.h"

namespace cook::chef::testing {

// The cargo binary: $HOME/.cargo/bin/cargo of the real user, else `cargo` on
// PATH. Nullopt when there is none (tests then skip).
std::optional<std::string> FindCargo();

// Runs `cargo ARGS` in `dir` with a private CARGO_HOME under `scratch`, the
// user's rustup toolchains and RUSTUP_TOOLCHAIN=stable (the corpus pins
// versions that need not be installed).
cook::testing::RunResult RunCargo(const std::string& cargo,
                                  const std::vector<std::string>& args,
                                  const std::filesystem::path& dir,
                                  const std::filesystem::path& scratch);

// `cargo metadata --no-deps --offline --format-version 1` in `dir`, reduced
// to what a skeleton must keep: packages by name with targets (name, kind,
// crate types, required features, source path), features, `metadata`
// (the [package.metadata] table as cargo read it), dependencies
// (without `req` of path dependencies), workspace members and default
// members; every path made relative to `base` and versions of path packages
// dropped. Fails the test on a cargo error.
nlohmann::json NormalizedMetadata(const std::string& cargo,
                                  const std::filesystem::path& dir,
                                  const std::filesystem::path& base,
                                  const std::filesystem::path& scratch);

// ../shared/corpus beside the source tree, found through the runfiles
// symlink of //:README.md; nullopt when absent.
std::optional<std::filesystem::path> CorpusDir();

// Copies a directory tree (cp -a).
void CopyTree(const std::filesystem::path& from,
              const std::filesystem::path& to);

}  // namespace cook::chef::testing

#endif  // COOK_TESTS_CHEF_CARGO_TESTING_H_
