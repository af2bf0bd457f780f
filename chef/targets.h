#ifndef COOK_CHEF_TARGETS_H_
#define COOK_CHEF_TARGETS_H_

// Target discovery as cargo does it: [lib], [[bin]], [[example]], [[test]],
// [[bench]] with inferred paths, auto-discovery from src/main.rs,
// src/bin/*.rs, src/bin/*/main.rs, examples/, tests/, benches/ (files and
// <dir>/main.rs), autolib/autobins/autoexamples/autotests/autobenches with
// the 2015-edition rules, and the build script.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "chef/toml_value.h"

namespace cook::chef {

enum class TargetKind { kLib, kBin, kExample, kTest, kBench, kBuildScript };

struct Target {
  TargetKind kind;
  std::string name;  // as cargo names it: lib names use '_', the build script
                     // is "build-script-build"
  std::vector<std::string> crate_types;  // as declared (proc-macro included)
  std::filesystem::path path;            // absolute, lexically normal
  std::vector<std::string> required_features;
  bool harness = true;
};

// "lib", "bin", "example", "test", "bench" or "custom-build" (cargo's names).
std::string_view TargetKindName(TargetKind kind);

// Whether a stub source for `target` needs `fn main() {}`: binaries, examples
// built as binaries, build scripts and tests or benches without a harness.
bool StubNeedsMain(const Target& target);

// Discovers the targets of the package whose manifest is `doc`, in
// `package_dir`. `edition` is the effective edition ("2015" when absent).
// Reads the file system for inference. Errors are InvalidArgument and name
// the manifest: a target without a name, a declared target whose path
// cannot be inferred.
absl::StatusOr<std::vector<Target>> DiscoverTargets(
    const TomlTable& doc, const std::filesystem::path& package_dir,
    std::string_view package_name, std::string_view edition);

}  // namespace cook::chef

#endif  // COOK_CHEF_TARGETS_H_
