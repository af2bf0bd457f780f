// Workspaces to recipe to skeleton: `cook prepare` and `cook skeleton` on a
// workspace written from the input. The input is a set of files (see
// SplitSections: "@@ Cargo.toml", "@@ crates/a/Cargo.toml", "@@ Cargo.lock",
// "@@ .cargo/config.toml", "@@ src/main.rs", ...); the first section whose
// name ends in Cargo.toml is the manifest prepared.
//
// Checks: Prepare writes nothing; a recipe Prepare returns serialises to
// JSON that ParseRecipe accepts and returns unchanged; WriteSkeleton accepts
// it and writes only inside its output directory.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "chef/prepare.h"
#include "chef/recipe.h"
#include "chef/skeleton.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cook;
  namespace fs = std::filesystem;
  const std::vector<fuzz::FileSection> sections =
      fuzz::SplitSections(fuzz::AsText(data, size));
  const fs::path root = fuzz::ProcessTempDir() / "prepare";
  const fs::path ws = root / "ws";
  fuzz::ResetDir(root);
  fuzz::ResetDir(ws);
  std::string manifest;
  for (const fuzz::FileSection& section : sections) {
    fuzz::WriteFile(ws / section.path, section.contents);
    if (manifest.empty() && fs::path(section.path).filename() == "Cargo.toml") {
      manifest = section.path;
    }
  }
  if (manifest.empty()) return 0;
  const std::vector<std::string> before = fuzz::ListTree(root);

  absl::StatusOr<chef::Recipe> recipe = chef::Prepare(
      {.manifest_path = (ws / manifest).lexically_normal(), .bin = ""});
  fuzz::Check(fuzz::ListTree(root) == before, "Prepare wrote files");
  if (!recipe.ok()) return 0;

  const std::string json = chef::SerializeRecipe(*recipe);
  absl::StatusOr<chef::Recipe> parsed = chef::ParseRecipe(json, "recipe.json");
  fuzz::CheckOk(parsed.status(), "ParseRecipe refuses Prepare's recipe");
  fuzz::Check(*parsed == *recipe, "ParseRecipe changes Prepare's recipe",
              json);

  const fs::path out = root / "out";
  absl::Status written = chef::WriteSkeleton(*recipe, out);
  fuzz::CheckOk(written, "WriteSkeleton refuses Prepare's recipe");
  for (const std::string& entry : fuzz::ListTree(root)) {
    fuzz::Check(fuzz::IsUnder(entry, "ws") || fuzz::IsUnder(entry, "out"),
                "WriteSkeleton wrote outside its output directory", entry);
  }
  return 0;
}
