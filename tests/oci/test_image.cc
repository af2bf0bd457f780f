#include "tests/oci/test_image.h"

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/strings/str_format.h"
#include "base/io.h"
#include "base/status_macros.h"
#include "layers/digest.h"

namespace cook::oci::testing {
namespace {

void PutOctal(char* field, size_t width, uint64_t value) {
  std::string s = absl::StrFormat("%0*o", static_cast<int>(width - 1), value);
  std::memcpy(field, s.data(), width - 1);
  field[width - 1] = '\0';
}

}  // namespace

std::string MakeTar(const std::vector<TarEntry>& entries) {
  std::string out;
  for (const TarEntry& e : entries) {
    char h[512] = {};
    std::memcpy(h, e.name.data(), std::min<size_t>(e.name.size(), 100));
    PutOctal(h + 100, 8, e.type == '5' ? 0755 : 0644);
    PutOctal(h + 108, 8, 0);
    PutOctal(h + 116, 8, 0);
    PutOctal(h + 124, 12, e.type == '0' ? e.contents.size() : 0);
    PutOctal(h + 136, 12, 0);
    h[156] = e.type;
    std::memcpy(h + 157, e.linkname.data(),
                std::min<size_t>(e.linkname.size(), 100));
    std::memcpy(h + 257,
                "ustar\0"
                "00",
                8);
    std::memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (unsigned char c : h) sum += c;
    PutOctal(h + 148, 7, sum);
    h[155] = ' ';
    out.append(h, sizeof h);
    if (e.type == '0') {
      out += e.contents;
      out.append((512 - e.contents.size() % 512) % 512, '\0');
    }
  }
  out.append(1024, '\0');
  return out;
}

std::string Compress(std::string_view data, layers::Compression compression) {
  std::string out;
  StringSink sink(&out);
  layers::CompressorOptions options;
  options.compression = compression;
  options.threads = 1;
  auto compressor = layers::NewCompressor(options, &sink);
  if (!compressor.ok()) return "compressor failed";
  if (!(*compressor)->Write(data).ok() || !(*compressor)->Close().ok()) {
    return "compression failed";
  }
  return out;
}

TestImage MakeImage(const std::vector<std::string>& file_contents,
                    layers::Compression compression, std::string label) {
  TestImage image;
  image.config.created = "2024-01-02T03:04:05Z";
  image.config.platform = Platform{"linux", "amd64", ""};
  image.config.env = {"PATH=/usr/bin:/bin"};
  image.config.cmd = {"/bin/sh"};
  image.config.working_dir = "/build";
  image.config.labels = {{"test", label}};
  std::string media_type(kOciLayerTar);
  if (compression == layers::Compression::kGzip) media_type = kOciLayerGzip;
  if (compression == layers::Compression::kZstd) media_type = kOciLayerZstd;
  for (size_t i = 0; i < file_contents.size(); ++i) {
    std::string tar = MakeTar(
        {{absl::StrFormat("layer-%d.txt", i), file_contents[i], '0', ""}});
    image.config.diff_ids.push_back(layers::Sha256Digest(tar));
    image.layer_tars.push_back(tar);
    std::string blob = compression == layers::Compression::kNone
                           ? tar
                           : Compress(tar, compression);
    Descriptor d;
    d.media_type = media_type;
    d.digest = layers::Sha256Digest(blob);
    d.size = static_cast<int64_t>(blob.size());
    image.manifest.layers.push_back(d);
    image.layer_blobs.push_back(std::move(blob));
  }
  image.config_json = SerializeConfig(image.config);
  image.manifest.config.media_type = std::string(kOciConfig);
  image.manifest.config.digest = layers::Sha256Digest(image.config_json);
  image.manifest.config.size = static_cast<int64_t>(image.config_json.size());
  image.raw = MakeRawManifest(image.manifest);
  return image;
}

absl::Status WriteImage(ImageDestination& dest, const TestImage& image) {
  StringSource config(image.config_json);
  RETURN_IF_ERROR(dest.PutBlob(image.manifest.config, config));
  for (size_t i = 0; i < image.layer_blobs.size(); ++i) {
    StringSource layer(image.layer_blobs[i]);
    RETURN_IF_ERROR(dest.PutBlob(image.manifest.layers[i], layer));
  }
  RETURN_IF_ERROR(dest.PutManifest(image.raw));
  return dest.Commit();
}

absl::StatusOr<std::string> ReadAll(ImageSource& source, const Descriptor& d) {
  ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> blob, source.OpenBlob(d));
  std::string out;
  StringSink sink(&out);
  RETURN_IF_ERROR(Copy(*blob, sink).status());
  return out;
}

std::vector<std::string> ListFiles(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file()) {
      out.push_back(it->path().lexically_relative(dir).string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

int RunCommand(const std::string& command, std::string* out) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    if (out != nullptr) out->append(buffer, n);
  }
  int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace cook::oci::testing
