// The last stage of cache::Build: the layer time, the image config, the
// layers by crate (reusing those of the --cache-from image that come out the
// same), and the image written to every destination.

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/interrupt.h"
#include "base/parallel.h"
#include "base/status_macros.h"
#include "cache/cache_tag.h"
#include "cache/internal/build_stages.h"
#include "cache/target_dir.h"
#include "layers/layer_writer.h"

namespace cook::cache::internal {
namespace {

namespace fs = std::filesystem;

constexpr char kDefaultCargoHome[] = "/usr/local/cargo";

struct PlannedLayer {
  layers::LayerPlan plan;
  std::string what;  // "target (crates-03)"
  bool target = false;
};

bool HasEntries(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir, ec) && !fs::is_empty(dir, ec);
}

// The base's config with the image's time, platform, working directory and
// environment; `cache` gets where the target directory and cargo home go.
oci::ImageConfig ImageConfigFor(const BuildOptions& options, const BaseImage& base,
                                absl::Time epoch, CacheImage& cache) {
  oci::ImageConfig config = base.config;
  const std::string image_root = fs::path(options.image_root).lexically_normal().string();
  cache.target_dir = (fs::path(image_root) / "target").string();
  cache.cargo_home = config.GetEnv("CARGO_HOME").value_or("");
  if (cache.cargo_home.empty()) {
    cache.cargo_home = kDefaultCargoHome;
    config.SetEnv("CARGO_HOME", cache.cargo_home);
  }
  config.created = FormatCreated(epoch);
  if (options.platform.has_value()) config.platform = *options.platform;
  config.working_dir = image_root;
  config.SetEnv("CARGO_TARGET_DIR", cache.target_dir);
  for (const auto& [key, value] : options.env) config.SetEnv(key, value);
  return config;
}

// Layers by crate, as cache/format.h's crate-to-layer assignment says:
// large crates in layers of their own, small ones in hash buckets, what
// belongs to no crate in a shared layer, so that a change to a few crates
// changes few bytes. Units the build did not use are left out.
absl::Status PlanLayers(const fs::path& source, const std::string& dest, bool target,
                        const std::set<std::string>& used, uint64_t max_layer_bytes,
                        std::vector<PlannedLayer>& planned) {
  const std::string prefix = target ? "target" : "cargo home";
  auto group_of = [&](std::string_view relative) -> std::string {
    return target ? TargetEntryGroup(relative, used) : CargoHomeEntryGroup(relative);
  };
  auto regroup = [&](const layers::GroupBytes& bytes) {
    return AssignCrateLayers(bytes, target ? kTargetLayout : kCargoHomeLayout);
  };
  ASSIGN_OR_RETURN(
      std::vector<layers::LayerPlan> plans,
      Annotate(layers::PlanLayers({source, dest}, group_of, max_layer_bytes, regroup),
               absl::StrCat("planning the layers of the ", prefix)));
  for (layers::LayerPlan& p : plans) {
    if (IsUnusedGroup(p.group)) continue;
    std::string what = absl::StrCat(prefix, " (", p.group, ")");
    planned.push_back(PlannedLayer{std::move(p), std::move(what), target});
  }
  return absl::OkStatus();
}

// The layers of the --cache-from image that its restore verified, by diff_id.
std::map<std::string, oci::Descriptor> ReusableLayers(const CacheFrom& cache) {
  std::map<std::string, oci::Descriptor> out;
  if (!cache.image.has_value()) return out;
  for (size_t i = 0; i < cache.image->manifest.layers.size(); ++i) {
    if (!cache.verified.contains(cache.image->config.diff_ids[i])) continue;
    out.emplace(cache.image->config.diff_ids[i], cache.image->manifest.layers[i]);
  }
  return out;
}

// Writes the planned layers, a few at a time; a layer the --cache-from image
// holds byte for byte (same diff_id, same media type) is taken from it.
absl::StatusOr<std::vector<NewLayer>> Snapshot(const std::vector<PlannedLayer>& planned,
                                               const CacheFrom& cache,
                                               layers::LayerOptions layer_options,
                                               int jobs, const fs::path& staging,
                                               Progress& progress) {
  const std::map<std::string, oci::Descriptor> cached = ReusableLayers(cache);
  const std::string media_type =
      LayerDescriptor(layers::LayerBlob{.compression = layer_options.compressor.compression})
          .media_type;
  const SnapshotThreads threads =
      SplitJobs(jobs, static_cast<int>(std::thread::hardware_concurrency()), planned.size());
  layer_options.compressor.threads = threads.zstd_workers;
  std::vector<NewLayer> out(planned.size());
  std::atomic<uint64_t> tar_written{0}, tar_done{0};
  uint64_t tar_total = 0;
  for (const PlannedLayer& p : planned) tar_total += p.plan.tar_bytes;
  auto snapshot_one = [&](size_t i) -> absl::Status {
    if (!cached.empty()) {
      ASSIGN_OR_RETURN(std::string diff_id,
                       layers::PlannedDiffId(planned[i].plan, layer_options.epoch));
      auto it = cached.find(diff_id);
      if (it != cached.end() && it->second.media_type == media_type) {
        const oci::Descriptor descriptor = it->second;
        oci::ImageSource* source = cache.image->source.get();
        out[i].descriptor = descriptor;
        out[i].blob.diff_id = diff_id;
        out[i].blob.digest = descriptor.digest;
        out[i].blob.size = static_cast<uint64_t>(descriptor.size);
        out[i].open = [source, descriptor] { return source->OpenBlob(descriptor); };
        return absl::OkStatus();
      }
    }
    uint64_t reported = 0;
    ASSIGN_OR_RETURN(
        layers::LayerBlob blob,
        Annotate(layers::WritePlannedLayer(
                     planned[i].plan, staging / absl::StrCat("layer-", i), layer_options,
                     [&](uint64_t done, uint64_t) {
                       progress.Update(tar_done.fetch_add(done - reported) + done - reported);
                       reported = done;
                     }),
                 absl::StrCat("snapshotting the ", planned[i].what)));
    tar_written += blob.uncompressed_size;
    out[i] = NewLayer{blob, LayerDescriptor(blob), nullptr};
    return absl::OkStatus();
  };
  progress.Begin(absl::StrFormat("snapshot in %d layers", planned.size()), tar_total);
  const absl::Status snapshots = ParallelFor(planned.size(), threads.layers, snapshot_one);
  progress.End();
  RETURN_IF_ERROR(snapshots);
  RETURN_IF_ERROR(CheckInterrupted());
  // A reused layer has no local blob.
  const size_t reused = std::count_if(out.begin(), out.end(), [](const NewLayer& layer) {
    return layer.blob.path.empty();
  });
  progress.Step(absl::StrFormat("%d layers: %d reused from the cache image, %d written (%s of tar)",
                                planned.size(), reused, planned.size() - reused,
                                HumanBytes(tar_written.load())));
  return out;
}

}  // namespace

absl::StatusOr<ImageResult> SnapshotAndAssemble(const BuildOptions& options,
                                                const Built& built, BaseImage& base,
                                                const CacheFrom& cache,
                                                Progress& progress,
                                                registry::RegistrySession& registries) {
  const WorkPaths& paths = built.paths;
  // The layer time must be no older than any source a dependency build
  // read, or cargo sees stale units after restore. The --cache-from image's
  // time is kept while no source is newer, so that layers whose units did
  // not change come out byte for byte the same.
  ASSIGN_OR_RETURN(absl::Time newest,
                   NewestSourceTime(paths.target_dir, paths.skeleton, built.used));
  layers::LayerOptions layer_options;
  layer_options.compressor.compression = options.compression;
  layer_options.compressor.level = options.compression_level;
  layer_options.epoch = std::max({options.epoch, newest, cache.created});

  CacheImage labels{.key = built.key, .cargo_version = built.toolchain.cargo_version};
  labels.lock_packages = built.lock_packages;
  labels.targets = TargetTriples(options.cargo, built.toolchain.host);
  oci::ImageConfig config = ImageConfigFor(options, base, layer_options.epoch, labels);
  ASSIGN_OR_RETURN(StagingDir staging,
                   StagingDir::Create(StagingParent(options.dests, options.temp_dir)));
  std::vector<PlannedLayer> planned;
  RETURN_IF_ERROR(PlanLayers(paths.target_dir, labels.target_dir, true, built.used,
                             options.max_layer_bytes, planned));
  if (HasEntries(paths.cargo_home)) {
    RETURN_IF_ERROR(PlanLayers(paths.cargo_home, labels.cargo_home, false, built.used,
                               options.max_layer_bytes, planned));
  }
  if (base.layers.size() + planned.size() > options.max_layers) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "the image would have %d layers (%d of the base, %d of the cache), more than the "
        "%d overlay file systems stack\nhint: raise --max-layer-size, or use a base image "
        "with fewer layers",
        base.layers.size() + planned.size(), base.layers.size(), planned.size(),
        options.max_layers));
  }
  ASSIGN_OR_RETURN(std::vector<NewLayer> new_layers,
                   Snapshot(planned, cache, layer_options, options.cargo.jobs,
                            staging.path(), progress));
  for (size_t i = 0; i < planned.size(); ++i) {
    config.diff_ids.push_back(new_layers[i].blob.diff_id);
    config.history_json.push_back(
        HistoryEntry(config.created, absl::StrCat("cook build: ", planned[i].what)));
    (planned[i].target ? labels.target_layers : labels.cargo_home_layers)
        .push_back(new_layers[i].blob.diff_id);
  }
  WriteCacheLabels(labels, config.labels);
  for (const auto& [key, value] : options.labels) config.labels[key] = value;

  RETURN_IF_ERROR(CheckInterrupted());
  const bool mount_cache = options.cache_from.has_value() &&
                           options.cache_from->transport == oci::Transport::kDocker;
  return WriteImage(base, config, new_layers, options.dests, progress, registries,
                    mount_cache ? options.cache_from : std::nullopt,
                    options.sign_key ? &*options.sign_key : nullptr);
}

}  // namespace cook::cache::internal
