#include "oci/docker_archive.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/files.h"
#include "base/interrupt.h"
#include "base/status_macros.h"
#include "base/text.h"
#include "layers/compressor.h"
#include "layers/digest.h"
#include "oci/blob_io.h"
#include "oci/json_util.h"
#include "oci/registry_name.h"
#include "oci/tar_index.h"

namespace cook::oci::internal {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kMaxSmallMember = 16 << 20;

// The first bytes of the `size` bytes at `offset`: enough to tell a
// compressed stream by its magic number.
absl::StatusOr<std::string> ReadHead(const fs::path& file, uint64_t offset,
                                     uint64_t size) {
  ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source,
                   OpenFileRange(file, offset, std::min<uint64_t>(size, 4)));
  std::string head;
  StringSink sink(&head);
  RETURN_IF_ERROR(Copy(*source, sink).status());
  return head;
}

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
    ASSIGN_OR_RETURN(const Json* image, SelectImage(manifest, name));
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
      ASSIGN_OR_RETURN(Descriptor d,
                       LayerDescriptor(member, config.diff_ids[i]));
      members_[d.digest] = member;
      m.layers.push_back(std::move(d));
    }
    manifest_ = MakeRawManifest(m);
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
                          descriptor.digest, DockerArchiveName(display_)));
    }
    ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> range,
                     OpenFileRange(tar_, it->second.offset, it->second.size));
    return NewVerifyingSource(
        std::move(range), descriptor,
        absl::StrFormat("blob %s in %s", descriptor.digest,
                        DockerArchiveName(display_)));
  }

 private:
  std::string Context() const {
    return absl::StrFormat("reading %s", DockerArchiveName(display_));
  }

  // The entry of manifest.json whose RepoTags hold `name`, or the first one
  // when `name` is empty.
  absl::StatusOr<const Json*> SelectImage(const Json& manifest,
                                          const std::string& name) const {
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
              ShortImageName(tag.get<std::string>()) == ShortImageName(name)) {
            image = &entry;
          }
        }
      }
    }
    if (name.empty()) image = &manifest[0];
    if (image == nullptr) {
      return absl::NotFoundError(absl::StrFormat(
          "no image named \"%s\" in %s; available: %s", name,
          DockerArchiveName(display_),
          available.empty() ? "none" : absl::StrJoin(available, ", ")));
    }
    return image;
  }

  // A plain layer tar's digest is its diff_id (verified on read); a
  // compressed one (`docker save` of a pulled image may keep it so) is hashed.
  absl::StatusOr<Descriptor> LayerDescriptor(const TarMember& member,
                                             const std::string& diff_id) const {
    ASSIGN_OR_RETURN(
        std::string head,
        Annotate(ReadHead(tar_, member.offset, member.size), Context()));
    Descriptor d;
    d.size = static_cast<int64_t>(member.size);
    switch (layers::DetectCompression(head)) {
      case layers::Compression::kNone:
        d.media_type = std::string(kOciLayerTar);
        d.digest = diff_id;
        return d;
      case layers::Compression::kGzip:
        d.media_type = std::string(kOciLayerGzip);
        break;
      case layers::Compression::kZstd:
        d.media_type = std::string(kOciLayerZstd);
        break;
    }
    ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source,
                     OpenFileRange(tar_, member.offset, member.size));
    layers::Sha256 hash;
    RETURN_IF_ERROR(
        Annotate(CopyInterruptibly(*source, hash).status(), Context()));
    d.digest = hash.Finish();
    return d;
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

}  // namespace

std::string DockerArchiveName(const fs::path& file) {
  return absl::StrFormat("docker-archive:%s", file.string());
}

absl::StatusOr<std::unique_ptr<ImageSource>> OpenDockerArchiveSource(
    const fs::path& file, const std::string& name, const fs::path& temp_dir) {
  const std::string context =
      absl::StrFormat("reading %s", DockerArchiveName(file));
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
  if (layers::DetectCompression(head) != layers::Compression::kNone) {
    // `docker save | gzip` output: decompress once, then read in place.
    temp = TempSibling(
        (temp_dir.empty() ? fs::path("/tmp") : temp_dir) /
        "cook-docker-archive.tar");
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

}  // namespace cook::oci::internal
