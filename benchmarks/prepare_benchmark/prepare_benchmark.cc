// chef::Prepare on the corpus workspaces (Google Benchmark), and a one-shot
// mode that stands in for `cook prepare` in benchmarks/prepare_compare.sh.
//
// usage: prepare_benchmark [--corpus=DIR] [benchmark flags]
//        prepare_benchmark --once MANIFEST_PATH RECIPE_PATH

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "base/files.h"
#include "benchmark/benchmark.h"
#include "chef/prepare.h"
#include "chef/recipe.h"

namespace {

namespace fs = std::filesystem;

fs::path corpus_dir;

void BM_Prepare(benchmark::State& state, const char* workspace) {
  const fs::path dir = corpus_dir / workspace;
  for (auto _ : state) {
    absl::StatusOr<cook::chef::Recipe> recipe = cook::chef::Prepare({dir, ""});
    if (!recipe.ok()) {
      state.SkipWithError(std::string(recipe.status().message()).c_str());
      return;
    }
    std::string bytes = cook::chef::SerializeRecipe(*recipe);
    benchmark::DoNotOptimize(cook::chef::RecipeDigest(bytes));
  }
}
BENCHMARK_CAPTURE(BM_Prepare, tokio, "tokio")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Prepare, ripgrep, "ripgrep")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Prepare, cargo_chef, "cargo-chef")
    ->Unit(benchmark::kMillisecond);

int Once(const fs::path& manifest, const fs::path& recipe_path) {
  absl::StatusOr<cook::chef::Recipe> recipe =
      cook::chef::Prepare({fs::absolute(manifest), ""});
  if (!recipe.ok()) {
    std::cerr << "prepare_benchmark: error: " << recipe.status().message()
              << "\n";
    return 1;
  }
  absl::Status written = cook::WriteFileAtomically(
      recipe_path, cook::chef::SerializeRecipe(*recipe));
  if (!written.ok()) {
    std::cerr << "prepare_benchmark: error: " << written.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--once")
    return Once(argv[2], argv[3]);
  if (const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY")) {
    corpus_dir = fs::path(workspace).parent_path() / "shared" / "corpus";
  }
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--corpus=", 0) == 0) corpus_dir = arg.substr(9);
  }
  if (corpus_dir.empty() || !fs::is_directory(corpus_dir)) {
    std::cerr << "prepare_benchmark: corpus not found; pass --corpus=DIR\n";
    return 2;
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
