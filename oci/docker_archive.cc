#include "oci/docker_archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "base/c_handle.h"
#include "base/files.h"
#include "base/interrupt.h"
#include "base/status_macros.h"
#include "base/text.h"
#include "oci/blob_io.h"
#include "oci/json_util.h"
#include "oci/tar_index.h"
#include "layers/compressor.h"
#include "layers/digest.h"

namespace cook::oci::internal {
namespace {

namespace fs = std::filesystem;

using ArchiveWriter = std::unique_ptr<archive, FreeWith<&archive_write_free>>;
using ArchiveEntry =
    std::unique_ptr<archive_entry, FreeWith<&archive_entry_free>>;

constexpr size_t kChunk = 1 << 20;
constexpr uint64_t kMaxSmallMember = 16 << 20;

std::string ArchiveName(const fs::path& file) {
  return absl::StrFormat("docker-archive:%s", file.string());
}

enum class Magic { kNone, kGzip, kZstd };

Magic DetectMagic(std::string_view head) {
  if (head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x1f &&
      static_cast<unsigned char>(head[1]) == 0x8b) {
    return Magic::kGzip;
  }
  if (head.size() >= 4 && static_cast<unsigned char>(head[0]) == 0x28 &&
      static_cast<unsigned char>(head[1]) == 0xb5 &&
      static_cast<unsigned char>(head[2]) == 0x2f &&
      static_cast<unsigned char>(head[3]) == 0xfd) {
    return Magic::kZstd;
  }
  return Magic::kNone;
}

absl::StatusOr<std::string> ReadHead(const fs::path& file, uint64_t offset,
                                     uint64_t size) {
  ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source,
                   OpenFileRange(file, offset, std::min<uint64_t>(size, 4)));
  std::string head(4, '\0');
  size_t got = 0;
  while (got < head.size()) {
    ASSIGN_OR_RETURN(size_t n,
                     source->Read(head.data() + got, head.size() - got));
    if (n == 0) break;
    got += n;
  }
  head.resize(got);
  return head;
}

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

// "docker.io/library/rust:1", "library/rust:1" and "rust:1" name one image.
std::string ShortName(std::string_view name_tag) {
  std::string_view s = name_tag;
  for (std::string_view prefix : {"docker.io/", "index.docker.io/"}) {
    if (absl::StartsWith(absl::string_view(s.data(), s.size()),
                         absl::string_view(prefix.data(), prefix.size()))) {
      s.remove_prefix(prefix.size());
      break;
    }
  }
  constexpr std::string_view kLibrary = "library/";
  if (s.substr(0, kLibrary.size()) == kLibrary)
    s.remove_prefix(kLibrary.size());
  return std::string(s);
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

// ---------------------------------------------------------------- source

class DockerArchiveSource : public ImageSource {
 public:
  DockerArchiveSource(fs::path display, fs::path tar, fs::path temp)
      : display_(std::move(display)),
        tar_(std::move(tar)),
        temp_(std::move(temp)) {}

  ~DockerArchiveSource() override {
    if (!temp_.empty()) {
      std::error_code ec;
      fs::remove(temp_, ec);
    }
  }

  absl::Status Load(const std::string& name) {
    ASSIGN_OR_RETURN(index_, Annotate(TarIndex::Build(tar_), Context()));
    ASSIGN_OR_RETURN(std::string manifest_json, ReadMember("manifest.json"));
    ASSIGN_OR_RETURN(
        Json manifest,
        Annotate(ParseJson(manifest_json, "manifest.json"), Context()));
    if (!manifest.is_array() || manifest.empty()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: manifest.json must be a non-empty array", Context()));
    }
    const Json* image = nullptr;
    std::vector<std::string> available;
    for (const Json& entry : manifest) {
      if (!entry.is_object()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "%s: manifest.json entries must be objects", Context()));
      }
      if (auto tags = entry.find("RepoTags");
          tags != entry.end() && tags->is_array()) {
        for (const Json& tag : *tags) {
          if (!tag.is_string()) continue;
          available.push_back(tag.get<std::string>());
          if (image == nullptr && !name.empty() &&
              ShortName(tag.get<std::string>()) == ShortName(name)) {
            image = &entry;
          }
        }
      }
    }
    if (name.empty()) image = &manifest[0];
    if (image == nullptr) {
      return absl::NotFoundError(absl::StrFormat(
          "no image named \"%s\" in %s; available: %s", name,
          ArchiveName(display_),
          available.empty() ? "none" : absl::StrJoin(available, ", ")));
    }

    auto config_name = image->find("Config");
    auto layers = image->find("Layers");
    if (config_name == image->end() || !config_name->is_string() ||
        (layers != image->end() && !layers->is_array() && !layers->is_null())) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: manifest.json needs \"Config\" (a string) and "
                          "\"Layers\" (an array)",
                          Context()));
    }
    ASSIGN_OR_RETURN(TarMember config_member,
                     FindMember(config_name->get<std::string>()));
    ASSIGN_OR_RETURN(std::string config_bytes,
                     ReadMember(config_name->get<std::string>()));
    ASSIGN_OR_RETURN(ImageConfig config,
                     Annotate(ParseConfig(config_bytes), Context()));

    Manifest m;
    m.media_type = std::string(kOciManifest);
    m.config.media_type = std::string(kOciConfig);
    m.config.digest = layers::Sha256Digest(config_bytes);
    m.config.size = static_cast<int64_t>(config_bytes.size());
    members_[m.config.digest] = config_member;

    std::vector<std::string> layer_names;
    if (layers != image->end() && layers->is_array()) {
      for (const Json& l : *layers) {
        if (!l.is_string()) {
          return absl::InvalidArgumentError(absl::StrFormat(
              "%s: manifest.json \"Layers\" must hold strings", Context()));
        }
        layer_names.push_back(l.get<std::string>());
      }
    }
    if (layer_names.size() != config.diff_ids.size()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: manifest.json lists %d layers but the config has %d diff_ids",
          Context(), layer_names.size(), config.diff_ids.size()));
    }
    for (size_t i = 0; i < layer_names.size(); ++i) {
      RETURN_IF_ERROR(CheckInterrupted());
      ASSIGN_OR_RETURN(TarMember member, FindMember(layer_names[i]));
      ASSIGN_OR_RETURN(
          std::string head,
          Annotate(ReadHead(tar_, member.offset, member.size), Context()));
      Descriptor d;
      d.size = static_cast<int64_t>(member.size);
      switch (DetectMagic(head)) {
        case Magic::kNone:
          // A plain layer tar: its digest is the diff_id (verified on read).
          d.media_type = std::string(kOciLayerTar);
          d.digest = config.diff_ids[i];
          break;
        case Magic::kGzip:
        case Magic::kZstd: {
          d.media_type =
              std::string(DetectMagic(head) == Magic::kGzip ? kOciLayerGzip
                                                            : kOciLayerZstd);
          ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source,
                           OpenFileRange(tar_, member.offset, member.size));
          layers::Sha256 hash;
          RETURN_IF_ERROR(
              Annotate(CopyInterruptibly(*source, hash).status(), Context()));
          d.digest = hash.Finish();
          break;
        }
      }
      members_[d.digest] = member;
      m.layers.push_back(std::move(d));
    }
    std::string bytes = SerializeManifest(m);
    std::string digest = layers::Sha256Digest(bytes);
    manifest_ = RawManifest{std::move(bytes), std::string(kOciManifest),
                            std::move(digest)};
    return absl::OkStatus();
  }

  absl::StatusOr<RawManifest> GetManifest(const Platform&) override {
    return manifest_;
  }

  absl::StatusOr<std::unique_ptr<ByteSource>> OpenBlob(
      const Descriptor& descriptor) override {
    auto it = members_.find(descriptor.digest);
    if (it == members_.end()) {
      return absl::NotFoundError(
          absl::StrFormat("reading blob %s from %s: not in the archive",
                          descriptor.digest, ArchiveName(display_)));
    }
    ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> range,
                     OpenFileRange(tar_, it->second.offset, it->second.size));
    return NewVerifyingSource(
        std::move(range), descriptor,
        absl::StrFormat("blob %s in %s", descriptor.digest,
                        ArchiveName(display_)));
  }

 private:
  std::string Context() const {
    return absl::StrFormat("reading %s", ArchiveName(display_));
  }

  absl::StatusOr<TarMember> FindMember(const std::string& name) const {
    absl::StatusOr<TarMember> member = index_.Find(name);
    if (!member.ok()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: manifest.json names \"%s\", which is not in the archive",
          Context(), EscapeForDisplay(name)));
    }
    return member;
  }

  absl::StatusOr<std::string> ReadMember(const std::string& name) const {
    absl::StatusOr<TarMember> member = index_.Find(name);
    if (!member.ok()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: no %s in the archive (is this a docker save tarball?)",
          Context(), EscapeForDisplay(name)));
    }
    if (member->size > kMaxSmallMember) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: %s is too large (%d bytes)", Context(), name, member->size));
    }
    ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source,
                     OpenFileRange(tar_, member->offset, member->size));
    std::string out;
    StringSink sink(&out);
    RETURN_IF_ERROR(Annotate(Copy(*source, sink).status(), Context()));
    return out;
  }

  fs::path display_;
  fs::path tar_;
  fs::path temp_;
  TarIndex index_;
  RawManifest manifest_;
  std::map<std::string, TarMember> members_;  // by digest
};

// ----------------------------------------------------------- destination

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
    RETURN_IF_ERROR(
        Annotate(VerifyDigest(manifest.bytes, manifest.digest, "the manifest"),
                 Context()));
    std::string media_type = manifest.media_type;
    if (media_type.empty()) {
      ASSIGN_OR_RETURN(media_type,
                       Annotate(DetectMediaType(manifest.bytes), Context()));
    }
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
    std::string ref = ArchiveName(file_);
    if (!name_.empty()) absl::StrAppend(&ref, ":", name_);
    return absl::StrFormat("writing %s", ref);
  }
  std::string BlobWhat(std::string_view digest) const {
    return absl::StrFormat("blob %s for %s", digest, ArchiveName(file_));
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
    SinkContext ctx{sink.get(), absl::OkStatus()};
    ArchiveWriter a(archive_write_new());
    if (a == nullptr) return absl::ResourceExhaustedError("archive_write_new");
    auto archive_error = [&](std::string_view op) {
      if (!ctx.status.ok()) return Annotate(ctx.status, Context());
      return absl::InternalError(absl::StrFormat(
          "%s: %s: %s", Context(), op, archive_error_string(a.get())));
    };
    // pax_restricted writes plain ustar headers unless a field needs pax
    // (sizes of 8 GiB and more).
    if (archive_write_set_format_pax_restricted(a.get()) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(a.get(), 1) != ARCHIVE_OK ||
        archive_write_open(a.get(), &ctx, nullptr, &WriteToSink, nullptr) !=
            ARCHIVE_OK) {
      return archive_error("opening the archive");
    }
    std::vector<char> buffer(kChunk);
    for (const auto& [name, member] : members) {
      RETURN_IF_ERROR(CheckInterrupted());
      ArchiveEntry entry(archive_entry_new());
      archive_entry_set_pathname(entry.get(), name.c_str());
      archive_entry_set_uid(entry.get(), 0);
      archive_entry_set_gid(entry.get(), 0);
      archive_entry_set_mtime(entry.get(), mtime, 0);
      std::unique_ptr<ByteSource> source;
      uint64_t size = 0;
      switch (member.kind) {
        case Member::kDirectory:
          archive_entry_set_filetype(entry.get(), AE_IFDIR);
          archive_entry_set_perm(entry.get(), 0755);
          break;
        case Member::kBytes:
          archive_entry_set_filetype(entry.get(), AE_IFREG);
          archive_entry_set_perm(entry.get(), 0644);
          size = member.bytes.size();
          source = std::make_unique<StringSource>(member.bytes);
          break;
        case Member::kFile: {
          archive_entry_set_filetype(entry.get(), AE_IFREG);
          archive_entry_set_perm(entry.get(), 0644);
          std::error_code ec;
          size = fs::file_size(member.file, ec);
          if (ec) {
            return FsError(ec, absl::StrFormat("%s: reading %s", Context(),
                                               member.file.string()));
          }
          ASSIGN_OR_RETURN(source,
                           Annotate(FileSource::Open(member.file), Context()));
          break;
        }
      }
      archive_entry_set_size(entry.get(), static_cast<la_int64_t>(size));
      if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK) {
        return archive_error(absl::StrFormat("adding %s", name));
      }
      uint64_t written = 0;
      while (source != nullptr) {
        RETURN_IF_ERROR(CheckInterrupted());
        ASSIGN_OR_RETURN(size_t n, source->Read(buffer.data(), buffer.size()));
        if (n == 0) break;
        for (size_t done = 0; done < n;) {
          la_ssize_t w =
              archive_write_data(a.get(), buffer.data() + done, n - done);
          if (w <= 0) return archive_error(absl::StrFormat("writing %s", name));
          done += static_cast<size_t>(w);
        }
        written += n;
      }
      if (written != size) {
        return absl::DataLossError(absl::StrFormat(
            "%s: %s changed size while being archived", Context(), name));
      }
      if (archive_write_finish_entry(a.get()) != ARCHIVE_OK) {
        return archive_error(absl::StrFormat("finishing %s", name));
      }
    }
    if (archive_write_close(a.get()) != ARCHIVE_OK) {
      return archive_error("closing the archive");
    }
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

absl::StatusOr<std::unique_ptr<ImageSource>> OpenDockerArchiveSource(
    const fs::path& file, const std::string& name) {
  const std::string context = absl::StrFormat("reading %s", ArchiveName(file));
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    return absl::NotFoundError(absl::StrFormat("%s: no such file", context));
  }
  if (fs::is_directory(file, ec)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: is a directory, not a tarball", context));
  }
  ASSIGN_OR_RETURN(std::string head, Annotate(ReadHead(file, 0, 4), context));
  fs::path tar = file;
  fs::path temp;
  if (DetectMagic(head) != Magic::kNone) {
    // `docker save | gzip` output: decompress once, then read in place.
    temp = TempSibling(fs::temp_directory_path(ec) / "cook-docker-archive.tar");
    ASSIGN_OR_RETURN(std::unique_ptr<FileSource> in,
                     Annotate(FileSource::Open(file), context));
    ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> plain,
                     Annotate(layers::NewDecompressor(in.get()), context));
    ASSIGN_OR_RETURN(std::unique_ptr<FileSink> out,
                     Annotate(FileSink::Create(temp, 0600), context));
    RETURN_IF_ERROR(
        Annotate(CopyInterruptibly(*plain, *out).status(), context));
    RETURN_IF_ERROR(Annotate(out->Close(), context));
    tar = temp;
  }
  auto source = std::make_unique<DockerArchiveSource>(file, tar, temp);
  RETURN_IF_ERROR(source->Load(name));
  return std::unique_ptr<ImageSource>(std::move(source));
}

absl::StatusOr<std::unique_ptr<ImageDestination>> OpenDockerArchiveDestination(
    const fs::path& file, const std::string& name) {
  std::string ref = ArchiveName(file);
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
