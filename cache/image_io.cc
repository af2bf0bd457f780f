#include "cache/image_io.h"

#include <stdlib.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/json_line.h"
#include "base/files.h"
#include "base/interrupt.h"
#include "base/io.h"
#include "base/status_macros.h"
#include "cache/signing.h"
#include "layers/digest.h"
#include "nlohmann/json.hpp"

namespace cook::cache {
namespace {

namespace fs = std::filesystem;

// Docker schema 2 layer types have OCI twins; an OCI manifest uses those.
std::string OciLayerType(const std::string& media_type) {
  if (media_type == oci::kDockerLayerGzip) return std::string(oci::kOciLayerGzip);
  if (media_type == oci::kDockerLayerTar) return std::string(oci::kOciLayerTar);
  return media_type;
}

}  // namespace

absl::StatusOr<OpenedImage> OpenImage(const oci::ImageReference& ref,
                                      const oci::Platform& platform,
                                      const std::string& context,
                                      registry::RegistrySession& registries,
                                      const fs::path& temp_dir, const ManifestCheck& check) {
  OpenedImage image;
  ASSIGN_OR_RETURN(image.source,
                   Annotate(oci::OpenImageSource(ref, &registries, temp_dir), context));
  ASSIGN_OR_RETURN(image.raw, Annotate(image.source->GetManifest(platform), context));
  if (check) RETURN_IF_ERROR(check(image.raw));
  ASSIGN_OR_RETURN(image.manifest, Annotate(oci::ParseManifest(image.raw.bytes), context));
  ASSIGN_OR_RETURN(std::string config_bytes,
                   Annotate(oci::ReadSmallBlob(*image.source, image.manifest.config),
                            context));
  ASSIGN_OR_RETURN(image.config, Annotate(oci::ParseConfig(config_bytes), context));
  return image;
}

absl::StatusOr<BaseImage> LoadBase(const oci::ImageReference& ref,
                                   const std::optional<oci::Platform>& platform,
                                   registry::RegistrySession& registries,
                                   const fs::path& temp_dir) {
  BaseImage base;
  base.ref = ref;
  const oci::Platform wanted = platform.value_or(oci::HostPlatform());
  if (ref.transport == oci::Transport::kScratch) {
    base.config.platform = wanted;
    return base;
  }
  const std::string context = absl::StrCat("reading base image ", ref.ToString());
  ASSIGN_OR_RETURN(OpenedImage image, OpenImage(ref, wanted, context, registries, temp_dir));
  if (image.config.diff_ids.size() != image.manifest.layers.size()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: the config lists %d layers but the manifest %d", context,
        image.config.diff_ids.size(), image.manifest.layers.size()));
  }
  base.source = std::move(image.source);
  base.config = std::move(image.config);
  for (oci::Descriptor layer : image.manifest.layers) {
    layer.media_type = OciLayerType(layer.media_type);
    base.layers.push_back(std::move(layer));
  }
  return base;
}

std::string FormatCreated(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

fs::path StagingParent(const std::vector<oci::ImageReference>& dests,
                       const fs::path& temp_dir) {
  for (const oci::ImageReference& dest : dests) {
    if (dest.transport == oci::Transport::kOci ||
        dest.transport == oci::Transport::kDockerArchive) {
      return fs::path(dest.path).parent_path();
    }
  }
  // As oci::OpenImageSource does: never the working directory.
  return temp_dir.empty() ? fs::path("/tmp") : temp_dir;
}

absl::StatusOr<StagingDir> StagingDir::Create(const fs::path& parent,
                                              std::string_view prefix) {
  std::string pattern = (parent / absl::StrCat(std::string(prefix), "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return ErrnoError(errno, absl::StrCat("creating a staging directory in ",
                                          parent.string()));
  }
  return StagingDir(fs::path(pattern));
}

StagingDir::~StagingDir() {
  if (path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string HistoryEntry(const std::string& created, const std::string& created_by) {
  // One line, invalid UTF-8 replaced, as every JSON cook writes.
  return JsonLine({{"created", created}, {"created_by", created_by}});
}

oci::Descriptor LayerDescriptor(const layers::LayerBlob& blob) {
  oci::Descriptor d;
  switch (blob.compression) {
    case layers::Compression::kZstd:
      d.media_type = std::string(oci::kOciLayerZstd);
      break;
    case layers::Compression::kGzip:
      d.media_type = std::string(oci::kOciLayerGzip);
      break;
    case layers::Compression::kNone:
      d.media_type = std::string(oci::kOciLayerTar);
      break;
  }
  d.digest = blob.digest;
  d.size = static_cast<int64_t>(blob.size);
  return d;
}

absl::StatusOr<ImageResult> WriteImage(
    BaseImage& base, const oci::ImageConfig& config,
    const std::vector<NewLayer>& new_layers,
    const std::vector<oci::ImageReference>& dests, Progress& progress,
    registry::RegistrySession& registries,
    const std::optional<oci::ImageReference>& mount_from, const SigningKey* sign_key) {
  const std::string config_bytes = oci::SerializeConfig(config);
  oci::Manifest manifest;
  manifest.config.media_type = std::string(oci::kOciConfig);
  manifest.config.digest = layers::Sha256Digest(config_bytes);
  manifest.config.size = static_cast<int64_t>(config_bytes.size());
  manifest.layers = base.layers;
  for (const NewLayer& layer : new_layers) {
    manifest.layers.push_back(layer.descriptor);
  }
  const oci::RawManifest raw = oci::MakeRawManifest(manifest);

  ImageResult result;
  result.manifest = raw;
  result.manifest_digest = raw.digest;
  result.config_digest = manifest.config.digest;
  result.layers = manifest.layers;
  for (const NewLayer& layer : new_layers) {
    if (layer.blob.path.empty()) result.reused.push_back(layer.descriptor.digest);
  }

  for (size_t i = 0; i < dests.size(); ++i) {
    const oci::ImageReference& dest = dests[i];
    const bool last = i + 1 == dests.size();
    const std::string context = absl::StrCat("writing ", dest.ToString());
    RETURN_IF_ERROR(CheckInterrupted());
    ASSIGN_OR_RETURN(std::unique_ptr<oci::ImageDestination> out,
                     Annotate(oci::OpenImageDestination(dest, &registries), context));
    std::vector<oci::BlobToPut> blobs;
    for (const oci::Descriptor& layer : base.layers) {
      oci::BlobToPut blob;
      blob.descriptor = layer;
      blob.open = [&base, &layer] { return base.source->OpenBlob(layer); };
      blobs.push_back(std::move(blob));
    }
    for (const NewLayer& layer : new_layers) {
      oci::BlobToPut blob;
      blob.descriptor = layer.descriptor;
      if (layer.blob.path.empty()) {
        blob.open = layer.open;
      } else {
        blob.file = layer.blob.path;
        blob.take_file = last;
      }
      blobs.push_back(std::move(blob));
    }
    oci::BlobToPut config_blob;
    config_blob.descriptor = manifest.config;
    config_blob.open = [&config_bytes]() -> absl::StatusOr<std::unique_ptr<ByteSource>> {
      return std::make_unique<StringSource>(config_bytes);
    };
    blobs.push_back(std::move(config_blob));
    std::vector<oci::Descriptor> descriptors;
    for (const oci::BlobToPut& blob : blobs) descriptors.push_back(blob.descriptor);
    oci::PutBlobsOptions put_options = BlobProgress(progress, dest.ToString(), descriptors);
    if (mount_from.has_value()) {
      put_options.mount_from = mount_from;
    } else if (base.ref.transport == oci::Transport::kDocker) {
      put_options.mount_from = base.ref;
    }
    RETURN_IF_ERROR(Annotate(oci::PutBlobs(*out, blobs, put_options), context));
    progress.End();
    if (sign_key != nullptr) {
      RETURN_IF_ERROR(SignImage(dest, raw.digest, *sign_key, registries, {}, progress));
    }
    RETURN_IF_ERROR(Annotate(out->PutManifest(raw), context));
    RETURN_IF_ERROR(CheckInterrupted());
    RETURN_IF_ERROR(Annotate(out->Commit(), context));
    progress.Step(absl::StrCat("wrote ", dest.ToString(), " ", raw.digest));
    result.destinations.push_back(dest.ToString());
  }
  return result;
}

oci::PutBlobsOptions BlobProgress(Progress& progress, const std::string& where,
                                  const std::vector<oci::Descriptor>& blobs) {
  uint64_t total_bytes = 0;
  for (const oci::Descriptor& d : blobs) total_bytes += static_cast<uint64_t>(d.size);
  progress.Begin(absl::StrCat("copying blobs to ", where), total_bytes);
  struct Counts {
    size_t blobs = 0;
    uint64_t bytes = 0;
  };
  auto counts = std::make_shared<Counts>();
  const size_t total = blobs.size();
  oci::PutBlobsOptions options;
  // Called serialised by PutBlobs. A terminal gets one live line; a log gets
  // a line per blob copied or mounted.
  options.on_blob = [&progress, where, total, counts](const oci::Descriptor& d,
                                                       oci::BlobOutcome outcome) {
    ++counts->blobs;
    counts->bytes += static_cast<uint64_t>(d.size);
    progress.Update(counts->bytes);
    if (outcome == oci::BlobOutcome::kPresent || progress.interactive()) return;
    progress.Step(absl::StrFormat(
        "%s %s (%s) %s %s [%d/%d]",
        outcome == oci::BlobOutcome::kMounted ? "mounted" : "copied", d.digest,
        HumanBytes(static_cast<uint64_t>(d.size)),
        outcome == oci::BlobOutcome::kMounted ? "into" : "to", where, counts->blobs, total));
  };
  return options;
}

}  // namespace cook::cache
