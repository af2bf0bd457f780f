// The recipe reader: ParseRecipe on the input (recipe.json, as `cook
// skeleton` and `cook build --recipe-path` read it), then WriteSkeleton.
//
// Checks: an accepted recipe serialises to JSON that parses and serialises
// to the same bytes again; WriteSkeleton writes nothing outside its output
// directory, and when it fails it leaves nothing at all.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "chef/recipe.h"
#include "chef/skeleton.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cook;
  namespace fs = std::filesystem;
  absl::StatusOr<chef::Recipe> recipe =
      chef::ParseRecipe(fuzz::AsText(data, size), "recipe.json");
  if (!recipe.ok()) return 0;

  const std::string json = chef::SerializeRecipe(*recipe);
  absl::StatusOr<chef::Recipe> again = chef::ParseRecipe(json, "again.json");
  fuzz::CheckOk(again.status(), "ParseRecipe refuses SerializeRecipe's output");
  // ParseRecipe accepts lists in any order; SerializeRecipe writes them in
  // one: its output is a fixed point.
  fuzz::Check(chef::SerializeRecipe(*again) == json,
              "SerializeRecipe is not canonical", json.substr(0, 2000));

  // The skeleton goes to root/a/out; a path that escaped would land in
  // root/a or root.
  const fs::path root = fuzz::ProcessTempDir() / "recipe";
  fuzz::ResetDir(root / "a");
  const absl::Status written = chef::WriteSkeleton(*recipe, root / "a" / "out");
  for (const std::string& entry : fuzz::ListTree(root)) {
    const bool inside = entry == "a" || fuzz::IsUnder(entry, "a/out");
    fuzz::Check(inside, "WriteSkeleton wrote outside its output directory",
                entry);
    fuzz::Check(written.ok() || entry == "a",
                "a failed WriteSkeleton left files behind", entry);
  }
  return 0;
}
