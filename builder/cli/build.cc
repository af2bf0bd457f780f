// `cook build`: prepare, skeleton, fetch, sandboxed cargo build, drop local
// units, snapshot, assemble.

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <set>
#include <thread>
#include <fstream>
#include <memory>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/files.h"
#include "base/interrupt.h"
#include "base/parallel.h"
#include "base/status_macros.h"
#include "builder/cli/cargo_target.h"
#include "builder/cli/commands.h"
#include "builder/cli/image_io.h"
#include "builder/cli/labels.h"
#include "builder/cli/output.h"
#include "sandbox/sandbox.h"
#include "chef/prepare.h"
#include "chef/recipe.h"
#include "chef/skeleton.h"
#include "layers/layer_writer.h"
#include "nlohmann/json.hpp"

extern char** environ;

namespace cook::cli {

absl::StatusOr<chef::Recipe> ReadRecipe(const std::string& path);

namespace {

namespace fs = std::filesystem;

constexpr absl::string_view kDefaultCargoHome = "/usr/local/cargo";
// Buckets the crates of a target directory and of a cargo home go to: well
// under the ~127 layers overlay file systems stack, fine enough that one
// changed crate rewrites a small part of the cache.
constexpr int kTargetBuckets = 16;
constexpr int kCargoHomeBuckets = 4;
// The layer group of units the build did not use: never written. Other
// groups are "shared" and "crates-NN".
constexpr absl::string_view kUnusedGroup = "unused";

std::vector<std::string> CurrentEnvironment() {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) out.emplace_back(*e);
  return out;
}

std::string EnvValue(const std::vector<std::string>& env, std::string_view key) {
  const std::string prefix = absl::StrCat(std::string(key), "=");
  for (const std::string& e : env) {
    if (absl::StartsWith(e, prefix)) return e.substr(prefix.size());
  }
  return "";
}

void SetEnv(std::vector<std::string>& env, std::string_view key, std::string_view value) {
  const std::string prefix = absl::StrCat(std::string(key), "=");
  std::erase_if(env, [&](const std::string& e) { return absl::StartsWith(e, prefix); });
  env.push_back(absl::StrCat(prefix, std::string(value)));
}

void UnsetEnv(std::vector<std::string>& env, std::string_view key) {
  const std::string prefix = absl::StrCat(std::string(key), "=");
  std::erase_if(env, [&](const std::string& e) { return absl::StartsWith(e, prefix); });
}

absl::StatusOr<std::string> FindProgram(std::string_view name,
                                        const std::vector<std::string>& env) {
  for (absl::string_view dir : absl::StrSplit(EnvValue(env, "PATH"), ':')) {
    if (dir.empty()) continue;
    fs::path candidate = fs::path(std::string(dir)) / std::string(name);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return absl::NotFoundError(absl::StrFormat(
      "%s is not on PATH\nhint: install Rust (rustup or Debian's cargo) or fix PATH",
      name));
}

// Runs a short command directly and returns its stdout.
absl::StatusOr<std::string> Capture(sandbox::SandboxRunner& runner,
                                    const sandbox::SandboxSpec& base_spec,
                                    const fs::path& scratch,
                                    std::vector<std::string> argv) {
  sandbox::SandboxSpec spec = base_spec;
  spec.argv = std::move(argv);
  spec.stdout_file = scratch / "captured-stdout";
  ASSIGN_OR_RETURN(int code, runner.Run(spec));
  ASSIGN_OR_RETURN(std::string out, ReadFile(*spec.stdout_file));
  if (code != 0) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s exited with status %d", absl::StrJoin(spec.argv, " "), code));
  }
  return out;
}

// Cargo options that change what gets built: the cache key besides the
// recipe. --jobs, --locked, --frozen and --offline do not.
std::string OptionsLabel(const CargoOptions& cargo) {
  CargoOptions key = cargo;
  key.jobs = 0;
  key.locked = key.frozen = key.offline = false;
  return absl::StrJoin(key.ToArgs(), " ");
}

// True when `dest` already holds an image of this recipe and these options.
absl::StatusOr<bool> UpToDate(const oci::ImageReference& dest,
                              const std::string& recipe_digest,
                              const std::string& options, const std::string& rustc,
                              const oci::Platform& platform,
                              registry::RegistrySession& registries) {
  const std::string context = absl::StrCat("checking ", dest.ToString());
  absl::StatusOr<OpenedImage> image = OpenImage(dest, platform, context, registries);
  if (!image.ok()) {
    // A missing or unreadable local image just means there is work to do. A
    // registry that refuses us (credentials, certificates) would refuse the
    // push too: better to say so before a long build.
    // PermissionDenied may just mean the repository does not exist yet
    // (some registries refuse a pull token for it); the push decides.
    if (dest.transport == oci::Transport::kDocker &&
        !absl::IsNotFound(image.status()) &&
        !absl::IsPermissionDenied(image.status())) {
      return image.status();
    }
    return false;
  }
  const oci::ImageConfig& config = image->config;
  return Label(config, kLabelRecipeDigest) == recipe_digest &&
         Label(config, kLabelCargoOptions) == options &&
         Label(config, kLabelRustcVersion) == rustc;
}

std::vector<LocalCrate> LocalCrates(const chef::Recipe& recipe) {
  std::vector<LocalCrate> crates;
  for (const chef::RecipePackage& p : recipe.packages) {
    LocalCrate c{p.name, {}};
    for (const chef::RecipeTarget& t : p.targets) c.targets.push_back(t.name);
    crates.push_back(std::move(c));
  }
  return crates;
}

// Cargo's lock files and caches of its own bookkeeping are not sources.
void TidyCargoHome(const fs::path& cargo_home) {
  std::error_code ec;
  for (const char* name : {".package-cache", ".package-cache-mutate", ".global-cache",
                           ".crates.toml", ".crates2.json", "bin", "config.toml"}) {
    fs::remove_all(cargo_home / name, ec);
  }
}

// The work area of a build: skeleton, cargo home and target directory. Its
// path ends up inside the artifacts (debug info's comp_dir, dep-info,
// build-script output), so it depends only on the recipe: the same recipe
// gives the same bytes on any machine. A lock file keeps two concurrent
// builds of one recipe apart; the second gets a private name and says that
// its image will not be byte-identical.
class WorkArea {
 public:
  static absl::StatusOr<WorkArea> Claim(const std::string& recipe_digest,
                                        Progress& progress) {
    const fs::path parent = StagingParent({});
    const std::string name =
        absl::StrCat("cook-build-", recipe_digest.substr(recipe_digest.find(':') + 1, 16));
    const fs::path lock_path = parent / (name + ".lock");
    int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      const fs::path path = parent / name;
      std::error_code ec;
      fs::remove_all(path, ec);  // left by a build that was killed
      if (!ec && fs::create_directory(path, ec) && !ec) return WorkArea(path, fd, lock_path);
      if (ec) {
        ::close(fd);
        return FsError(ec, absl::StrCat("creating the work area ", path.string()));
      }
    }
    if (fd >= 0) ::close(fd);
    progress.Warn(absl::StrCat(
        "another cook build of this recipe is running; this one uses a private "
        "work area, so its layers will not be byte-identical"));
    ASSIGN_OR_RETURN(StagingDir dir, StagingDir::Create(parent, name + "-"));
    return WorkArea(std::move(dir));
  }
  WorkArea(WorkArea&& other) noexcept
      : path_(std::move(other.path_)),
        lock_fd_(std::exchange(other.lock_fd_, -1)),
        lock_path_(std::move(other.lock_path_)),
        fallback_(std::move(other.fallback_)) {
    other.path_.clear();
  }
  WorkArea(const WorkArea&) = delete;
  ~WorkArea() {
    if (lock_fd_ < 0) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
    fs::remove(lock_path_, ec);
    ::close(lock_fd_);
  }
  const fs::path& path() const { return fallback_ ? fallback_->path() : path_; }

 private:
  WorkArea(fs::path path, int fd, fs::path lock_path)
      : path_(std::move(path)), lock_fd_(fd), lock_path_(std::move(lock_path)) {}
  explicit WorkArea(StagingDir dir) : fallback_(std::move(dir)) {}
  fs::path path_;
  int lock_fd_ = -1;
  fs::path lock_path_;
  std::optional<StagingDir> fallback_;
};

bool HasEntries(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir, ec) && !fs::is_empty(dir, ec);
}

}  // namespace

absl::Status RunBuild(const BuildCommand& c, std::FILE* out, Progress& progress,
                      registry::RegistrySession& registries) {
  // 1. The recipe.
  chef::Recipe recipe;
  if (!c.recipe_path.empty()) {
    ASSIGN_OR_RETURN(recipe, ReadRecipe(c.recipe_path));
  } else {
    ASSIGN_OR_RETURN(recipe, Annotate(chef::Prepare({c.manifest_path, ""}),
                                      "preparing the recipe"));
  }
  const std::string recipe_digest = chef::RecipeDigest(chef::SerializeRecipe(recipe));
  const std::string options = OptionsLabel(c.cargo);
  const oci::Platform platform = c.platform.value_or(oci::HostPlatform());
  progress.Step(absl::StrCat("recipe ", recipe_digest));

  // 2. A private work area: skeleton, cargo home, target directory.
  ASSIGN_OR_RETURN(WorkArea work, WorkArea::Claim(recipe_digest, progress));
  const fs::path skeleton = work.path() / "skeleton";
  RETURN_IF_ERROR(Annotate(chef::WriteSkeleton(recipe, skeleton), "writing the skeleton"));
  const fs::path workspace = chef::SkeletonWorkspaceRoot(recipe, skeleton);
  const fs::path cargo_home = work.path() / "cargo-home";
  const fs::path target_dir =
      c.target_dir.empty() ? work.path() / "target" : fs::path(c.target_dir);
  std::error_code ec;
  for (const fs::path& dir : {cargo_home, target_dir}) {
    fs::create_directories(dir, ec);
    if (ec) return FsError(ec, absl::StrCat("creating ", dir.string()));
  }

  std::vector<std::string> env =
      sandbox::FilterEnvironment(CurrentEnvironment(), c.pass_env);
  SetEnv(env, "CARGO_HOME", cargo_home.string());
  UnsetEnv(env, "CARGO_TARGET_DIR");
  UnsetEnv(env, "CARGO_BUILD_TARGET_DIR");
  // rustup lets RUSTUP_TOOLCHAIN override the toolchain file; the recipe's
  // toolchain file must decide.
  if (!recipe.toolchain_file.empty()) UnsetEnv(env, "RUSTUP_TOOLCHAIN");
  if (EnvValue(env, "RUSTUP_HOME").empty() && !EnvValue(env, "HOME").empty()) {
    const fs::path rustup_home = fs::path(EnvValue(env, "HOME")) / ".rustup";
    if (fs::exists(rustup_home, ec)) SetEnv(env, "RUSTUP_HOME", rustup_home.string());
  }
  ASSIGN_OR_RETURN(std::string cargo, FindProgram("cargo", env));
  ASSIGN_OR_RETURN(std::string rustc, FindProgram("rustc", env));

  ASSIGN_OR_RETURN(std::unique_ptr<sandbox::SandboxRunner> direct,
                   sandbox::NewSandboxRunner(sandbox::SandboxMode::kOff, nullptr));
  sandbox::SandboxSpec spec;
  spec.env = env;
  spec.cwd = workspace;
  spec.writable = {skeleton, cargo_home, target_dir};
  for (const std::string& dir : recipe.directory_sources) spec.visible.push_back(dir);

  ASSIGN_OR_RETURN(std::string rustc_version,
                   Annotate(Capture(*direct, spec, work.path(), {rustc, "-vV"}),
                            "asking rustc for its version"));
  ASSIGN_OR_RETURN(std::string cargo_version,
                   Annotate(Capture(*direct, spec, work.path(), {cargo, "-V"}),
                            "asking cargo for its version"));
  std::string host;
  for (absl::string_view line : absl::StrSplit(rustc_version, '\n')) {
    if (absl::ConsumePrefix(&line, "host: ")) host = std::string(line);
  }
  const std::string triples =
      c.cargo.targets.empty() ? host : absl::StrJoin(c.cargo.targets, ",");
  const std::string rustc_label(absl::StripTrailingAsciiWhitespace(rustc_version));

  // 3. Nothing to do when every destination already has this cache, made
  // by this toolchain (the toolchain file decides it, so ask rustc in the
  // skeleton).
  bool all_current = !c.dests.empty();
  for (const oci::ImageReference& dest : c.dests) {
    ASSIGN_OR_RETURN(bool current, UpToDate(dest, recipe_digest, options, rustc_label,
                                            platform, registries));
    all_current = all_current && current;
  }
  if (all_current) {
    progress.Step("every destination is up to date: nothing to build");
    if (c.common.json) {
      std::vector<std::string> names;
      for (const auto& d : c.dests) names.push_back(d.ToString());
      absl::FPrintF(out, "%s\n",
                    JsonLine(nlohmann::json({{"up_to_date", true},
                                             {"recipe", recipe_digest},
                                             {"destinations", names}})));
    }
    return absl::OkStatus();
  }
  // The base image is read before the long build, so that a wrong name or
  // missing credentials fail at once.
  ASSIGN_OR_RETURN(BaseImage base, LoadBase(c.base, c.platform, registries));

  // An earlier cache image: its target directory and cargo home go back
  // first, so that cargo rebuilds only what changed, and its layers are
  // reused where this build's come out the same.
  std::optional<OpenedImage> cache;
  // The diff_ids of the cache's layers that the restore verified: only
  // these may be reused, since only their diff_ids are known to be true.
  std::set<std::string> cache_verified;
  absl::Time cache_epoch = absl::InfinitePast();
  if (c.cache_from.has_value()) {
    const std::string context = absl::StrCat("reading --cache-from ", c.cache_from->ToString());
    ASSIGN_OR_RETURN(cache, OpenImage(*c.cache_from, platform, context, registries));
    ASSIGN_OR_RETURN(std::vector<std::string> restored,
                     ExtractCache(*cache, target_dir, cargo_home, progress, context));
    cache_verified.insert(restored.begin(), restored.end());
    progress.Step(absl::StrFormat("restored %d layers of %s", restored.size(),
                                  c.cache_from->ToString()));
    absl::Time created;
    std::string error;
    if (absl::ParseTime(absl::RFC3339_full, cache->config.created, &created, &error)) {
      cache_epoch = created;
    }
  }

  // 4. Fetch (the network is allowed here unless cargo is told otherwise),
  // then build in the sandbox, where there is no network at all.
  std::vector<std::string> fetch = {cargo, "fetch"};
  if (c.cargo.locked) fetch.push_back("--locked");
  if (c.cargo.frozen) fetch.push_back("--frozen");
  if (c.cargo.offline) fetch.push_back("--offline");
  for (const auto& t : c.cargo.targets) fetch.insert(fetch.end(), {"--target", t});
  progress.Step("fetching crates");
  spec.argv = fetch;
  ASSIGN_OR_RETURN(int fetch_code, direct->Run(spec));
  if (fetch_code != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "fetching crates: cargo fetch exited with status %d", fetch_code));
  }
  RETURN_IF_ERROR(CheckInterrupted());

  ASSIGN_OR_RETURN(sandbox::SandboxMode mode, sandbox::ParseSandboxMode(c.sandbox));
  ASSIGN_OR_RETURN(std::unique_ptr<sandbox::SandboxRunner> runner,
                   sandbox::NewSandboxRunner(
                       mode, [&](std::string_view w) { progress.Warn(w); }));
  // cargo's JSON messages name every unit the build used, fresh or not: what
  // the garbage collection below keeps.
  const fs::path messages = work.path() / "cargo-messages.json";
  spec.argv = {cargo, "build", "--offline", "--target-dir", target_dir.string(),
               "--message-format=json-render-diagnostics"};
  for (const std::string& a : c.cargo.ToArgs()) {
    if (a != "--offline") spec.argv.push_back(a);
  }
  if (c.common.quiet) spec.argv.push_back("--quiet");
  progress.Step(absl::StrCat("building dependencies",
                             runner->sandboxed() ? " in the sandbox" : "", ": ",
                             absl::StrJoin(spec.argv.begin() + 1, spec.argv.end(), " ")));
  spec.stdout_file = messages;
  ASSIGN_OR_RETURN(int build_code, runner->Run(spec));
  spec.stdout_file.reset();
  if (build_code != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "building dependencies: cargo build exited with status %d", build_code));
  }
  RETURN_IF_ERROR(CheckInterrupted());

  // 5. Local crates rebuild from real sources: drop their units.
  ASSIGN_OR_RETURN(int dropped, Annotate(DropLocalUnits(target_dir, LocalCrates(recipe)),
                                         "dropping the workspace's own units"));
  progress.Step(absl::StrCat("dropped ", dropped, " units of local crates"));
  // Units this build did not use (left by --cache-from, by earlier builds in
  // this work area with other options, or by the user's own builds) stay out
  // of the image. In the private work area they go; a --target-dir of the
  // user's own is never pruned (its other builds are theirs), so there the
  // snapshot skips them instead.
  ASSIGN_OR_RETURN(std::string message_text,
                   Annotate(ReadFile(messages), "reading cargo's messages"));
  ASSIGN_OR_RETURN(const std::set<std::string> used, UsedUnitHashes(message_text));
  if (c.target_dir.empty()) {
    ASSIGN_OR_RETURN(int collected, Annotate(CollectGarbage(target_dir, used),
                                             "removing units the build did not use"));
    progress.Step(absl::StrCat("removed ", collected, " unused units"));
  } else {
    progress.Step("leaving the units of --target-dir that this build did not use out of "
                  "the image");
  }
  // cargo's cache of `rustc -vV` and `--print` answers is a hash map it
  // writes in random order: the same build gives different bytes (and
  // images) half the time. cargo writes it again on its next run.
  std::error_code rustc_info_ec;
  fs::remove(target_dir / ".rustc_info.json", rustc_info_ec);
  if (rustc_info_ec) {
    return FsError(rustc_info_ec,
                   absl::StrCat("removing ", (target_dir / ".rustc_info.json").string()));
  }
  TidyCargoHome(cargo_home);

  // 6. Snapshot and assemble. The layer time must be no older than any
  // source a dependency build read, or cargo sees stale units after restore.
  ASSIGN_OR_RETURN(absl::Time newest, NewestSourceTime(target_dir, skeleton, used));
  // The --cache-from image's time is kept while no source is newer, so that
  // layers whose units did not change come out byte for byte the same.
  const absl::Time epoch = std::max({c.epoch, newest, cache_epoch});

  oci::ImageConfig config = base.config;
  const std::string image_root = fs::path(c.image_root).lexically_normal().string();
  const std::string image_target = (fs::path(image_root) / "target").string();
  std::string image_cargo_home = config.GetEnv("CARGO_HOME").value_or("");
  if (image_cargo_home.empty()) {
    image_cargo_home = std::string(kDefaultCargoHome);
    config.SetEnv("CARGO_HOME", image_cargo_home);
  }
  config.created = FormatCreated(epoch);
  if (c.platform.has_value()) config.platform = *c.platform;
  config.working_dir = image_root;
  config.SetEnv("CARGO_TARGET_DIR", image_target);
  for (const auto& [key, value] : c.env) config.SetEnv(key, value);

  ASSIGN_OR_RETURN(StagingDir staging, StagingDir::Create(StagingParent(c.dests)));
  layers::LayerOptions layer_options;
  layer_options.compressor.compression = c.compression;
  layer_options.compressor.level = c.compression_level;
  layer_options.epoch = epoch;

  // Layers by crate: each crate's units go to one of a fixed number of
  // buckets (by name, the same on every machine), so that a change to a
  // few crates changes a few layers; what belongs to no crate goes to a
  // shared layer. A layer the --cache-from image holds byte for byte is
  // taken from it as it is.
  std::map<std::string, oci::Descriptor> cached_layers;  // by diff_id
  if (cache.has_value()) {
    for (size_t i = 0; i < cache->manifest.layers.size(); ++i) {
      if (!cache_verified.contains(cache->config.diff_ids[i])) continue;
      cached_layers.emplace(cache->config.diff_ids[i], cache->manifest.layers[i]);
    }
  }
  const std::string layer_media_type = LayerDescriptor(layers::LayerBlob{
      .compression = c.compression}).media_type;
  struct Planned {
    layers::LayerPlan plan;
    std::string what;
    bool target = false;
  };
  std::vector<Planned> planned;
  auto plan = [&](const fs::path& source, const std::string& dest, bool target) -> absl::Status {
    const int buckets = target ? kTargetBuckets : kCargoHomeBuckets;
    const std::string prefix = target ? "target" : "cargo home";
    auto group_of = [&](std::string_view relative) -> std::string {
      if (target) {
        const std::string unit = TargetEntryUnitHash(relative);
        if (!unit.empty() && !used.contains(unit)) return std::string(kUnusedGroup);
      }
      const std::string crate =
          target ? TargetEntryCrate(relative) : CargoHomeEntryCrate(relative);
      if (crate.empty()) return "shared";
      return absl::StrFormat("crates-%02d", CrateBucket(crate, buckets));
    };
    ASSIGN_OR_RETURN(std::vector<layers::LayerPlan> plans,
                     Annotate(layers::PlanLayers({source, dest}, group_of, c.max_layer_bytes),
                              absl::StrCat("planning the layers of the ", prefix)));
    for (layers::LayerPlan& p : plans) {
      // Split parts of a group are "<group>#<n>".
      if (absl::StartsWith(p.group, kUnusedGroup)) continue;
      std::string what = absl::StrCat(prefix, " (", p.group, ")");
      planned.push_back(Planned{std::move(p), std::move(what), target});
    }
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(plan(target_dir, image_target, true));
  if (HasEntries(cargo_home)) RETURN_IF_ERROR(plan(cargo_home, image_cargo_home, false));

  // Hash or write the layers, a few at a time.
  std::vector<NewLayer> new_layers(planned.size());
  std::atomic<uint64_t> compressed_bytes{0};
  uint64_t tar_total = 0;
  for (const Planned& p : planned) tar_total += p.plan.tar_bytes;
  std::atomic<uint64_t> tar_done{0};
  auto snapshot_one = [&](size_t i) -> absl::Status {
    const Planned& p = planned[i];
    if (!cached_layers.empty()) {
      ASSIGN_OR_RETURN(std::string diff_id, layers::PlannedDiffId(p.plan, epoch));
      auto it = cached_layers.find(diff_id);
      if (it != cached_layers.end() && it->second.media_type == layer_media_type) {
        NewLayer& layer = new_layers[i];
        layer.descriptor = it->second;
        layer.blob.diff_id = diff_id;
        layer.blob.digest = it->second.digest;
        layer.blob.size = static_cast<uint64_t>(it->second.size);
        const oci::Descriptor descriptor = it->second;
        oci::ImageSource* source = cache->source.get();
        layer.open = [source, descriptor] { return source->OpenBlob(descriptor); };
        return absl::OkStatus();
      }
    }
    uint64_t reported = 0;
    ASSIGN_OR_RETURN(
        layers::LayerBlob blob,
        Annotate(layers::WritePlannedLayer(
                     p.plan, staging.path() / absl::StrCat("layer-", i), layer_options,
                     [&](uint64_t done, uint64_t) {
                       progress.Update(tar_done.fetch_add(done - reported) + done - reported);
                       reported = done;
                     }),
                 absl::StrCat("snapshotting the ", p.what)));
    compressed_bytes += blob.uncompressed_size;
    new_layers[i] = NewLayer{blob, LayerDescriptor(blob), nullptr};
    return absl::OkStatus();
  };
  progress.Begin(absl::StrFormat("snapshot in %d layers", planned.size()), tar_total);
  const absl::Status snapshots = ParallelFor(
      planned.size(), std::min<int>(std::thread::hardware_concurrency(), 4), snapshot_one);
  progress.End();
  RETURN_IF_ERROR(snapshots);
  RETURN_IF_ERROR(CheckInterrupted());
  // A reused layer has no local blob.
  const size_t reused_count =
      std::count_if(new_layers.begin(), new_layers.end(),
                    [](const NewLayer& layer) { return layer.blob.path.empty(); });
  progress.Step(absl::StrFormat("%d layers: %d reused from the cache image, %d written (%s of tar)",
                                planned.size(), reused_count,
                                planned.size() - reused_count,
                                HumanBytes(compressed_bytes.load())));
  std::vector<std::string> target_layers, cargo_home_layers;
  for (size_t i = 0; i < planned.size(); ++i) {
    config.diff_ids.push_back(new_layers[i].blob.diff_id);
    config.history_json.push_back(
        HistoryEntry(config.created, absl::StrCat("cook build: ", planned[i].what)));
    (planned[i].target ? target_layers : cargo_home_layers)
        .push_back(new_layers[i].blob.diff_id);
  }

  config.labels[kLabelRecipeDigest] = recipe_digest;
  config.labels[kLabelCargoOptions] = options;
  config.labels[kLabelRustcVersion] = rustc_label;
  config.labels[kLabelCargoVersion] = std::string(absl::StripTrailingAsciiWhitespace(cargo_version));
  config.labels[kLabelTargets] = triples;
  config.labels[kLabelTargetDir] = image_target;
  config.labels[kLabelCargoHome] = image_cargo_home;
  config.labels[kLabelTargetLayers] = absl::StrJoin(target_layers, ",");
  config.labels[kLabelCargoHomeLayers] = absl::StrJoin(cargo_home_layers, ",");
  for (const auto& [key, value] : c.labels) config.labels[key] = value;

  RETURN_IF_ERROR(CheckInterrupted());
  ASSIGN_OR_RETURN(ImageResult result,
                   WriteImage(base, config, new_layers, c.dests, progress, registries,
                              c.cache_from.has_value() &&
                                      c.cache_from->transport == oci::Transport::kDocker
                                  ? c.cache_from
                                  : std::nullopt));
  PrintImageResult(result, c.common.json, out);
  return absl::OkStatus();
}

}  // namespace cook::cli
