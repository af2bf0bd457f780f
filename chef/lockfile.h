#ifndef COOK_CHEF_LOCKFILE_H_
#define COOK_CHEF_LOCKFILE_H_

// Cargo.lock, edited in cargo's own layout. cargo compares the lockfile it
// would write with the one on disk byte for byte (`--locked` fails on any
// difference), so the file is never re-serialised through a TOML writer:
// blocks are parsed line by line and written back the way cargo writes them.

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace cook::chef {

struct LockPackage {
  std::string name;
  std::string version;
  std::string source;  // empty for path (local) packages
  // References as written: "name", "name version" or "name version (source)".
  std::vector<std::string> dependencies;
  // Every field in file order, with its raw right-hand side; "name",
  // "version", "source" and "dependencies" are written from the members above.
  std::vector<std::pair<std::string, std::string>> fields;
};

class Lockfile {
 public:
  // Parses a lockfile in cargo's layout. Errors are InvalidArgument
  // "`path`:LINE: message".
  static absl::StatusOr<Lockfile> Parse(std::string_view text,
                                        std::string_view path);

  // The file as cargo writes it.
  std::string Format() const;

  const std::vector<LockPackage>& packages() const { return packages_; }
  const std::vector<LockPackage>& unused_patches() const {
    return unused_patches_;
  }

  // The index of the package `reference` names, or -1.
  int Resolve(std::string_view reference) const;

  // Sets the versions of local packages (by index) and rewrites every
  // reference to them. Keeps cargo's package order.
  void SetVersions(const std::map<int, std::string>& versions);

  // Keeps the packages whose `keep[i]` is true, unused patches whose name
  // is in `kept_patch_names`, and [metadata] checksums of kept packages.
  void Retain(const std::vector<bool>& keep,
              const std::vector<std::string>& kept_patch_names);

 private:
  std::string header_;                       // before the first block
  std::vector<LockPackage> packages_;        // [[package]]
  std::vector<LockPackage> unused_patches_;  // [[patch.unused]]
  std::vector<std::string> metadata_;        // [metadata] lines (lockfile v1)
  std::vector<std::string> other_blocks_;    // anything else, verbatim
};

// Orders versions as SemVer does (numeric parts, then pre-releases before
// the release). Returns <0, 0 or >0.
int CompareVersions(std::string_view a, std::string_view b);

}  // namespace cook::chef

#endif  // COOK_CHEF_LOCKFILE_H_
