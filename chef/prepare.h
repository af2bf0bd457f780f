#ifndef COOK_CHEF_PREPARE_H_
#define COOK_CHEF_PREPARE_H_

// `cook prepare`: the recipe of a Cargo workspace, from its files alone. Runs
// no cargo, needs no network and writes nothing.

#include <filesystem>
#include <string>

#include "absl/status/statusor.h"
#include "chef/recipe.h"

namespace cook::chef {

struct PrepareOptions {
  // A Cargo.toml or a directory holding one; absolute (chef reads no cwd).
  // The workspace is the one that contains it.
  std::filesystem::path manifest_path;
  // A package or binary name: keep only what that package needs. Empty: the
  // whole workspace.
  std::string bin;
};

// Reads the workspace's manifests, Cargo.lock, the root's .cargo/config(.toml)
// and rust-toolchain(.toml), discovers every target, masks local versions,
// strips lints and returns the recipe.
//
// Errors (one line each, "doing what: cause"): InvalidArgument for a
// relative `manifest_path`, TOML syntax errors ("path:line:col: message"),
// a missing package.name, a package its workspace does not list, a target
// whose path cannot be inferred; NotFound for a missing manifest or member,
// or a `bin` that names nothing.
absl::StatusOr<Recipe> Prepare(const PrepareOptions& options);

}  // namespace cook::chef

#endif  // COOK_CHEF_PREPARE_H_
