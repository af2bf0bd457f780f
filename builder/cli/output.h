#ifndef COOK_BUILDER_CLI_OUTPUT_H_
#define COOK_BUILDER_CLI_OUTPUT_H_

// JSON that commands print or store. Its strings may come from anywhere
// (paths, references, image configs, cargo), so they may hold any bytes.

#include <string>

#include "nlohmann/json.hpp"

namespace cook::cli {

// `doc` as one line of JSON. Invalid UTF-8 in its strings becomes U+FFFD
// (nlohmann's `replace` handler) where nlohmann would otherwise throw; control
// characters are escaped as JSON requires, so the result is one line.
std::string JsonLine(const nlohmann::json& doc);

}  // namespace cook::cli

#endif  // COOK_BUILDER_CLI_OUTPUT_H_
