// ExtractCache's pipeline: worker threads open blobs and stage layers
// (layers::StageLayer: download, decompress, verify, write into a staging
// directory); the calling thread commits them in image order.

#include "cache/extract.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/files.h"
#include "base/interrupt.h"
#include "base/status_macros.h"
#include "cache/format.h"
#include "layers/extractor.h"

namespace cook::cache {
namespace {

namespace fs = std::filesystem;

// Layers staged at once when the options leave it open.
constexpr int kMaxParallelLayers = 4;

// "/build/target" -> "build/target": archive names are relative.
std::string ArchivePrefix(std::string path) {
  while (!path.empty() && path.front() == '/') path.erase(path.begin());
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path;
}

// One of the two directories a cache image holds.
struct Part {
  std::string what;
  std::set<std::string> diff_ids;
  std::string prefix;  // its place in the image, as an archive name
  fs::path dest;
};

// One layer to extract: its index in the manifest and the part it restores.
struct Job {
  size_t layer;
  const Part* part;
};

// Passes a blob's bytes through, counts them, and fails once `stop` is set:
// how the layers in flight stop at their next read after an error.
class WatchedSource : public ByteSource {
 public:
  WatchedSource(std::unique_ptr<ByteSource> in, const std::atomic<bool>& stop,
                std::function<void(size_t)> count)
      : in_(std::move(in)), stop_(stop), count_(std::move(count)) {}

  absl::StatusOr<size_t> Read(char* buffer, size_t n) override {
    if (stop_.load(std::memory_order_relaxed)) {
      return absl::CancelledError("stopped: another layer failed");
    }
    ASSIGN_OR_RETURN(size_t got, in_->Read(buffer, n));
    count_(got);
    return got;
  }

 private:
  std::unique_ptr<ByteSource> in_;
  const std::atomic<bool>& stop_;
  std::function<void(size_t)> count_;
};

class Pipeline {
 public:
  Pipeline(const OpenedImage& image, std::vector<Job> jobs, Progress& progress,
           const std::string& context)
      : image_(image), jobs_(std::move(jobs)), progress_(progress), context_(context) {
    for (const Job& job : jobs_) {
      total_bytes_ += static_cast<uint64_t>(image_.manifest.layers[job.layer].size);
    }
  }

  absl::StatusOr<std::vector<std::string>> Run(int parallel) {
    results_.resize(jobs_.size());
    progress_.Begin(absl::StrFormat("restoring %d layers", jobs_.size()), total_bytes_);
    std::vector<std::thread> workers;
    const size_t threads = std::min<size_t>(jobs_.size(), static_cast<size_t>(parallel));
    for (size_t t = 0; t < threads; ++t) workers.emplace_back([this] { Work(); });
    std::vector<std::string> restored;
    if (absl::Status status = CommitAll(restored); !status.ok()) Fail(status);
    stop_.store(true);
    for (std::thread& worker : workers) worker.join();
    // Every layer not committed goes with its staging directory.
    results_.clear();
    if (!first_error_.ok()) return first_error_;
    progress_.End();
    return restored;
  }

 private:
  // A worker: stages the next layer not taken until there is none or an
  // error stopped the pipeline.
  void Work() {
    while (!stop_.load()) {
      const size_t i = next_.fetch_add(1);
      if (i >= jobs_.size()) return;
      // The first layer of a directory can look at it as it is: no earlier
      // layer will change it before this one is committed.
      const bool defer = i > 0 && jobs_[i - 1].part == jobs_[i].part;
      absl::StatusOr<layers::StagedLayer> staged = Stage(jobs_[i], defer);
      if (!staged.ok() && !layers::NeedsEarlierLayers(staged.status())) {
        Fail(staged.status());
      }
      std::lock_guard<std::mutex> lock(mu_);
      results_[i] = std::move(staged);
      changed_.notify_all();
    }
  }

  absl::StatusOr<layers::StagedLayer> Stage(const Job& job, bool defer) {
    const oci::Descriptor& layer = image_.manifest.layers[job.layer];
    ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> blob,
                     Annotate(image_.source->OpenBlob(layer), context_));
    WatchedSource watched(std::move(blob), stop_, [this](size_t n) { Count(n); });
    layers::ExtractOptions options;
    options.strip_prefix = job.part->prefix;
    options.diff_id = image_.config.diff_ids[job.layer];
    options.defer_dest_checks = defer;
    absl::StatusOr<layers::StagedLayer> staged =
        layers::StageLayer(watched, job.part->dest, options);
    // Annotate() would drop what NeedsEarlierLayers() looks for.
    if (layers::NeedsEarlierLayers(staged.status())) return staged;
    return Annotate(std::move(staged), LayerContext(job));
  }

  // Commits the layers in image order as they are staged.
  absl::Status CommitAll(std::vector<std::string>& restored) {
    for (size_t i = 0; i < jobs_.size(); ++i) {
      // The workers may all be done: an interrupt during a long commit
      // must still stop the layers not yet in place.
      RETURN_IF_ERROR(CheckInterrupted());
      absl::StatusOr<layers::StagedLayer> staged = Next(i);
      // Staged while an earlier layer was not in place, and needing it: the
      // earlier ones are committed now.
      if (!staged.ok() && layers::NeedsEarlierLayers(staged.status())) {
        staged = Stage(jobs_[i], /*defer=*/false);
      }
      RETURN_IF_ERROR(staged.status());
      RETURN_IF_ERROR(Annotate(staged->Commit(), LayerContext(jobs_[i])));
      restored.push_back(image_.config.diff_ids[jobs_[i].layer]);
      if (progress_.interactive()) continue;
      const oci::Descriptor& layer = image_.manifest.layers[jobs_[i].layer];
      progress_.Step(absl::StrFormat("restored layer %d/%d %s (%s) into the %s", i + 1,
                                     jobs_.size(), layer.digest.substr(0, 19),
                                     HumanBytes(static_cast<uint64_t>(layer.size)),
                                     jobs_[i].part->what));
    }
    return absl::OkStatus();
  }

  // Layer i once staged, or the first error of any layer.
  absl::StatusOr<layers::StagedLayer> Next(size_t i) {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait(lock, [&] { return results_[i].has_value() || !first_error_.ok(); });
    if (!first_error_.ok()) return first_error_;
    absl::StatusOr<layers::StagedLayer> staged = *std::move(results_[i]);
    results_[i].reset();
    return staged;
  }

  // Keeps the first error and stops the pipeline; the cancellations it
  // causes come later and are dropped.
  void Fail(const absl::Status& status) {
    std::lock_guard<std::mutex> lock(mu_);
    if (first_error_.ok()) first_error_ = status;
    stop_.store(true);
    changed_.notify_all();
  }

  // Reports the compressed bytes read so far, at most once per MiB.
  void Count(size_t n) {
    const uint64_t before = done_bytes_.fetch_add(n);
    if ((before >> 20) != ((before + n) >> 20)) progress_.Update(before + n);
  }

  std::string LayerContext(const Job& job) const {
    return absl::StrCat(context_, ": layer ", image_.manifest.layers[job.layer].digest);
  }

  const OpenedImage& image_;
  const std::vector<Job> jobs_;
  Progress& progress_;
  const std::string& context_;
  uint64_t total_bytes_ = 0;
  std::atomic<uint64_t> done_bytes_{0};
  std::atomic<size_t> next_{0};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable changed_;
  // Guarded by mu_: each layer's staging outcome until it is committed,
  // and the first error.
  std::vector<std::optional<absl::StatusOr<layers::StagedLayer>>> results_;
  absl::Status first_error_;
};

}  // namespace

absl::StatusOr<std::vector<std::string>> ExtractCache(const OpenedImage& image,
                                                      const fs::path& target_dir,
                                                      const fs::path& cargo_home,
                                                      Progress& progress,
                                                      const std::string& context,
                                                      const ExtractCacheOptions& options) {
  ASSIGN_OR_RETURN(const CacheImage cache,
                   ParseCacheImage(image.config, image.manifest.layers.size(), context));
  const Part parts[] = {
      {"target directory", {cache.target_layers.begin(), cache.target_layers.end()},
       ArchivePrefix(cache.target_dir), target_dir},
      {"cargo home", {cache.cargo_home_layers.begin(), cache.cargo_home_layers.end()},
       ArchivePrefix(cache.cargo_home), cargo_home},
  };
  std::vector<Job> jobs;
  for (const Part& part : parts) {
    if (part.diff_ids.empty()) continue;
    std::error_code ec;
    fs::create_directories(part.dest, ec);
    if (ec) return FsError(ec, absl::StrCat(context, ": creating ", part.dest.string()));
    for (size_t i = 0; i < image.manifest.layers.size(); ++i) {
      if (part.diff_ids.contains(image.config.diff_ids[i])) jobs.push_back({i, &part});
    }
  }
  int parallel = options.parallel;
  if (parallel <= 0) {
    parallel = std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 2,
                          kMaxParallelLayers);
  }
  Pipeline pipeline(image, std::move(jobs), progress, context);
  return pipeline.Run(parallel);
}

absl::StatusOr<std::vector<std::string>> ExtractCache(const OpenedImage& image,
                                                      const fs::path& target_dir,
                                                      const fs::path& cargo_home,
                                                      Progress& progress,
                                                      const std::string& context) {
  return ExtractCache(image, target_dir, cargo_home, progress, context, {});
}

}  // namespace cook::cache
