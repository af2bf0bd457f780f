#include "oci/oci_layout.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/files.h"
#include "base/status_macros.h"
#include "base/text.h"
#include "oci/blob_io.h"
#include "oci/index_walk.h"
#include "oci/json_util.h"
#include "layers/digest.h"

namespace cook::oci::internal {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kDefaultTag = "latest";
constexpr std::string_view kLayoutFile = "oci-layout";
constexpr std::string_view kIndexFile = "index.json";
constexpr std::string_view kLayoutContents =
    R"({"imageLayoutVersion":"1.0.0"})";
// Manifests and indexes are small; refuse to read absurd ones into memory.
constexpr int64_t kMaxManifestSize = 16 << 20;

std::string LayoutName(const fs::path& dir) {
  return absl::StrFormat("oci:%s", dir.string());
}

fs::path BlobPath(const fs::path& dir, std::string_view digest) {
  return dir / "blobs" / "sha256" / BlobFileName(digest);
}

// The layout's file `name`; NotFound says that `dir` is no image layout.
absl::StatusOr<std::string> ReadLayoutFile(const fs::path& dir,
                                           std::string_view name) {
  absl::StatusOr<std::string> bytes =
      ReadFileAtMost(dir / name, kMaxManifestSize);
  if (absl::IsNotFound(bytes.status())) {
    return absl::NotFoundError(absl::StrFormat(
        "%s: no such image layout (no %s)", LayoutName(dir), name));
  }
  return bytes;
}

class OciLayoutSource : public ImageSource {
 public:
  OciLayoutSource(fs::path dir, std::string tag)
      : dir_(std::move(dir)), tag_(std::move(tag)) {}

  absl::StatusOr<RawManifest> GetManifest(const Platform& platform) override {
    const fs::path index_path = dir_ / kIndexFile;
    ASSIGN_OR_RETURN(std::string index_json, ReadLayoutFile(dir_, kIndexFile));
    absl::StatusOr<Index> index = ParseIndex(index_json);
    if (!index.ok()) {
      return Annotate(index.status(),
                      absl::StrFormat("reading %s", index_path.string()));
    }
    std::vector<std::string> tags;
    const Descriptor* found = nullptr;
    for (const Descriptor& d : index->manifests) {
      auto it = d.annotations.find(std::string(kRefNameAnnotation));
      if (it == d.annotations.end()) continue;
      tags.push_back(it->second);
      if (it->second == tag_ && found == nullptr) found = &d;
    }
    // A layout written without a tag (`skopeo copy ... oci:DIR`) holds one
    // unnamed image; the default tag means "the image" there, as in skopeo.
    if (found == nullptr && tag_ == kDefaultTag && tags.empty() &&
        index->manifests.size() == 1) {
      found = &index->manifests[0];
    }
    if (found == nullptr) {
      return absl::NotFoundError(absl::StrFormat(
          "no image tagged \"%s\" in %s; available tags: %s", EscapeForDisplay(tag_),
          LayoutName(dir_),
          tags.empty() ? "none" : EscapeForDisplay(absl::StrJoin(tags, ", "))));
    }
    ASSIGN_OR_RETURN(RawManifest top, ReadDocument(*found));
    const std::string context =
        absl::StrFormat("reading %s:%s", LayoutName(dir_), tag_);
    ASSIGN_OR_RETURN(
        RawManifest manifest,
        WalkToManifest(
            std::move(top), platform,
            [this](const Descriptor& d) { return ReadDocument(d); }, context,
            [this](const RawManifest& index) {
              return BlobWhat(index.digest, "index");
            }));
    if (!IsManifestMediaType(manifest.media_type)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: unsupported manifest media type \"%s\"", context,
                          manifest.media_type));
    }
    return manifest;
  }

  absl::StatusOr<std::unique_ptr<ByteSource>> OpenBlob(
      const Descriptor& descriptor) override {
    if (absl::Status s = layers::ValidateDigest(descriptor.digest); !s.ok()) {
      return Annotate(s, BlobWhat(descriptor.digest, "blob"));
    }
    absl::StatusOr<std::unique_ptr<FileSource>> file =
        FileSource::Open(BlobPath(dir_, descriptor.digest));
    if (!file.ok()) {
      return Annotate(file.status(), BlobWhat(descriptor.digest, "blob"));
    }
    return NewVerifyingSource(
        *std::move(file), descriptor,
        absl::StrFormat("blob %s in %s", descriptor.digest, LayoutName(dir_)));
  }

 private:
  std::string BlobWhat(std::string_view digest, std::string_view kind) const {
    return absl::StrFormat("reading %s %s in %s", kind, digest,
                           LayoutName(dir_));
  }

  // The manifest or index `d` names, its media type detected when `d` has
  // none.
  absl::StatusOr<RawManifest> ReadDocument(const Descriptor& d) {
    ASSIGN_OR_RETURN(std::string bytes, ReadSmall(d, "manifest"));
    std::string media_type = d.media_type;
    if (media_type.empty()) {
      ASSIGN_OR_RETURN(media_type, DetectMediaType(bytes));
    }
    return RawManifest{std::move(bytes), std::move(media_type), d.digest};
  }

  absl::StatusOr<std::string> ReadSmall(const Descriptor& d,
                                        std::string_view kind) {
    const std::string what = BlobWhat(d.digest, kind);
    if (absl::Status s = layers::ValidateDigest(d.digest); !s.ok()) {
      return Annotate(s, what);
    }
    if (d.size > kMaxManifestSize) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: %d bytes is too large for a manifest", what, d.size));
    }
    absl::StatusOr<std::string> bytes =
        ReadFileAtMost(BlobPath(dir_, d.digest), kMaxManifestSize);
    if (!bytes.ok()) return Annotate(bytes.status(), what);
    if (bytes->size() != static_cast<uint64_t>(d.size)) {
      return absl::DataLossError(
          absl::StrFormat("%s: size mismatch: expected %d bytes, got %d", what,
                          d.size, bytes->size()));
    }
    std::string actual = layers::Sha256Digest(*bytes);
    if (actual != d.digest) {
      return absl::DataLossError(
          absl::StrFormat("%s: digest mismatch: got %s", what, actual));
    }
    return bytes;
  }

  fs::path dir_;
  std::string tag_;
};

class OciLayoutDestination : public ImageDestination {
 public:
  OciLayoutDestination(fs::path dir, std::string tag)
      : dir_(std::move(dir)), tag_(std::move(tag)) {}

  absl::StatusOr<bool> HasBlob(const Descriptor& descriptor) override {
    if (absl::Status s = layers::ValidateDigest(descriptor.digest); !s.ok()) {
      return Annotate(s, Context());
    }
    std::error_code ec;
    uintmax_t size = fs::file_size(BlobPath(dir_, descriptor.digest), ec);
    if (ec) return false;
    return size == static_cast<uintmax_t>(descriptor.size);
  }

  absl::Status PutBlob(const Descriptor& descriptor,
                       ByteSource& data) override {
    RETURN_IF_ERROR(
        Annotate(layers::ValidateDigest(descriptor.digest), Context()));
    ASSIGN_OR_RETURN(bool present, HasBlob(descriptor));
    if (present) return absl::OkStatus();
    return WriteVerifiedFile(descriptor, data,
                             BlobPath(dir_, descriptor.digest),
                             BlobWhat(descriptor.digest));
  }

  absl::Status PutBlobFile(const Descriptor& descriptor, const fs::path& file,
                           bool take) override {
    RETURN_IF_ERROR(
        Annotate(layers::ValidateDigest(descriptor.digest), Context()));
    ASSIGN_OR_RETURN(bool present, HasBlob(descriptor));
    if (present) return absl::OkStatus();
    return PlaceBlobFile(descriptor, file, take,
                         BlobPath(dir_, descriptor.digest),
                         BlobWhat(descriptor.digest));
  }

  absl::Status PutManifest(const RawManifest& manifest) override {
    ASSIGN_OR_RETURN(std::string media_type,
                     VerifiedMediaType(manifest, Context()));
    std::vector<Descriptor> referenced;
    if (IsManifestMediaType(media_type)) {
      ASSIGN_OR_RETURN(Manifest m,
                       Annotate(ParseManifest(manifest.bytes), Context()));
      referenced.push_back(m.config);
      for (Descriptor& d : m.layers) referenced.push_back(std::move(d));
    } else if (IsIndexMediaType(media_type)) {
      ASSIGN_OR_RETURN(Index index,
                       Annotate(ParseIndex(manifest.bytes), Context()));
      referenced = std::move(index.manifests);
    } else {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: unsupported manifest media type \"%s\"", Context(), media_type));
    }
    for (const Descriptor& d : referenced) {
      ASSIGN_OR_RETURN(bool present, HasBlob(d));
      if (!present) {
        return absl::FailedPreconditionError(absl::StrFormat(
            "%s: the manifest references blob %s, which was not put", Context(),
            d.digest));
      }
    }
    Descriptor descriptor;
    descriptor.media_type = media_type;
    descriptor.digest = manifest.digest;
    descriptor.size = static_cast<int64_t>(manifest.bytes.size());
    StringSource bytes(manifest.bytes);
    RETURN_IF_ERROR(PutBlob(descriptor, bytes));
    descriptor.annotations[std::string(kRefNameAnnotation)] = tag_;
    manifest_ = std::move(descriptor);
    return absl::OkStatus();
  }

  absl::Status Commit() override {
    if (!manifest_.has_value()) {
      return absl::FailedPreconditionError(
          absl::StrFormat("%s: no manifest was put", Context()));
    }
    // Serialise concurrent writers of the same layout: the index update is a
    // read-modify-write.
    int dir_fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) {
      return ErrnoError(errno,
                        absl::StrFormat("%s: opening the layout", Context()));
    }
    absl::Cleanup close_dir = [dir_fd] { ::close(dir_fd); };
    while (::flock(dir_fd, LOCK_EX) != 0) {
      if (errno != EINTR) {
        return ErrnoError(errno,
                          absl::StrFormat("%s: locking the layout", Context()));
      }
    }

    const fs::path index_path = dir_ / kIndexFile;
    Json index = Json::object();
    absl::StatusOr<std::string> existing =
        ReadFileAtMost(index_path, kMaxManifestSize);
    if (existing.ok()) {
      // Never replace a file we cannot understand: it may hold other images.
      RETURN_IF_ERROR(Annotate(
          ParseIndex(*existing).status(),
          absl::StrFormat("%s: reading %s", Context(), index_path.string())));
      ASSIGN_OR_RETURN(index, ParseJson(*existing, index_path.string()));
    } else if (!absl::IsNotFound(existing.status())) {
      return Annotate(existing.status(), Context());
    }
    Json manifests = Json::array();
    if (auto it = index.find("manifests"); it != index.end()) {
      for (Json& entry : *it) {
        const Json* annotations =
            entry.contains("annotations") ? &entry["annotations"] : nullptr;
        if (annotations != nullptr && annotations->is_object()) {
          auto name = annotations->find(kRefNameAnnotation);
          if (name != annotations->end() && name->is_string() &&
              name->get<std::string>() == tag_) {
            continue;  // the tag moves to the new manifest
          }
        }
        manifests.push_back(std::move(entry));
      }
    }
    Json entry = Json::object();
    entry["mediaType"] = manifest_->media_type;
    entry["digest"] = manifest_->digest;
    entry["size"] = manifest_->size;
    entry["annotations"] = manifest_->annotations;
    manifests.push_back(std::move(entry));
    index["schemaVersion"] = 2;
    if (!index.contains("mediaType"))
      index["mediaType"] = std::string(kOciIndex);
    index["manifests"] = std::move(manifests);

    RETURN_IF_ERROR(
        Annotate(SyncDirectory(dir_ / "blobs" / "sha256"), Context()));
    RETURN_IF_ERROR(Annotate(
        WriteFileAtomically(index_path, CanonicalJson(index)), Context()));
    return Annotate(SyncDirectory(dir_), Context());
  }

 private:
  std::string Context() const {
    return absl::StrFormat("writing %s:%s", LayoutName(dir_), tag_);
  }
  std::string BlobWhat(std::string_view digest) const {
    return absl::StrFormat("blob %s to %s", digest, LayoutName(dir_));
  }

  fs::path dir_;
  std::string tag_;
  std::optional<Descriptor> manifest_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ImageSource>> OpenOciLayoutSource(
    const fs::path& dir, const std::string& tag) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return absl::NotFoundError(
        absl::StrFormat("%s: no such image layout", LayoutName(dir)));
  }
  const fs::path layout_path = dir / kLayoutFile;
  ASSIGN_OR_RETURN(std::string layout, ReadLayoutFile(dir, kLayoutFile));
  absl::StatusOr<Json> parsed = ParseJson(layout, layout_path.string());
  if (!parsed.ok()) return parsed.status();
  if (!parsed->is_object() || !parsed->contains("imageLayoutVersion")) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "parsing %s: no \"imageLayoutVersion\"", layout_path.string()));
  }
  return std::unique_ptr<ImageSource>(new OciLayoutSource(dir, tag));
}

absl::StatusOr<std::unique_ptr<ImageDestination>> OpenOciLayoutDestination(
    const fs::path& dir, const std::string& tag) {
  const std::string context =
      absl::StrFormat("writing %s:%s", LayoutName(dir), tag);
  std::error_code ec;
  const fs::path layout_path = dir / kLayoutFile;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) {
      return absl::FailedPreconditionError(
          absl::StrFormat("%s: %s is not a directory", context, dir.string()));
    }
    if (!fs::exists(layout_path, ec) && !fs::is_empty(dir, ec)) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "%s: %s is a non-empty directory but not an image layout (no %s)",
          context, dir.string(), kLayoutFile));
    }
  }
  fs::create_directories(dir / "blobs" / "sha256", ec);
  if (ec) {
    return FsError(ec,
                   absl::StrFormat("%s: creating %s", context, dir.string()));
  }
  // oci-layout goes first: index.json, written last, is what makes an image.
  if (!fs::exists(layout_path, ec)) {
    RETURN_IF_ERROR(
        Annotate(WriteFileAtomically(layout_path, kLayoutContents), context));
  }
  return std::unique_ptr<ImageDestination>(new OciLayoutDestination(dir, tag));
}

}  // namespace cook::oci::internal
