// docker-archive: tarballs as `cook restore --from docker-archive:...` and
// `cook build --base/--cache-from` read them: the tar index, manifest.json,
// the config, and every layer read to its end (which checks it against the
// config's diff_id). An input that starts with "@@ " is sections
// (SplitSections) that become the archive's members ("@@ manifest.json",
// "@@ config.json", "@@ layer.tar", ...); any other input is the archive
// file itself (plain, gzip or zstd).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "oci/image.h"
#include "oci/reference.h"
#include "oci/transport.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cook;
  const std::string_view text = fuzz::AsText(data, size);
  const std::filesystem::path dir = fuzz::ProcessTempDir() / "docker-archive";
  fuzz::ResetDir(dir);
  const std::filesystem::path file = dir / "image.tar";
  if (text.substr(0, 3) == "@@ ") {
    fuzz::WriteFile(file, fuzz::MakeTar(fuzz::SplitSections(text)));
  } else {
    fuzz::WriteFile(file, text);
  }
  oci::ImageReference ref;
  ref.transport = oci::Transport::kDockerArchive;
  ref.path = file.string();
  absl::StatusOr<std::unique_ptr<oci::ImageSource>> source =
      oci::OpenImageSource(ref);
  if (!source.ok()) return 0;
  absl::StatusOr<oci::RawManifest> raw = (*source)->GetManifest({});
  if (!raw.ok()) return 0;
  absl::StatusOr<oci::Manifest> manifest = oci::ParseManifest(raw->bytes);
  fuzz::Check(manifest.ok(), "the archive's synthesised manifest is invalid",
              raw->bytes);
  (void)oci::ReadSmallBlob(**source, manifest->config);
  for (const oci::Descriptor& layer : manifest->layers) {
    absl::StatusOr<std::unique_ptr<ByteSource>> blob =
        (*source)->OpenBlob(layer);
    if (!blob.ok()) continue;
    char buffer[1 << 14];
    for (;;) {
      absl::StatusOr<size_t> n = (*blob)->Read(buffer, sizeof(buffer));
      if (!n.ok() || *n == 0) break;
    }
  }
  return 0;
}
