// ExtractLayer reads the archive; internal/staging.h writes each entry into
// a staging directory and internal/commit.h moves the result into place.

#include "layers/extractor.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>

#include <cerrno>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/c_handle.h"
#include "base/fd.h"
#include "base/files.h"
#include "base/interrupt.h"
#include "base/sha256.h"
#include "base/status_macros.h"
#include "base/text.h"
#include "layers/compressor.h"
#include "layers/internal/commit.h"
#include "layers/internal/entry_path.h"
#include "layers/internal/staging.h"
#include "layers/internal/utf8_locale.h"

namespace cook::layers {
namespace {

using ArchiveReader = std::unique_ptr<archive, FreeWith<&archive_read_free>>;
using internal::Components;
using internal::ScopedUtf8Locale;
using internal::Staging;

constexpr size_t kChunk = 1 << 20;

// Passes bytes through and hashes them: the diff_id of what was read.
class HashingSource : public ByteSource {
 public:
  explicit HashingSource(ByteSource* in) : in_(in) {}
  absl::StatusOr<size_t> Read(char* buffer, size_t n) override {
    ASSIGN_OR_RETURN(size_t got, in_->Read(buffer, n));
    hash_.Update(std::string_view(buffer, got));
    return got;
  }
  std::string Finish() { return hash_.Finish(); }

 private:
  ByteSource* in_;
  Sha256 hash_;
};

// Reads `in` to its end, so that every layer of sources below (decompressor,
// digest and size verification) sees the whole blob.
absl::Status Drain(ByteSource& in, std::vector<char>& buffer) {
  while (true) {
    RETURN_IF_ERROR(CheckInterrupted());
    ASSIGN_OR_RETURN(size_t n, in.Read(buffer.data(), buffer.size()));
    if (n == 0) return absl::OkStatus();
  }
}

struct ReadContext {
  ByteSource* source;
  std::vector<char> buffer = std::vector<char>(kChunk);
  absl::Status status;
};

la_ssize_t ReadCallback(struct archive*, void* client, const void** buffer) {
  auto* ctx = static_cast<ReadContext*>(client);
  absl::StatusOr<size_t> n =
      ctx->source->Read(ctx->buffer.data(), ctx->buffer.size());
  if (!n.ok()) {
    ctx->status = n.status();
    return -1;
  }
  *buffer = ctx->buffer.data();
  return static_cast<la_ssize_t>(*n);
}

// `options.strip_prefix` as components. A leading "/" is harmless in a
// prefix: archive names are relative.
absl::StatusOr<Components> StripPrefixComponents(
    const ExtractOptions& options) {
  std::string_view strip_prefix = options.strip_prefix;
  while (!strip_prefix.empty() && strip_prefix.front() == '/') {
    strip_prefix.remove_prefix(1);
  }
  Components prefix;
  if (const char* problem = internal::SplitArchivePath(strip_prefix, &prefix)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("strip prefix \"%s\": %s",
                        EscapeForDisplay(options.strip_prefix), problem));
  }
  return prefix;
}

// What went wrong reading the archive: the source's error, else libarchive's.
absl::Status ArchiveError(archive* a, const ReadContext& ctx,
                          const std::string& context) {
  if (!ctx.status.ok()) return Annotate(ctx.status, context);
  const char* message = archive_error_string(a);
  return absl::InvalidArgumentError(absl::StrFormat(
      "%s: %s", context, message != nullptr ? message : "unreadable tar"));
}

// Creates the staging directory inside `dest`, so that moving into place
// is a rename.
absl::StatusOr<std::filesystem::path> MakeStagingDirectory(
    const std::filesystem::path& dest, const std::string& context) {
  std::string name =
      (dest / absl::StrCat(internal::kStagingPrefix, "XXXXXX")).string();
  if (::mkdtemp(name.data()) == nullptr) {
    return ErrnoError(errno,
                      absl::StrCat(context, ": creating a staging directory"));
  }
  return std::filesystem::path(name);
}

// Opens the tar stream `ctx` reads with `a` and stages its every entry.
absl::Status StageEntries(archive* a, ReadContext& ctx, Staging& staging,
                          const std::string& context) {
  // Plain tar only (PAX, ustar, GNU): decompression happened before.
  // "empty" accepts a zero-length layer.
  if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
      archive_read_support_format_empty(a) != ARCHIVE_OK ||
      archive_read_open(a, &ctx, nullptr, &ReadCallback, nullptr) !=
          ARCHIVE_OK) {
    return ArchiveError(a, ctx, context);
  }
  while (true) {
    RETURN_IF_ERROR(CheckInterrupted());
    archive_entry* entry = nullptr;
    const int rc = archive_read_next_header(a, &entry);
    if (rc == ARCHIVE_EOF) return absl::OkStatus();
    // ARCHIVE_WARN: e.g. a name that did not convert; the entry is usable.
    if (rc < ARCHIVE_WARN) return ArchiveError(a, ctx, context);
    RETURN_IF_ERROR(staging.Entry(entry));
  }
}

}  // namespace

struct StagedLayer::State {
  std::string context;
  std::filesystem::path staging_path;
  std::unique_ptr<Staging> staging;  // null until the staging dir is open
  bool committed = false;

  // Whatever happens, the staging directory goes: after a commit it holds
  // only the emptied directories that were merged into existing ones.
  ~State() {
    staging.reset();
    std::error_code ec;
    if (!staging_path.empty()) std::filesystem::remove_all(staging_path, ec);
  }
};

StagedLayer::StagedLayer(std::unique_ptr<State> state)
    : state_(std::move(state)) {}
StagedLayer::StagedLayer(StagedLayer&&) noexcept = default;
StagedLayer& StagedLayer::operator=(StagedLayer&&) noexcept = default;
StagedLayer::~StagedLayer() = default;

absl::Status StagedLayer::Commit() {
  if (state_ == nullptr || state_->committed) {
    return absl::FailedPreconditionError("committing a layer twice");
  }
  state_->committed = true;
  const Staging& staging = *state_->staging;
  RETURN_IF_ERROR(
      Annotate(internal::MoveIntoPlace(staging), state_->context));
  return Annotate(internal::FinishDirectories(staging), state_->context);
}

bool NeedsEarlierLayers(const absl::Status& status) {
  return internal::IsNeedsDestError(status);
}

absl::StatusOr<StagedLayer> StageLayer(ByteSource& in,
                                       const std::filesystem::path& dest,
                                       const ExtractOptions& options) {
  auto state = std::make_unique<StagedLayer::State>();
  state->context = absl::StrFormat("extracting layer into %s", dest.string());
  const std::string& context = state->context;
  ASSIGN_OR_RETURN(Components prefix, StripPrefixComponents(options));
  Fd root(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return ErrnoError(errno, context);
  ASSIGN_OR_RETURN(state->staging_path, MakeStagingDirectory(dest, context));
  StagedLayer::State& s = *state;
  Fd staging_dir(::open(s.staging_path.c_str(),
                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!staging_dir.valid()) return ErrnoError(errno, context);
  ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source,
                   Annotate(NewDecompressor(&in), context));
  HashingSource tar_stream(source.get());

  ScopedUtf8Locale locale;
  ArchiveReader a(archive_read_new());
  if (a == nullptr)
    return absl::ResourceExhaustedError("creating a tar reader");
  ReadContext ctx{&tar_stream};
  s.staging = std::make_unique<Staging>(
      a.get(), &ctx.status, std::move(staging_dir), std::move(root),
      std::move(prefix), options.keep_mtimes, options.defer_dest_checks);
  RETURN_IF_ERROR(StageEntries(a.get(), ctx, *s.staging, context));
  // The tar ends before the blob does (end marker, padding): what follows
  // is read too, or a blob altered there would never fail its digest.
  RETURN_IF_ERROR(Annotate(Drain(tar_stream, ctx.buffer), context));
  if (!options.diff_id.empty()) {
    const std::string actual = tar_stream.Finish();
    if (actual != options.diff_id) {
      return absl::DataLossError(absl::StrFormat(
          "%s: the uncompressed layer is %s but its diff_id is %s", context,
          actual, options.diff_id));
    }
  }
  s.staging->FinishReading();
  return StagedLayer(std::move(state));
}

absl::Status ExtractLayer(ByteSource& in, const std::filesystem::path& dest,
                          const ExtractOptions& options) {
  ASSIGN_OR_RETURN(StagedLayer layer, StageLayer(in, dest, options));
  return layer.Commit();
}

}  // namespace cook::layers
