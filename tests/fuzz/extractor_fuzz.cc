// The layer extractor on arbitrary bytes (plain, gzip or zstd tar streams),
// as `cook restore` feeds it layers from images. The first byte picks the
// options (bit 0: strip_prefix "build/target"; bit 1: keep_mtimes); the rest
// is the stream.
//
// Layout: root/dest is the destination, root/outside a sibling directory,
// and kCanary an absolute directory, both for inputs to aim symlinks and
// hardlinks at ("../outside/x", "/tmp/cook-fuzz-canary/x").
//
// Checks: nothing appears in root but dest, nothing in outside or the canary,
// and dest holds no device node, FIFO or socket, whether the extraction
// succeeded or failed.

#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>

#include "base/io.h"
#include "layers/extractor.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

constexpr char kCanary[] = "/tmp/cook-fuzz-canary";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cook;
  namespace fs = std::filesystem;
  if (size == 0) return 0;
  const fs::path root = fuzz::ProcessTempDir() / "extract";
  fuzz::ResetDir(root / "dest");
  fuzz::ResetDir(root / "outside");
  std::error_code ec;
  fs::create_directories(kCanary, ec);
  const std::vector<std::string> canary_before = fuzz::ListTree(kCanary);

  layers::ExtractOptions options;
  if (data[0] & 1) options.strip_prefix = "build/target";
  options.keep_mtimes = (data[0] & 2) != 0;
  StringSource in(fuzz::AsText(data + 1, size - 1));
  (void)layers::ExtractLayer(in, root / "dest", options);

  for (const std::string& entry : fuzz::ListTree(root)) {
    fuzz::Check(fuzz::IsUnder(entry, "dest") || entry == "outside",
                "the extractor wrote outside its destination", entry);
    if (!fuzz::IsUnder(entry, "dest")) continue;
    struct stat st;
    fuzz::Check(lstat((root / entry).c_str(), &st) == 0, "lstat", entry);
    fuzz::Check(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode),
                "the extractor created a special file", entry);
  }
  fuzz::Check(fuzz::ListTree(kCanary) == canary_before,
              "the extractor wrote through an absolute link",
              std::string(kCanary));
  return 0;
}
