#include "layers/layer_writer.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/c_handle.h"
#include "base/files.h"
#include "base/interrupt.h"
#include "base/io.h"
#include "base/status_macros.h"
#include "layers/digest.h"
#include "layers/tar_writer.h"

namespace cook::layers {
namespace {

using Dir = std::unique_ptr<DIR, FreeWith<&closedir>>;

constexpr uint32_t kParentDirMode = 0755;
constexpr uint64_t kProgressInterval = 8 << 20;
constexpr uint64_t kTarBlock = 512;

struct WalkEntry {
  enum class Kind { kDirectory, kFile, kSymlink };
  Kind kind = Kind::kDirectory;
  std::string name;           // archive name
  std::filesystem::path src;  // empty for directories made up for `dest`
  uint32_t mode = kParentDirMode;
  uint64_t size = 0;
  dev_t dev = 0;
  ino_t ino = 0;
  nlink_t nlink = 1;
  std::string link_target;  // symlinks only
  std::string hardlink_to;  // files already archived under another name
};

std::string JoinName(std::string_view prefix, std::string_view name) {
  if (prefix.empty()) return std::string(name);
  return absl::StrFormat("%s/%s", prefix, name);
}

// "build/target", "/build/target/", "./build//target" -> {"build", "target"}.
absl::StatusOr<std::vector<std::string>> DestComponents(std::string_view dest) {
  std::vector<std::string> out;
  std::string_view rest = dest;
  while (!rest.empty()) {
    const size_t slash = rest.find('/');
    std::string_view c = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view()
                                           : rest.substr(slash + 1);
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      return absl::InvalidArgumentError(absl::StrFormat(
          "layer destination \"%s\": \"..\" is not allowed", dest));
    }
    out.emplace_back(c);
  }
  return out;
}

// Fills in an entry from lstat() data. Returns false for file types a layer
// does not carry (sockets, FIFOs, devices): a cargo target directory can hold
// a stray socket or FIFO, and failing the whole build for it would be worse
// than leaving it out. They are skipped silently.
absl::StatusOr<bool> EntryFromStat(const std::filesystem::path& path,
                                   const struct stat& st, std::string name,
                                   WalkEntry* entry) {
  entry->name = std::move(name);
  entry->src = path;
  entry->mode = st.st_mode & 07777;
  entry->dev = st.st_dev;
  entry->ino = st.st_ino;
  entry->nlink = st.st_nlink;
  if (S_ISDIR(st.st_mode)) {
    entry->kind = WalkEntry::Kind::kDirectory;
  } else if (S_ISREG(st.st_mode)) {
    entry->kind = WalkEntry::Kind::kFile;
    entry->size = static_cast<uint64_t>(st.st_size);
  } else if (S_ISLNK(st.st_mode)) {
    entry->kind = WalkEntry::Kind::kSymlink;
    std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
    while (true) {
      const ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
      if (n < 0)
        return ErrnoError(errno,
                          absl::StrFormat("reading symlink %s", path.string()));
      if (static_cast<size_t>(n) < target.size()) {
        target.resize(static_cast<size_t>(n));
        break;
      }
      target.resize(target.size() * 2);  // it grew since lstat()
    }
    entry->link_target = std::move(target);
  } else {
    return false;
  }
  return true;
}

// Appends the contents of `dir` under the archive prefix `prefix`, depth
// first with each directory's names sorted byte-wise: exactly
// ArchivePathLess order, so no global sort is needed.
absl::Status WalkDirectory(const std::filesystem::path& dir,
                           const std::string& prefix,
                           std::vector<WalkEntry>* out) {
  RETURN_IF_ERROR(CheckInterrupted());
  std::vector<std::string> names;
  {
    Dir d(::opendir(dir.c_str()));
    if (d == nullptr) {
      return ErrnoError(errno,
                        absl::StrFormat("reading directory %s", dir.string()));
    }
    while (true) {
      errno = 0;
      const dirent* e = ::readdir(d.get());
      if (e == nullptr) {
        if (errno != 0) {
          return ErrnoError(
              errno, absl::StrFormat("reading directory %s", dir.string()));
        }
        break;
      }
      std::string_view name = e->d_name;
      if (name == "." || name == "..") continue;
      names.emplace_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    const std::filesystem::path path = dir / name;
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
      return ErrnoError(errno, absl::StrFormat("reading %s", path.string()));
    }
    WalkEntry entry;
    ASSIGN_OR_RETURN(bool keep,
                     EntryFromStat(path, st, JoinName(prefix, name), &entry));
    if (!keep) continue;
    // A copy: `out` may reallocate while the subdirectory is walked.
    const std::string child_prefix =
        entry.kind == WalkEntry::Kind::kDirectory ? entry.name : std::string();
    out->push_back(std::move(entry));
    if (!child_prefix.empty()) {
      RETURN_IF_ERROR(WalkDirectory(path, child_prefix, out));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<WalkEntry>> Walk(const LayerInput& input) {
  ASSIGN_OR_RETURN(std::vector<std::string> dest, DestComponents(input.dest));
  struct stat st;
  if (::lstat(input.source.c_str(), &st) != 0) {
    return ErrnoError(errno, absl::StrFormat("reading layer source %s",
                                             input.source.string()));
  }
  std::vector<WalkEntry> entries;
  auto add_parents = [&](size_t count) {
    for (size_t i = 0; i < count; ++i) {
      WalkEntry parent{.kind = WalkEntry::Kind::kDirectory};
      parent.name = absl::StrJoin(
          dest.begin(), dest.begin() + static_cast<std::ptrdiff_t>(i + 1), "/");
      entries.push_back(std::move(parent));
    }
  };

  if (S_ISDIR(st.st_mode)) {
    // Parents of `dest` are made up (0755); `dest` itself is the source
    // directory and keeps its mode. For "/" the contents are at the root.
    std::string prefix = absl::StrJoin(dest, "/");
    if (!dest.empty()) {
      add_parents(dest.size() - 1);
      WalkEntry root;  // a directory: always kept
      RETURN_IF_ERROR(EntryFromStat(input.source, st, prefix, &root).status());
      entries.push_back(std::move(root));
    }
    RETURN_IF_ERROR(WalkDirectory(input.source, prefix, &entries));
    return entries;
  }

  // A single file or symlink: named `dest`, or `dest`/basename when `dest`
  // ends in "/" (which "/" and "" do).
  if (dest.empty() || input.dest.back() == '/') {
    const std::string base = input.source.filename().string();
    if (base.empty() || base == "." || base == "..") {
      return absl::InvalidArgumentError(absl::StrFormat(
          "layer source %s: cannot name the entry", input.source.string()));
    }
    dest.push_back(base);
  }
  add_parents(dest.size() - 1);
  WalkEntry entry;
  ASSIGN_OR_RETURN(bool keep, EntryFromStat(input.source, st,
                                            absl::StrJoin(dest, "/"), &entry));
  if (!keep) {
    return absl::InvalidArgumentError(
        absl::StrFormat("layer source %s is not a file, directory or symlink",
                        input.source.string()));
  }
  entries.push_back(std::move(entry));
  return entries;
}

// Regular files that share an inode within the tree become hard links to the
// first of their names in archive order, as tar does.
void MarkHardlinks(std::vector<WalkEntry>& entries) {
  std::map<std::pair<dev_t, ino_t>, const WalkEntry*> first;
  for (WalkEntry& e : entries) {
    if (e.kind != WalkEntry::Kind::kFile || e.nlink < 2) continue;
    auto [it, inserted] = first.try_emplace({e.dev, e.ino}, &e);
    if (!inserted) e.hardlink_to = it->second->name;
  }
}

bool NeedsPaxHeader(std::string_view s) {
  return s.size() > 100 || std::any_of(s.begin(), s.end(), [](char c) {
           return static_cast<unsigned char>(c) >= 0x80;
         });
}

// The tar size the walk predicts, for progress reports only: a 512-byte
// header per entry, contents padded to 512, PAX records for long or
// non-ASCII names, two end blocks.
uint64_t EstimateTarBytes(const std::vector<WalkEntry>& entries) {
  uint64_t total = 2 * kTarBlock;
  for (const WalkEntry& e : entries) {
    total += kTarBlock;
    if (NeedsPaxHeader(e.name) || NeedsPaxHeader(e.link_target) ||
        NeedsPaxHeader(e.hardlink_to)) {
      total += 2 * kTarBlock;
    }
    if (e.kind == WalkEntry::Kind::kFile && e.hardlink_to.empty()) {
      total += (e.size + kTarBlock - 1) / kTarBlock * kTarBlock;
    }
  }
  return total;
}

// Forwards the tar stream and reports progress every kProgressInterval.
class ProgressSink : public ByteSink {
 public:
  ProgressSink(ByteSink* out, const ProgressFn& progress, uint64_t total)
      : out_(out), progress_(progress), total_(total) {}

  absl::Status Write(std::string_view data) override {
    RETURN_IF_ERROR(out_->Write(data));
    done_ += data.size();
    if (progress_ && done_ >= next_report_) {
      progress_(std::min(done_, total_), total_);
      next_report_ = done_ + kProgressInterval;
    }
    return absl::OkStatus();
  }

  // The estimate can be off by a few blocks; the last report is exact.
  void ReportDone() {
    if (progress_) progress_(done_, done_);
  }

 private:
  ByteSink* out_;
  const ProgressFn& progress_;
  uint64_t total_;
  uint64_t done_ = 0;
  uint64_t next_report_ = 0;
};

absl::Status WriteEntries(const std::vector<WalkEntry>& entries,
                          TarWriter& tar) {
  for (const WalkEntry& e : entries) {
    RETURN_IF_ERROR(CheckInterrupted());
    switch (e.kind) {
      case WalkEntry::Kind::kDirectory:
        RETURN_IF_ERROR(tar.AddDirectory(e.name, e.mode));
        break;
      case WalkEntry::Kind::kSymlink:
        RETURN_IF_ERROR(tar.AddSymlink(e.name, e.link_target));
        break;
      case WalkEntry::Kind::kFile:
        if (e.hardlink_to.empty()) {
          RETURN_IF_ERROR(tar.AddFile(e.src, e.name));
        } else {
          RETURN_IF_ERROR(tar.AddHardlink(e.name, e.hardlink_to, e.mode));
        }
        break;
    }
  }
  return tar.Finish();
}

// The groups merged as `regroup` says, from the groups' tar bytes (the sum
// of `entry_bytes` of their members); members stay in archive order.
std::map<std::string, std::vector<size_t>> Regroup(
    std::map<std::string, std::vector<size_t>> groups, const RegroupFn& regroup,
    const std::function<uint64_t(size_t)>& entry_bytes) {
  GroupBytes bytes;
  for (const auto& [group, members] : groups) {
    for (size_t i : members) bytes[group] += entry_bytes(i);
  }
  const std::map<std::string, std::string> renamed = regroup(bytes);
  std::map<std::string, std::vector<size_t>> merged;
  for (auto& [group, members] : groups) {
    auto it = renamed.find(group);
    std::vector<size_t>& into = merged[it == renamed.end() ? group : it->second];
    into.insert(into.end(), members.begin(), members.end());
  }
  for (auto& [group, members] : merged) std::sort(members.begin(), members.end());
  return merged;
}

// Writes `entries` as a compressed layer blob at `blob_path`.
absl::StatusOr<LayerBlob> WriteEntriesToBlob(std::vector<WalkEntry> entries,
                                             const std::filesystem::path& blob_path,
                                             const LayerOptions& options,
                                             const ProgressFn& progress) {
  const std::string context =
      absl::StrFormat("writing layer %s", blob_path.string());
  const CompressorOptions& compressor_options = options.compressor;
  int level = compressor_options.level;
  if (level == 0 && compressor_options.compression == Compression::kZstd) {
    level = kDefaultZstdLevel;
  }
  if (level == 0 && compressor_options.compression == Compression::kGzip) {
    level = kDefaultGzipLevel;
  }
  RETURN_IF_ERROR(ValidateLevel(compressor_options.compression, level));

  struct stat st;
  if (::lstat(blob_path.c_str(), &st) == 0) {
    return absl::AlreadyExistsError(
        absl::StrFormat("%s: it already exists", context));
  }
  if (errno != ENOENT) return ErrnoError(errno, context);
  MarkHardlinks(entries);

  // tar -> [diff_id] -> compressor -> [digest] -> temporary file, renamed to
  // `blob_path` only when complete. Declaration order matters: on an error
  // the tar writer is destroyed first (writing nothing more) and the
  // FileSink last, removing the temporary file.
  const std::filesystem::path tmp = TempSibling(blob_path);
  ASSIGN_OR_RETURN(std::unique_ptr<FileSink> file,
                   Annotate(FileSink::Create(tmp, 0644), context));
  Sha256 digest;
  TeeSink blob_tee(&digest, file.get());
  ASSIGN_OR_RETURN(std::unique_ptr<ByteSink> compressor,
                   NewCompressor(compressor_options, &blob_tee));
  Sha256 diff_id;
  TeeSink tar_tee(&diff_id, compressor.get());
  ProgressSink progress_sink(&tar_tee, progress, EstimateTarBytes(entries));
  ASSIGN_OR_RETURN(TarWriter tar,
                   TarWriter::Create(&progress_sink, options.epoch));

  RETURN_IF_ERROR(Annotate(WriteEntries(entries, tar), context));
  RETURN_IF_ERROR(Annotate(compressor->Close(), context));
  RETURN_IF_ERROR(file->Close());
  if (::rename(tmp.c_str(), blob_path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoError(err, context);
  }
  progress_sink.ReportDone();

  LayerBlob blob;
  blob.path = blob_path;
  blob.digest = digest.Finish();
  blob.diff_id = diff_id.Finish();
  blob.size = blob_tee.bytes();
  blob.uncompressed_size = tar_tee.bytes();
  blob.compression = compressor_options.compression;
  return blob;
}

}  // namespace

absl::StatusOr<LayerBlob> WriteLayer(const LayerInput& input,
                                     const std::filesystem::path& blob_path,
                                     const LayerOptions& options,
                                     const ProgressFn& progress) {
  ASSIGN_OR_RETURN(
      std::vector<WalkEntry> entries,
      Annotate(Walk(input), absl::StrFormat("writing layer %s", blob_path.string())));
  return WriteEntriesToBlob(std::move(entries), blob_path, options, progress);
}

namespace internal {
struct PlannedEntries {
  std::vector<WalkEntry> entries;
};
}  // namespace internal

absl::StatusOr<std::vector<LayerPlan>> PlanLayers(const LayerInput& input,
                                                  const GroupFn& group_of,
                                                  uint64_t max_tar_bytes,
                                                  const RegroupFn& regroup) {
  const std::string context =
      absl::StrFormat("planning layers of %s", input.source.string());
  ASSIGN_OR_RETURN(std::vector<WalkEntry> all, Annotate(Walk(input), context));
  ASSIGN_OR_RETURN(std::vector<std::string> dest, DestComponents(input.dest));
  const std::string prefix = absl::StrJoin(dest, "/");
  // Entries up to and including `dest` itself are in every layer.
  const size_t fixed = std::min(all.size(), dest.size());

  // The parent of each entry (an index into `all`), from the walk's
  // depth-first order.
  std::vector<size_t> parent(all.size(), SIZE_MAX);
  std::map<std::string, size_t> dir_index;
  for (size_t i = 0; i < all.size(); ++i) {
    const std::string& name = all[i].name;
    const size_t slash = name.rfind('/');
    if (slash != std::string::npos) {
      auto it = dir_index.find(name.substr(0, slash));
      if (it != dir_index.end()) parent[i] = it->second;
    }
    if (all[i].kind == WalkEntry::Kind::kDirectory) dir_index[name] = i;
  }

  std::vector<WalkEntry> one(1);
  auto entry_bytes = [&](size_t i) {
    one[0] = all[i];
    return EstimateTarBytes(one) - 2 * kTarBlock;
  };
  // Group members, in archive order.
  std::map<std::string, std::vector<size_t>> groups;
  for (size_t i = fixed; i < all.size(); ++i) {
    std::string_view relative = all[i].name;
    if (!prefix.empty()) relative.remove_prefix(std::min(relative.size(), prefix.size() + 1));
    groups[group_of(relative)].push_back(i);
  }
  if (regroup) groups = Regroup(std::move(groups), regroup, entry_bytes);

  std::vector<LayerPlan> plans;
  for (const auto& [group, members] : groups) {
    // Split into parts under the limit.
    std::vector<std::vector<size_t>> parts(1);
    uint64_t part_bytes = 0;
    for (size_t i : members) {
      const uint64_t bytes = entry_bytes(i);
      if (max_tar_bytes > 0 && !parts.back().empty() &&
          part_bytes + bytes > max_tar_bytes) {
        parts.emplace_back();
        part_bytes = 0;
      }
      parts.back().push_back(i);
      part_bytes += bytes;
    }
    for (size_t p = 0; p < parts.size(); ++p) {
      // The members, their ancestor directories and the fixed head, in
      // archive order.
      std::vector<bool> take(all.size(), false);
      for (size_t i = 0; i < fixed; ++i) take[i] = true;
      for (size_t i : parts[p]) {
        for (size_t j = i; j != SIZE_MAX && !take[j]; j = parent[j]) take[j] = true;
      }
      auto planned = std::make_shared<internal::PlannedEntries>();
      for (size_t i = 0; i < all.size(); ++i) {
        if (take[i]) planned->entries.push_back(all[i]);
      }
      LayerPlan plan;
      plan.group = parts.size() == 1 ? group : absl::StrFormat("%s#%d", group, p);
      plan.tar_bytes = EstimateTarBytes(planned->entries);
      plan.entries = std::move(planned);
      plans.push_back(std::move(plan));
    }
  }
  return plans;
}

absl::StatusOr<std::string> PlannedDiffId(const LayerPlan& plan, absl::Time epoch) {
  std::vector<WalkEntry> entries = plan.entries->entries;
  MarkHardlinks(entries);
  Sha256 diff_id;
  ASSIGN_OR_RETURN(TarWriter tar, TarWriter::Create(&diff_id, epoch));
  RETURN_IF_ERROR(Annotate(WriteEntries(entries, tar),
                           absl::StrFormat("hashing layer %s", plan.group)));
  return diff_id.Finish();
}

absl::StatusOr<LayerBlob> WritePlannedLayer(const LayerPlan& plan,
                                            const std::filesystem::path& blob_path,
                                            const LayerOptions& options,
                                            const ProgressFn& progress) {
  return WriteEntriesToBlob(plan.entries->entries, blob_path, options, progress);
}

}  // namespace cook::layers
