// Debugging aid: prints the recipe of a workspace, and writes its skeleton.
// usage: chef_dump MANIFEST_PATH [--bin NAME] [SKELETON_DIR]

#include <iostream>
#include <string>

#include "chef/prepare.h"
#include "chef/recipe.h"
#include "chef/skeleton.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: chef_dump MANIFEST_PATH [--bin NAME] [SKELETON_DIR]\n";
    return 2;
  }
  cook::chef::PrepareOptions options{argv[1], ""};
  int i = 2;
  if (argc > 3 && std::string(argv[2]) == "--bin") {
    options.bin = argv[3];
    i = 4;
  }
  absl::StatusOr<cook::chef::Recipe> recipe = cook::chef::Prepare(options);
  if (!recipe.ok()) {
    std::cerr << "error: " << recipe.status().message() << "\n";
    return 1;
  }
  const std::string bytes = cook::chef::SerializeRecipe(*recipe);
  std::cout << bytes;
  std::cerr << cook::chef::RecipeDigest(bytes) << "\n";
  if (i < argc) {
    absl::Status status = cook::chef::WriteSkeleton(*recipe, argv[i]);
    if (!status.ok()) {
      std::cerr << "error: " << status.message() << "\n";
      return 1;
    }
  }
  return 0;
}
