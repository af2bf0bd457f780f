// Throughput of each layer stage on its own (tar, zstd, gzip, SHA-256) and
// of the whole WriteLayer / ExtractLayer pipelines.
//
//   bazel run -c opt //benchmarks:layers_benchmark
//   bazel run -c opt //benchmarks:layers_benchmark -- --benchmark_filter=Zstd

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/io.h"
#include "benchmark/benchmark.h"
#include "layers/compressor.h"
#include "layers/digest.h"
#include "layers/extractor.h"
#include "layers/layer_writer.h"
#include "layers/tar_writer.h"

namespace cook::layers {
namespace {

namespace fs = std::filesystem;

constexpr size_t kCorpusBytes = 32 << 20;

class NullSink : public ByteSink {
 public:
  absl::Status Write(std::string_view) override { return absl::OkStatus(); }
};

// Build artifacts are mostly machine code and symbol tables; the host's own
// shared libraries are the closest stand-in that needs no network. Falls
// back to synthetic data of similar entropy when there are none.
const std::string& Corpus() {
  static const std::string corpus = [] {
    std::string out;
    std::vector<fs::path> libs;
    std::error_code ec;
    for (const char* dir :
         {"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu"}) {
      for (const auto& e : fs::directory_iterator(dir, ec)) {
        const std::string name = e.path().filename().string();
        if (name.find(".so") != std::string::npos && e.is_regular_file(ec) &&
            !e.is_symlink(ec)) {
          libs.push_back(e.path());
        }
      }
    }
    std::sort(libs.begin(), libs.end());
    for (const fs::path& lib : libs) {
      if (out.size() >= kCorpusBytes) break;
      std::ifstream in(lib, std::ios::binary);
      std::string data(std::min<size_t>(4 << 20, kCorpusBytes - out.size()),
                       '\0');
      in.read(data.data(), static_cast<std::streamsize>(data.size()));
      out.append(data.data(), static_cast<size_t>(in.gcount()));
    }
    std::mt19937 rng(7);
    while (out.size() < kCorpusBytes)
      out.push_back(static_cast<char>(rng() % 48));
    return out;
  }();
  return corpus;
}

// A target-like tree, made once per run: a few large rlibs and many small
// fingerprint files. Removed at exit.
struct Tree {
  Tree() {
    const char* tmpdir = std::getenv("TMPDIR");
    std::string pattern = absl::StrCat(tmpdir != nullptr ? tmpdir : "/tmp",
                                       "/cook-layers-benchmark.XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    root = pattern;
    const std::string& corpus = Corpus();
    const size_t big = corpus.size() / 16;
    for (size_t i = 0; i < 16; ++i) {
      Write(root / "debug/deps" / absl::StrCat("libcrate", i, ".rlib"),
            std::string_view(corpus).substr(i * big, big));
    }
    for (int i = 0; i < 2000; ++i) {
      Write(root / "debug/.fingerprint" / absl::StrCat("crate-", i / 10) /
                absl::StrCat("lib-", i),
            std::string_view(corpus).substr(static_cast<size_t>(i) * 97, 500));
    }
  }
  ~Tree() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  static void Write(const fs::path& path, std::string_view data) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary)
        .write(data.data(), static_cast<std::streamsize>(data.size()));
  }
  static const Tree& Get() {
    static const Tree tree;
    return tree;
  }
  fs::path root;
};

std::vector<std::pair<fs::path, std::string>> TreeFiles(const fs::path& root) {
  std::vector<std::pair<fs::path, std::string>> files;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file())
      files.emplace_back(e.path(), fs::relative(e.path(), root).string());
  }
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
    return ArchivePathLess(a.second, b.second);
  });
  return files;
}

// The tar stage alone: reading files and framing them, into a null sink.
// Parent directories are left out; only the file entries are timed.
void BM_TarStage(benchmark::State& state) {
  const auto files = TreeFiles(Tree::Get().root);
  uint64_t bytes = 0;
  for (auto _ : state) {
    NullSink sink;
    absl::StatusOr<TarWriter> tar =
        TarWriter::Create(&sink, absl::FromUnixSeconds(1));
    if (!tar.ok()) return state.SkipWithError(tar.status().ToString().c_str());
    for (const auto& [path, name] : files) {
      absl::Status s = tar->AddFile(path, name);
      if (!s.ok()) return state.SkipWithError(s.ToString().c_str());
    }
    if (!tar->Finish().ok()) return state.SkipWithError("finish");
    bytes += tar->bytes_written();
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_TarStage)->Unit(benchmark::kMillisecond);

void Compress(benchmark::State& state, Compression c, int level, int threads) {
  const std::string& data = Corpus();
  const CompressorOptions options{
      .compression = c, .level = level, .threads = threads};
  for (auto _ : state) {
    NullSink null;
    auto compressor = NewCompressor(options, &null);
    if (!compressor.ok()) {
      return state.SkipWithError(compressor.status().ToString().c_str());
    }
    for (size_t i = 0; i < data.size(); i += 1 << 20) {
      if (!(*compressor)
               ->Write(std::string_view(data).substr(i, 1 << 20))
               .ok()) {
        return state.SkipWithError("write");
      }
    }
    if (!(*compressor)->Close().ok()) return state.SkipWithError("close");
  }
  // The ratio, once, outside the timed loop.
  std::string out;
  StringSink sink(&out);
  auto compressor = NewCompressor(options, &sink);
  if (!compressor.ok() || !(*compressor)->Write(data).ok() ||
      !(*compressor)->Close().ok()) {
    return state.SkipWithError("compressing for the ratio");
  }
  state.counters["ratio"] =
      static_cast<double>(data.size()) / static_cast<double>(out.size());
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * data.size()));
}

void BM_ZstdCompress(benchmark::State& state) {
  Compress(state, Compression::kZstd, static_cast<int>(state.range(0)),
           static_cast<int>(state.range(1)));
}
BENCHMARK(BM_ZstdCompress)
    ->ArgNames({"level", "threads"})
    ->Args({1, 1})
    ->Args({3, 1})
    ->Args({3, 2})
    ->Args({9, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_GzipCompress(benchmark::State& state) {
  Compress(state, Compression::kGzip, static_cast<int>(state.range(0)), 1);
}
BENCHMARK(BM_GzipCompress)
    ->ArgNames({"level"})
    ->Arg(1)
    ->Arg(6)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_Sha256(benchmark::State& state) {
  const std::string& data = Corpus();
  for (auto _ : state) {
    Sha256 sha;
    for (size_t i = 0; i < data.size(); i += 1 << 20) {
      sha.Update(std::string_view(data).substr(i, 1 << 20));
    }
    benchmark::DoNotOptimize(sha.Finish());
  }
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_Sha256)->Unit(benchmark::kMillisecond);

void BM_ZstdDecompress(benchmark::State& state) {
  const std::string& data = Corpus();
  std::string compressed;
  StringSink sink(&compressed);
  auto compressor = NewCompressor({.compression = Compression::kZstd}, &sink);
  (void)(*compressor)->Write(data);
  (void)(*compressor)->Close();
  std::vector<char> buffer(1 << 20);
  for (auto _ : state) {
    StringSource in(compressed);
    auto source = NewDecompressor(&in);
    if (!source.ok()) return state.SkipWithError("decompressor");
    while (true) {
      absl::StatusOr<size_t> n = (*source)->Read(buffer.data(), buffer.size());
      if (!n.ok()) return state.SkipWithError(n.status().ToString().c_str());
      if (*n == 0) break;
    }
  }
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_ZstdDecompress)->Unit(benchmark::kMillisecond);

// The whole pipeline: walk, tar, hash, compress, hash, write, rename.
void BM_WriteLayer(benchmark::State& state) {
  const fs::path root = Tree::Get().root;
  const fs::path blob =
      root.parent_path() / (root.filename().string() + ".blob");
  uint64_t bytes = 0;
  for (auto _ : state) {
    std::error_code ec;
    fs::remove(blob, ec);
    LayerOptions options;
    options.compressor.threads = static_cast<int>(state.range(0));
    absl::StatusOr<LayerBlob> layer =
        WriteLayer({.source = root}, blob, options);
    if (!layer.ok())
      return state.SkipWithError(layer.status().ToString().c_str());
    bytes += layer->uncompressed_size;
  }
  std::error_code ec;
  fs::remove(blob, ec);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_WriteLayer)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// `cook restore`: decompress and extract into an existing tree.
void BM_ExtractLayer(benchmark::State& state) {
  const fs::path root = Tree::Get().root;
  const fs::path blob =
      root.parent_path() / (root.filename().string() + ".restore-blob");
  const fs::path dest =
      root.parent_path() / (root.filename().string() + ".restore");
  std::error_code ec;
  fs::remove(blob, ec);
  absl::StatusOr<LayerBlob> layer =
      WriteLayer({.source = root}, blob, LayerOptions());
  if (!layer.ok())
    return state.SkipWithError(layer.status().ToString().c_str());
  fs::create_directories(dest);
  for (auto _ : state) {
    absl::StatusOr<std::unique_ptr<FileSource>> in = FileSource::Open(blob);
    if (!in.ok()) return state.SkipWithError("open");
    absl::Status s = ExtractLayer(**in, dest);
    if (!s.ok()) return state.SkipWithError(s.ToString().c_str());
  }
  fs::remove(blob, ec);
  fs::remove_all(dest, ec);
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * layer->uncompressed_size));
}
BENCHMARK(BM_ExtractLayer)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace cook::layers
