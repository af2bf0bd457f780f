// main() for fuzz targets built without libFuzzer (the ordinary and the
// --config=asan builds): runs LLVMFuzzerTestOneInput once on every file named
// on the command line, or every file below a named directory, so that corpora
// and kept crash inputs replay as a test. A missing argument is skipped (an
// empty regressions/ directory has no files for Bazel to ship).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc,
                                                          char*** argv);

namespace {

std::vector<std::filesystem::path> InputsBelow(const std::filesystem::path& p) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  if (std::filesystem::is_directory(p, ec)) {
    for (const auto& entry :
         std::filesystem::recursive_directory_iterator(p, ec)) {
      if (entry.is_regular_file()) out.push_back(entry.path());
    }
  } else if (std::filesystem::is_regular_file(p, ec)) {
    out.push_back(p);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  size_t runs = 0;
  for (int i = 1; i < argc; ++i) {
    for (const std::filesystem::path& file : InputsBelow(argv[i])) {
      std::ifstream in(file, std::ios::binary);
      const std::string data((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
      std::fprintf(stderr, "running %s (%zu bytes)\n", file.c_str(),
                   data.size());
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()),
                             data.size());
      ++runs;
    }
  }
  std::fprintf(stderr, "ran %zu inputs\n", runs);
  return 0;
}
