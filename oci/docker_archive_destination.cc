#include "oci/docker_archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <cerrno>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "base/c_handle.h"
#include "base/files.h"
#include "base/interrupt.h"
#include "base/status_macros.h"
#include "layers/compressor.h"
#include "layers/digest.h"
#include "oci/blob_io.h"
#include "oci/json_util.h"

namespace cook::oci::internal {
namespace {

namespace fs = std::filesystem;

using ArchiveWriter = std::unique_ptr<archive, FreeWith<&archive_write_free>>;
using ArchiveEntry =
    std::unique_ptr<archive_entry, FreeWith<&archive_entry_free>>;

constexpr size_t kChunk = 1 << 20;

// "NAME:TAG" -> {NAME, TAG}; the tag follows the last ':' after the last '/'.
std::pair<std::string, std::string> SplitNameTag(std::string_view name_tag) {
  size_t slash = name_tag.rfind('/');
  size_t colon = name_tag.rfind(':');
  if (colon == std::string_view::npos ||
      (slash != std::string_view::npos && colon < slash)) {
    return {std::string(name_tag), "latest"};
  }
  return {std::string(name_tag.substr(0, colon)),
          std::string(name_tag.substr(colon + 1))};
}

int64_t CreatedSeconds(std::string_view created) {
  absl::Time t;
  std::string err;
  if (created.empty() ||
      !absl::ParseTime(absl::RFC3339_full, std::string(created), &t, &err)) {
    return 0;
  }
  int64_t seconds = absl::ToUnixSeconds(t);
  return seconds < 0 ? 0 : seconds;
}

struct SinkContext {
  ByteSink* sink;
  absl::Status status;
};

la_ssize_t WriteToSink(archive* a, void* context, const void* buffer,
                       size_t length) {
  auto* ctx = static_cast<SinkContext*>(context);
  absl::Status s = ctx->sink->Write(
      std::string_view(static_cast<const char*>(buffer), length));
  if (!s.ok()) {
    ctx->status = s;
    archive_set_error(a, EIO, "%s", std::string(s.message()).c_str());
    return -1;
  }
  return static_cast<la_ssize_t>(length);
}

// One member of the archive being written: a file on disk, bytes in memory
// or a directory.
struct Member {
  enum Kind { kFile, kBytes, kDirectory } kind = kBytes;
  fs::path file;
  std::string bytes;
};

// The archive's tar stream, written into a sink by libarchive. Errors are
// prefixed with `context`.
class TarStream {
 public:
  // `sink` must outlive the stream.
  TarStream(ByteSink* sink, std::string context)
      : ctx_{sink, absl::OkStatus()}, context_(std::move(context)) {}

  absl::Status Open() {
    a_.reset(archive_write_new());
    if (a_ == nullptr) return absl::ResourceExhaustedError("archive_write_new");
    // pax_restricted writes plain ustar headers unless a field needs pax
    // (sizes of 8 GiB and more).
    if (archive_write_set_format_pax_restricted(a_.get()) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(a_.get(), 1) != ARCHIVE_OK ||
        archive_write_open(a_.get(), &ctx_, nullptr, &WriteToSink, nullptr) !=
            ARCHIVE_OK) {
      return Error("opening the archive");
    }
    return absl::OkStatus();
  }

  // Adds `member` as `name`, owned by uid/gid 0, modified at `mtime`.
  absl::Status Add(const std::string& name, const Member& member,
                   int64_t mtime) {
    ArchiveEntry entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), name.c_str());
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    archive_entry_set_mtime(entry.get(), mtime, 0);
    uint64_t size = 0;
    ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source,
                     OpenMember(member, entry.get(), &size));
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(size));
    if (archive_write_header(a_.get(), entry.get()) != ARCHIVE_OK) {
      return Error(absl::StrFormat("adding %s", name));
    }
    uint64_t written = 0;
    while (source != nullptr) {
      RETURN_IF_ERROR(CheckInterrupted());
      ASSIGN_OR_RETURN(size_t n, source->Read(buffer_.data(), buffer_.size()));
      if (n == 0) break;
      for (size_t done = 0; done < n;) {
        la_ssize_t w =
            archive_write_data(a_.get(), buffer_.data() + done, n - done);
        if (w <= 0) return Error(absl::StrFormat("writing %s", name));
        done += static_cast<size_t>(w);
      }
      written += n;
    }
    if (written != size) {
      return absl::DataLossError(absl::StrFormat(
          "%s: %s changed size while being archived", context_, name));
    }
    if (archive_write_finish_entry(a_.get()) != ARCHIVE_OK) {
      return Error(absl::StrFormat("finishing %s", name));
    }
    return absl::OkStatus();
  }

  // Writes the end-of-archive blocks.
  absl::Status Close() {
    if (archive_write_close(a_.get()) != ARCHIVE_OK) {
      return Error("closing the archive");
    }
    return absl::OkStatus();
  }

 private:
  // Sets the entry's type and mode and returns a reader of its data (none
  // for a directory), its size in `size`.
  absl::StatusOr<std::unique_ptr<ByteSource>> OpenMember(const Member& member,
                                                         archive_entry* entry,
                                                         uint64_t* size) const {
    switch (member.kind) {
      case Member::kDirectory:
        archive_entry_set_filetype(entry, AE_IFDIR);
        archive_entry_set_perm(entry, 0755);
        return nullptr;
      case Member::kBytes:
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_perm(entry, 0644);
        *size = member.bytes.size();
        return std::make_unique<StringSource>(member.bytes);
      case Member::kFile: {
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_perm(entry, 0644);
        std::error_code ec;
        *size = fs::file_size(member.file, ec);
        if (ec) {
          return FsError(ec, absl::StrFormat("%s: reading %s", context_,
                                             member.file.string()));
        }
        ASSIGN_OR_RETURN(std::unique_ptr<FileSource> file,
                         Annotate(FileSource::Open(member.file), context_));
        return file;
      }
    }
    return absl::InternalError("unknown archive member kind");
  }

  absl::Status Error(std::string_view op) const {
    if (!ctx_.status.ok()) return Annotate(ctx_.status, context_);
    return absl::InternalError(absl::StrFormat("%s: %s: %s", context_, op,
                                               archive_error_string(a_.get())));
  }

  SinkContext ctx_;  // before a_: closing the archive may still write
  ArchiveWriter a_;
  std::string context_;
  std::vector<char> buffer_ = std::vector<char>(kChunk);
};

class DockerArchiveDestination : public ImageDestination {
 public:
  DockerArchiveDestination(fs::path file, std::string name, fs::path work)
      : file_(std::move(file)),
        name_(std::move(name)),
        work_(std::move(work)) {}

  ~DockerArchiveDestination() override {
    std::error_code ec;
    fs::remove_all(work_, ec);
  }

  absl::StatusOr<bool> HasBlob(const Descriptor& descriptor) override {
    return blobs_.count(descriptor.digest) > 0;
  }

  absl::Status PutBlob(const Descriptor& descriptor,
                       ByteSource& data) override {
    RETURN_IF_ERROR(
        Annotate(layers::ValidateDigest(descriptor.digest), Context()));
    if (blobs_.count(descriptor.digest) > 0) return absl::OkStatus();
    RETURN_IF_ERROR(WriteVerifiedFile(descriptor, data,
                                      BlobPath(descriptor.digest),
                                      BlobWhat(descriptor.digest)));
    blobs_.insert(descriptor.digest);
    return absl::OkStatus();
  }

  absl::Status PutBlobFile(const Descriptor& descriptor, const fs::path& file,
                           bool take) override {
    RETURN_IF_ERROR(
        Annotate(layers::ValidateDigest(descriptor.digest), Context()));
    if (blobs_.count(descriptor.digest) > 0) return absl::OkStatus();
    RETURN_IF_ERROR(PlaceBlobFile(descriptor, file, take,
                                  BlobPath(descriptor.digest),
                                  BlobWhat(descriptor.digest)));
    blobs_.insert(descriptor.digest);
    return absl::OkStatus();
  }

  absl::Status PutManifest(const RawManifest& manifest) override {
    ASSIGN_OR_RETURN(std::string media_type,
                     VerifiedMediaType(manifest, Context()));
    if (!IsManifestMediaType(media_type)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: a docker archive holds one image manifest, not \"%s\"",
          Context(), media_type));
    }
    ASSIGN_OR_RETURN(Manifest m,
                     Annotate(ParseManifest(manifest.bytes), Context()));
    if (blobs_.count(m.config.digest) == 0) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "%s: the manifest references config %s, which was not put", Context(),
          m.config.digest));
    }
    for (const Descriptor& d : m.layers) {
      if (blobs_.count(d.digest) == 0) {
        return absl::FailedPreconditionError(absl::StrFormat(
            "%s: the manifest references layer %s, which was not put",
            Context(), d.digest));
      }
    }
    manifest_ = std::move(m);
    return absl::OkStatus();
  }

  absl::Status Commit() override {
    if (!manifest_.has_value()) {
      return absl::FailedPreconditionError(
          absl::StrFormat("%s: no manifest was put", Context()));
    }
    if (committed_) return absl::OkStatus();
    ASSIGN_OR_RETURN(
        std::string config_bytes,
        Annotate(ReadFile(BlobPath(manifest_->config.digest)), Context()));
    ASSIGN_OR_RETURN(ImageConfig config,
                     Annotate(ParseConfig(config_bytes), Context()));
    if (config.diff_ids.size() != manifest_->layers.size()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: the manifest has %d layers but the config has %d diff_ids",
          Context(), manifest_->layers.size(), config.diff_ids.size()));
    }

    std::map<std::string, Member> members;  // sorted: a deterministic archive
    std::vector<std::string> layer_names;
    for (size_t i = 0; i < manifest_->layers.size(); ++i) {
      RETURN_IF_ERROR(CheckInterrupted());
      const std::string& diff_id = config.diff_ids[i];
      const std::string hex(layers::DigestHex(diff_id));
      std::string name = absl::StrFormat("%s/layer.tar", hex);
      layer_names.push_back(name);
      if (members.count(name) > 0) continue;
      ASSIGN_OR_RETURN(fs::path tar,
                       UncompressedLayer(manifest_->layers[i], diff_id));
      members[hex] = Member{Member::kDirectory, {}, {}};
      members[name] = Member{Member::kFile, std::move(tar), {}};
    }
    const std::string config_name =
        absl::StrFormat("%s.json", layers::DigestHex(manifest_->config.digest));
    members[config_name] = Member{Member::kBytes, {}, config_bytes};

    Json image = Json::object();
    image["Config"] = config_name;
    image["Layers"] = layer_names;
    if (!name_.empty()) image["RepoTags"] = std::vector<std::string>{name_};
    members["manifest.json"] =
        Member{Member::kBytes, {}, CanonicalJson(Json::array({image}))};
    if (!name_.empty() && !layer_names.empty()) {
      auto [repo, tag] = SplitNameTag(name_);
      Json repositories = Json::object();
      repositories[repo][tag] =
          std::string(layers::DigestHex(config.diff_ids.back()));
      members["repositories"] =
          Member{Member::kBytes, {}, CanonicalJson(repositories)};
    }

    RETURN_IF_ERROR(WriteArchive(members, CreatedSeconds(config.created)));
    committed_ = true;
    return absl::OkStatus();
  }

 private:
  std::string Context() const {
    std::string ref = DockerArchiveName(file_);
    if (!name_.empty()) absl::StrAppend(&ref, ":", name_);
    return absl::StrFormat("writing %s", ref);
  }
  std::string BlobWhat(std::string_view digest) const {
    return absl::StrFormat("blob %s for %s", digest, DockerArchiveName(file_));
  }
  fs::path BlobPath(std::string_view digest) const {
    return work_ / absl::StrFormat("blob-%s", BlobFileName(digest));
  }

  // The layer as an uncompressed tar file, checked against its diff_id.
  absl::StatusOr<fs::path> UncompressedLayer(const Descriptor& layer,
                                             const std::string& diff_id) {
    const fs::path blob = BlobPath(layer.digest);
    // An uncompressed layer's digest is its diff_id, verified when it was put.
    if (layer.digest == diff_id) return blob;
    const fs::path out =
        work_ / absl::StrFormat("layer-%s.tar", layers::DigestHex(diff_id));
    const std::string context =
        absl::StrFormat("%s: decompressing layer %s", Context(), layer.digest);
    ASSIGN_OR_RETURN(std::unique_ptr<FileSource> compressed,
                     Annotate(FileSource::Open(blob), context));
    ASSIGN_OR_RETURN(
        std::unique_ptr<ByteSource> plain,
        Annotate(layers::NewDecompressor(compressed.get()), context));
    ASSIGN_OR_RETURN(std::unique_ptr<FileSink> sink,
                     Annotate(FileSink::Create(out), context));
    layers::Sha256 hash;
    TeeSink tee(sink.get(), &hash);
    RETURN_IF_ERROR(Annotate(CopyInterruptibly(*plain, tee).status(), context));
    std::string actual = hash.Finish();
    if (actual != diff_id) {
      return absl::DataLossError(absl::StrFormat(
          "%s: the uncompressed layer is %s but the config's diff_id is %s",
          context, actual, diff_id));
    }
    RETURN_IF_ERROR(Annotate(sink->Close(), context));
    // The compressed copy is no longer needed; keep disk use near one copy.
    std::error_code ec;
    fs::remove(blob, ec);
    return out;
  }

  absl::Status WriteArchive(const std::map<std::string, Member>& members,
                            int64_t mtime) {
    const fs::path tmp = TempSibling(file_);
    ASSIGN_OR_RETURN(std::unique_ptr<FileSink> sink,
                     Annotate(FileSink::Create(tmp), Context()));
    TarStream tar(sink.get(), Context());
    RETURN_IF_ERROR(tar.Open());
    for (const auto& [name, member] : members) {
      RETURN_IF_ERROR(CheckInterrupted());
      RETURN_IF_ERROR(tar.Add(name, member, mtime));
    }
    RETURN_IF_ERROR(tar.Close());
    RETURN_IF_ERROR(Annotate(sink->Close(), Context()));
    if (::rename(tmp.c_str(), file_.c_str()) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      return ErrnoError(err,
                        absl::StrFormat("%s: renaming into place", Context()));
    }
    fs::path parent = file_.parent_path();
    return Annotate(SyncDirectory(parent.empty() ? fs::path(".") : parent),
                    Context());
  }

  fs::path file_;
  std::string name_;
  fs::path work_;
  std::set<std::string> blobs_;
  std::optional<Manifest> manifest_;
  bool committed_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ImageDestination>> OpenDockerArchiveDestination(
    const fs::path& file, const std::string& name) {
  std::string ref = DockerArchiveName(file);
  if (!name.empty()) absl::StrAppend(&ref, ":", name);
  const std::string context = absl::StrFormat("writing %s", ref);
  std::error_code ec;
  if (fs::is_directory(file, ec)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: %s is a directory", context, file.string()));
  }
  const fs::path parent =
      file.parent_path().empty() ? fs::path(".") : file.parent_path();
  if (!fs::is_directory(parent, ec)) {
    return absl::NotFoundError(absl::StrFormat(
        "%s: directory %s does not exist", context, parent.string()));
  }
  // Blobs wait beside the archive, on its file system, so that renames work.
  const fs::path work = TempSibling(file);
  if (!fs::create_directory(work, ec) || ec) {
    if (!ec) ec = std::make_error_code(std::errc::file_exists);
    return FsError(ec,
                   absl::StrFormat("%s: creating %s", context, work.string()));
  }
  return std::unique_ptr<ImageDestination>(
      new DockerArchiveDestination(file, name, work));
}

}  // namespace cook::oci::internal