#ifndef COOK_BUILDER_CLI_LABELS_H_
#define COOK_BUILDER_CLI_LABELS_H_

// The labels `cook build` writes and `cook restore` and the up-to-date check
// read.

namespace cook::cli {

inline constexpr char kLabelRecipeDigest[] = "dev.cook.recipe.digest";
inline constexpr char kLabelCargoOptions[] = "dev.cook.cargo.options";
inline constexpr char kLabelRustcVersion[] = "dev.cook.rustc.version";
inline constexpr char kLabelCargoVersion[] = "dev.cook.cargo.version";
inline constexpr char kLabelTargets[] = "dev.cook.targets";
// Where the target directory and the cargo home are in the image.
inline constexpr char kLabelTargetDir[] = "dev.cook.target-dir";
inline constexpr char kLabelCargoHome[] = "dev.cook.cargo-home";
// Comma-separated diff_ids of the layers holding each.
inline constexpr char kLabelTargetLayers[] = "dev.cook.layers.target";
inline constexpr char kLabelCargoHomeLayers[] = "dev.cook.layers.cargo-home";

}  // namespace cook::cli

#endif  // COOK_BUILDER_CLI_LABELS_H_
