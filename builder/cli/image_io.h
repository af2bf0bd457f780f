#ifndef COOK_BUILDER_CLI_IMAGE_IO_H_
#define COOK_BUILDER_CLI_IMAGE_IO_H_

// The image I/O the commands share (cache/image_io.h: opening, staging and
// writing images), plus what only the CLI does with it: a registry session
// that logs through the command's Progress, and printing a written image.

#include <cstdio>
#include <memory>

#include "builder/cli/progress.h"
#include "cache/image_io.h"
#include "registry/session.h"

namespace cook::cli {


// A registry session for a command: its options, with retries and other
// events reported through `progress`.
std::unique_ptr<registry::RegistrySession> NewRegistrySession(
    const registry::RegistryOptions& options, cook::Progress& progress);

// The digest on a line of its own, or with `json` one JSON object.
void PrintImageResult(const cache::ImageResult& result, bool json, std::FILE* out);

}  // namespace cook::cli

#endif  // COOK_BUILDER_CLI_IMAGE_IO_H_
