#include "registry/image_transport.h"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/io.h"
#include "base/status_macros.h"
#include "oci/blob_io.h"
#include "oci/index_walk.h"
#include "registry/client.h"
#include "layers/digest.h"

namespace cook::registry::internal {
namespace {

using oci::Descriptor;
using oci::ImageDestination;
using oci::ImageReference;
using oci::ImageSource;
using oci::Platform;
using oci::RawManifest;
using oci::internal::NewVerifyingSource;
using oci::DetectMediaType;
using oci::IsIndexMediaType;
using oci::IsManifestMediaType;
using oci::WalkToManifest;

// A download runs at most this far ahead of its reader.
constexpr size_t kPipeCapacity = size_t{8} << 20;
// The reader waits for this much (or the end), and the download for this
// much room, rather than waking up for every network chunk (16 KiB).
constexpr size_t kWakeBytes = size_t{1} << 20;

std::vector<std::string> AcceptedManifestTypes() {
  return {std::string(oci::kOciManifest), std::string(oci::kOciIndex),
          std::string(oci::kDockerManifest), std::string(oci::kDockerManifestList)};
}

// A bounded in-memory pipe: the download thread writes, the reader reads.
class Pipe {
 public:
  // Producer side. Blocks while full; fails once the reader has gone.
  absl::Status Write(std::string_view data) {
    std::unique_lock<std::mutex> lock(mu_);
    while (!data.empty()) {
      room_.wait(lock, [&] { return closed_by_reader_ || size_ < kPipeCapacity; });
      if (closed_by_reader_) return absl::CancelledError("the reader stopped");
      const size_t n = std::min(data.size(), kPipeCapacity - size_);
      chunks_.emplace_back(data.substr(0, n));
      size_ += n;
      data.remove_prefix(n);
      if (size_ >= kWakeBytes) filled_.notify_all();
    }
    return absl::OkStatus();
  }
  void Finish(absl::Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    finished_ = true;
    status_ = std::move(status);
    filled_.notify_all();
  }
  // Reader side: up to `n` bytes, as many as are buffered.
  absl::StatusOr<size_t> Read(char* buffer, size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    const size_t enough = std::max<size_t>(1, std::min(n, kWakeBytes));
    filled_.wait(lock, [&] { return size_ >= enough || finished_; });
    if (chunks_.empty()) {
      if (!status_.ok()) return status_;
      return 0;
    }
    size_t copied = 0;
    while (copied < n && !chunks_.empty()) {
      std::string& front = chunks_.front();
      const size_t take = std::min(n - copied, front.size() - front_offset_);
      std::memcpy(buffer + copied, front.data() + front_offset_, take);
      copied += take;
      front_offset_ += take;
      if (front_offset_ == front.size()) {
        chunks_.pop_front();
        front_offset_ = 0;
      }
    }
    size_ -= copied;
    if (size_ + kWakeBytes <= kPipeCapacity) room_.notify_all();
    return copied;
  }
  void CloseReader() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_by_reader_ = true;
    room_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable filled_;  // the reader waits on it
  std::condition_variable room_;    // the download waits on it
  std::deque<std::string> chunks_;
  size_t front_offset_ = 0;
  size_t size_ = 0;
  bool finished_ = false;
  bool closed_by_reader_ = false;
  absl::Status status_;
};

class PipeSink : public ByteSink {
 public:
  explicit PipeSink(Pipe& pipe) : pipe_(pipe) {}
  absl::Status Write(std::string_view data) override { return pipe_.Write(data); }

 private:
  Pipe& pipe_;
};

// Reads a blob while a thread downloads it.
class DownloadSource : public ByteSource {
 public:
  DownloadSource(RegistryClient& client, std::string repo,
                 std::string digest) {
    thread_ = std::thread([this, &client, repo = std::move(repo),
                           digest = std::move(digest)] {
      PipeSink sink(pipe_);
      pipe_.Finish(client.GetBlob(repo, digest, sink));
    });
  }
  ~DownloadSource() override {
    pipe_.CloseReader();
    thread_.join();
  }
  absl::StatusOr<size_t> Read(char* buffer, size_t n) override {
    return pipe_.Read(buffer, n);
  }

 private:
  Pipe pipe_;
  std::thread thread_;
};

std::string Display(const ImageReference& ref) { return ref.ToString(); }

class RegistrySource : public ImageSource {
 public:
  RegistrySource(ImageReference ref, RegistryClient& client)
      : ref_(std::move(ref)), client_(client) {}

  absl::StatusOr<RawManifest> GetManifest(const Platform& platform) override {
    ASSIGN_OR_RETURN(RawManifest top,
                     Fetch(ref_.digest.empty() ? ref_.tag : ref_.digest));
    return WalkToManifest(
        std::move(top), platform,
        [this](const Descriptor& d) { return Fetch(d.digest); },
        absl::StrFormat("reading %s", Display(ref_)));
  }

  absl::StatusOr<std::unique_ptr<ByteSource>> OpenBlob(
      const Descriptor& descriptor) override {
    RETURN_IF_ERROR(layers::ValidateDigest(descriptor.digest));
    return NewVerifyingSource(
        std::make_unique<DownloadSource>(client_, ref_.repository, descriptor.digest),
        descriptor,
        absl::StrFormat("blob %s from %s", descriptor.digest, Display(ref_)));
  }

 private:
  // The manifest or index `reference` (a tag or digest) names.
  absl::StatusOr<RawManifest> Fetch(const std::string& reference) {
    ASSIGN_OR_RETURN(FetchedManifest fetched,
                     client_.GetManifest(ref_.repository, reference,
                                         AcceptedManifestTypes()));
    std::string media_type = fetched.media_type;
    if (!IsIndexMediaType(media_type) && !IsManifestMediaType(media_type)) {
      // Some registries answer a generic type: the document's own
      // mediaType says, else its shape.
      ASSIGN_OR_RETURN(media_type,
                       Annotate(DetectMediaType(fetched.bytes),
                                absl::StrFormat("reading %s", Display(ref_))));
    }
    return RawManifest{std::move(fetched.bytes), std::move(media_type),
                       std::move(fetched.digest)};
  }

  ImageReference ref_;
  RegistryClient& client_;
};

class RegistryDestination : public ImageDestination {
 public:
  RegistryDestination(ImageReference ref, RegistryClient& client,
                      int parallel)
      : ref_(std::move(ref)), client_(client), parallel_(parallel) {}

  absl::StatusOr<bool> HasBlob(const Descriptor& descriptor) override {
    ASSIGN_OR_RETURN(std::optional<int64_t> size,
                     client_.StatBlob(ref_.repository, descriptor.digest));
    return size.has_value();
  }

  absl::StatusOr<bool> MountBlob(const Descriptor& descriptor,
                                 const ImageReference& from) override {
    if (from.transport != oci::Transport::kDocker || from.registry != ref_.registry ||
        from.repository == ref_.repository) {
      return false;
    }
    return client_.MountBlob(ref_.repository, descriptor.digest, from.repository);
  }

  int MaxParallelBlobs() const override { return parallel_; }

  absl::Status PutBlob(const Descriptor& descriptor, ByteSource& data) override {
    RETURN_IF_ERROR(layers::ValidateDigest(descriptor.digest));
    // The registry verifies the digest; the size is checked as it is read.
    return client_.PutBlob(ref_.repository, descriptor.digest, descriptor.size, data);
  }

  absl::Status PutBlobFile(const Descriptor& descriptor,
                           const std::filesystem::path& file, bool take) override {
    ASSIGN_OR_RETURN(std::unique_ptr<FileSource> source, FileSource::Open(file));
    return PutBlob(descriptor, *source);
  }

  absl::Status PutManifest(const RawManifest& manifest) override {
    if (!ref_.digest.empty() && ref_.digest != manifest.digest) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "writing %s: the image's digest is %s, not the one the reference pins",
          Display(ref_), manifest.digest));
    }
    manifest_ = manifest;
    return absl::OkStatus();
  }

  absl::Status Commit() override {
    if (!manifest_.has_value()) {
      return absl::FailedPreconditionError(
          absl::StrFormat("writing %s: no manifest was put", Display(ref_)));
    }
    const std::string reference = ref_.digest.empty() ? ref_.tag : ref_.digest;
    return client_.PutManifest(ref_.repository, reference, manifest_->bytes,
                               manifest_->media_type);
  }

 private:
  ImageReference ref_;
  RegistryClient& client_;
  int parallel_;
  std::optional<RawManifest> manifest_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ImageSource>> OpenRegistrySource(const ImageReference& ref,
                                                               RegistryClient& client) {
  return std::make_unique<RegistrySource>(ref, client);
}

absl::StatusOr<std::unique_ptr<ImageDestination>> OpenRegistryDestination(
    const ImageReference& ref, RegistryClient& client, int max_parallel_blobs) {
  return std::make_unique<RegistryDestination>(ref, client, std::max(1, max_parallel_blobs));
}

}  // namespace cook::registry::internal
