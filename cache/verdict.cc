#include "cache/verdict.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/status_macros.h"
#include "cache/cache_tag.h"
#include "chef/lockfile.h"
#include "chef/prepare.h"

namespace cook::cache {
namespace {

namespace fs = std::filesystem;

using Versions = std::map<std::string, std::set<std::string>>;

// "name version" entries by name.
Versions ByName(const std::vector<std::string>& entries) {
  Versions out;
  for (const std::string& entry : entries) {
    std::pair<std::string, std::string> nv = absl::StrSplit(entry, absl::MaxSplits(' ', 1));
    out[nv.first].insert(nv.second);
  }
  return out;
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

// `rustc -vV` in brief: its first differing line from `other`'s (the
// release line, "rustc 1.95.0 (59807616e 2026-04-14)", unless only the
// details differ).
std::string RustcDifference(const std::string& mine, const std::string& other) {
  const std::vector<std::string> a = Lines(mine), b = Lines(other);
  for (size_t i = 0; i < a.size(); ++i) {
    if (i >= b.size() || a[i] != b[i]) return a[i];
  }
  return a.empty() ? "(none)" : a.front();
}

// A label's value as a verdict quotes it: labels come from the image, so a
// value past 200 bytes is cut (at a character boundary) and marked.
std::string Brief(std::string value) {
  constexpr size_t kMax = 200;
  if (value.size() <= kMax) return value;
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
  value.resize(cut);
  return value + "...";
}

std::string OrNone(const std::string& value) {
  return value.empty() ? "(none)" : Brief(value);
}

void JudgeMiss(const CacheImage& image, const RunnerCache& runner, Verdict& verdict) {
  std::vector<std::string> hints;
  if (image.key.rustc_version != runner.key.rustc_version) {
    const std::string cache = RustcDifference(image.key.rustc_version, runner.key.rustc_version);
    verdict.reasons.push_back(absl::StrFormat(
        "rustc differs: the cache's is %s, this runner's is %s", Brief(cache),
        Brief(RustcDifference(runner.key.rustc_version, image.key.rustc_version))));
    hints.push_back(absl::StrCat("use the toolchain the cache was built with (",
                                 Brief(Lines(image.key.rustc_version + "\n").front()),
                                 "), e.g. in rust-toolchain.toml"));
  }
  if (!image.targets.empty() && !runner.targets.empty() && image.targets != runner.targets) {
    verdict.reasons.push_back(absl::StrFormat(
        "target triple differs: the cache's is %s, this runner's is %s", Brief(image.targets),
        Brief(runner.targets)));
    hints.push_back(absl::StrCat("the cache is for ", Brief(image.targets)));
  }
  if (image.key.cargo_options != runner.key.cargo_options) {
    verdict.reasons.push_back(absl::StrFormat(
        "cargo options differ: the cache's are %s, this runner's are %s",
        OrNone(image.key.cargo_options), OrNone(runner.key.cargo_options)));
    hints.push_back(absl::StrCat("the cache was made for `",
                                 absl::StripTrailingAsciiWhitespace(
                                     absl::StrCat("cargo build ", Brief(image.key.cargo_options))),
                                 "`: restore and build with those options"));
  }
  if (verdict.reasons.empty()) return;
  verdict.kind = VerdictKind::kMiss;
  hints.push_back("or make a cache on this toolchain with cook build");
  verdict.hint = absl::StrJoin(hints, "; ");
}

}  // namespace

absl::StatusOr<std::vector<std::string>> LockPackages(const chef::Recipe& recipe) {
  const std::string key =
      (fs::path(recipe.workspace_root) / "Cargo.lock").lexically_normal().generic_string();
  std::vector<std::string> out;
  auto it = recipe.files.find(key);
  if (it == recipe.files.end()) return out;
  ASSIGN_OR_RETURN(const chef::Lockfile lock, chef::Lockfile::Parse(it->second, key));
  for (const chef::LockPackage& p : lock.packages()) {
    if (!p.source.empty()) out.push_back(absl::StrCat(p.name, " ", p.version));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

CrateChanges CompareLockPackages(const std::vector<std::string>& image,
                                 const std::vector<std::string>& runner) {
  const Versions before = ByName(image), after = ByName(runner);
  CrateChanges changes;
  for (const auto& [name, versions] : after) {
    auto it = before.find(name);
    if (it == before.end()) {
      ++changes.added;
    } else if (it->second != versions) {
      ++changes.changed;
    }
  }
  for (const auto& [name, versions] : before) {
    if (!after.contains(name)) ++changes.removed;
  }
  return changes;
}

Verdict Judge(const CacheImage& image, const RunnerCache& runner) {
  Verdict verdict;
  JudgeMiss(image, runner, verdict);
  if (!verdict.reasons.empty()) return verdict;
  if (image.key.recipe_digest == runner.key.recipe_digest) {
    verdict.kind = VerdictKind::kHit;
    return verdict;
  }
  verdict.kind = VerdictKind::kPartial;
  if (!image.lock_packages.has_value()) {
    verdict.reasons.push_back(
        "the recipe differs, and the cache does not record its crates (an older cook made "
        "it): how many crates changed is unknown");
    return verdict;
  }
  const CrateChanges c = CompareLockPackages(*image.lock_packages, runner.lock_packages);
  verdict.crates = c;
  if (c == CrateChanges{}) {
    verdict.reasons.push_back(
        "the dependency declarations differ, the lockfile's crates do not");
  } else {
    verdict.reasons.push_back(absl::StrFormat(
        "%d crate%s added, %d removed, %d changed", c.added, c.added == 1 ? "" : "s",
        c.removed, c.changed));
  }
  return verdict;
}

const char* VerdictName(VerdictKind kind) {
  switch (kind) {
    case VerdictKind::kHit:
      return "hit";
    case VerdictKind::kPartial:
      return "partial";
    case VerdictKind::kMiss:
      return "miss";
  }
  return "miss";
}

std::string VerdictLine(const Verdict& verdict) {
  switch (verdict.kind) {
    case VerdictKind::kHit:
      return "cache hit: same recipe, rustc, targets and cargo options; cargo will compile "
             "only the workspace members";
    case VerdictKind::kPartial:
      return absl::StrCat("partial hit: ", absl::StrJoin(verdict.reasons, "; "),
                          "; cargo rebuilds what changed");
    case VerdictKind::kMiss:
      break;
  }
  return absl::StrCat("cache miss: ", absl::StrJoin(verdict.reasons, "; "),
                      "; cargo would rebuild every dependency");
}

absl::StatusOr<RunnerCache> RunnerCacheFor(const fs::path& manifest_path,
                                           const CargoOptions& cargo,
                                           const std::vector<std::string>& environment,
                                           ToolchainProbe& probe, const fs::path& scratch) {
  ASSIGN_OR_RETURN(const chef::Recipe recipe,
                   Annotate(chef::Prepare({manifest_path, ""}), "preparing the recipe"));
  RunnerCache runner;
  runner.key.recipe_digest = chef::RecipeDigest(chef::SerializeRecipe(recipe));
  runner.key.cargo_options = OptionsLabel(cargo);
  ASSIGN_OR_RETURN(runner.lock_packages,
                   Annotate(LockPackages(recipe), "reading the recipe's Cargo.lock"));
  sandbox::SandboxSpec spec;
  spec.env = environment;
  std::error_code ec;
  spec.cwd = fs::is_directory(manifest_path, ec) ? manifest_path : manifest_path.parent_path();
  ASSIGN_OR_RETURN(const Toolchain toolchain, probe.Probe(spec, scratch));
  runner.key.rustc_version = toolchain.rustc_version;
  runner.targets = TargetTriples(cargo, toolchain.host);
  return runner;
}

}  // namespace cook::cache
