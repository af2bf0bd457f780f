#ifndef COOK_CACHE_TARGET_DIR_H_
#define COOK_CACHE_TARGET_DIR_H_

// What `cook build` does to a cargo target directory between the build and
// the snapshot: drop the local crates' own units, and find the time the
// layer must carry for the restored cache to be fresh.

#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cook::cache {

struct LocalCrate {
  std::string package;               // package name, e.g. "oven-macros"
  std::vector<std::string> targets;  // target names, e.g. "oven-macros", "bakery"
};

// Removes every artifact, fingerprint, dep-info, build-script directory and
// incremental state of `crates` from every profile directory of `target_dir`
// (host and cross targets alike), so that real sources always rebuild them.
// Returns the number of paths removed.
absl::StatusOr<int> DropLocalUnits(const std::filesystem::path& target_dir,
                                   const std::vector<LocalCrate>& crates);

// The newest modification time of the source files that the dep-info files
// (deps/*.d, build/<unit>/*.d) of the units in `used` name (by unit hash,
// as UsedUnitHashes gives them), rounded up to a whole second, or
// InfinitePast() when there are none. Units the build did not use (in a
// user's --target-dir, which is never pruned) do not count, nor do paths
// under `ignore` (the skeleton).
absl::StatusOr<absl::Time> NewestSourceTime(const std::filesystem::path& target_dir,
                                            const std::filesystem::path& ignore,
                                            const std::set<std::string>& used);

// The unit hashes (the 16 hex digits cargo appends to unit names, as in
// deps/libserde-0123456789abcdef.rlib, build/serde-0123456789abcdef/ and
// .fingerprint/serde-0123456789abcdef/) of every unit a build used, read
// from its `cargo build --message-format=json...` output: the filenames and
// executable of each compiler-artifact message (fresh or not) and the
// out_dir of each build-script-executed message. A build script is two
// units, build/<pkg>-<h1>/build-script-build and build/<pkg>-<h2>/out, and
// both count. Uplifted artifacts (a root bin reported as target/debug/app,
// `cargo build -p dep`'s target/debug/libdep.rlib) carry no hash, so their
// units are not in the set. Lines that are not JSON objects are ignored
// (cargo prints only JSON there, but be lenient); never fails today.
absl::StatusOr<std::set<std::string>> UsedUnitHashes(std::string_view messages);

// Removes from every profile directory of `target_dir` (host and cross
// targets alike: <profile>/ and <triple>/<profile>/) the units whose hash
// is not in `used`: entries of deps/, examples/, build/, .fingerprint/ and
// incremental/ named "[lib]<name>-<16 hex digits>[.<ext>]". Nothing else is
// touched: entries without a unit hash stay (.cargo-lock, CACHEDIR.TAG,
// uplifted binaries, and incremental/<crate>-<rustc's own hash>), and
// symlinks are removed themselves, never followed; a unit directory that is
// a symlink is left alone. An empty `used` removes every unit. Returns the
// number of paths removed; errors name the path.
absl::StatusOr<int> CollectGarbage(const std::filesystem::path& target_dir,
                                   const std::set<std::string>& used);

// The unit hash of the unit an entry of a target directory belongs to
// (`relative` as for TargetEntryCrate): "0123456789abcdef" for
// debug/deps/libserde-0123456789abcdef.rlib,
// debug/build/serde-0123456789abcdef/out/... and
// x86_64-unknown-linux-gnu/release/.fingerprint/serde-0123456789abcdef/...;
// "" for the entries CollectGarbage never removes (no unit directory, no
// unit hash). What lets a snapshot leave out the units a build did not use
// where it may not remove them.
std::string TargetEntryUnitHash(std::string_view relative);

// The crate an entry of a target directory belongs to, for grouping layers
// by crate: `relative` is the entry's path relative to the target
// directory. "serde_json" for debug/deps/libserde_json-<hash>.rlib,
// debug/.fingerprint/serde-json-<hash>/... and
// x86_64-unknown-linux-gnu/release/build/serde_json-<hash>/out/...;
// hyphens become underscores and the "lib" prefix of rlib/rmeta/so/a files
// goes. Entries of deps/ and examples/ are named after the crate (the lib
// target), those of build/ and .fingerprint/ after the package, so a
// renamed lib's units split: deps/libtallycore-<hash>.rlib is "tallycore"
// but .fingerprint/tally-core-<hash>/ is "tally_core". "" for entries of no
// crate (.rustc_info.json, CACHEDIR.TAG, the profile directories
// themselves, deps/ itself, uplifted binaries, unhashed names).
std::string TargetEntryCrate(std::string_view relative);

// The same for a cargo home: registry/src/<index>/serde-1.0.1/...,
// registry/cache/<index>/serde-1.0.1.crate and git/checkouts/serde-<hash>/...
// (and git/db/serde-<hash>/...) belong to "serde"; names may hold '-' and
// digits ("md-5-0.10.5" is "md_5"); the registry index and everything else
// belong to "".
std::string CargoHomeEntryCrate(std::string_view relative);

}  // namespace cook::cache

#endif  // COOK_CACHE_TARGET_DIR_H_
