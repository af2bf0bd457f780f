#ifndef COOK_BASE_JSON_LINE_H_
#define COOK_BASE_JSON_LINE_H_

// The one way cook serialises JSON it writes or prints (image configs and
// manifests, history entries, --json output). Its strings may come from
// anywhere (paths, references, image configs, cargo), so they may hold any
// bytes.

#include <string>

#include "nlohmann/json.hpp"

namespace cook {

// `doc` as one line of compact JSON, keys in nlohmann's (sorted) order.
// Invalid UTF-8 in its strings becomes U+FFFD (nlohmann's `replace` handler)
// where nlohmann would otherwise throw; control characters are escaped as
// JSON requires, so the result is one line.
std::string JsonLine(const nlohmann::json& doc);

}  // namespace cook

#endif  // COOK_BASE_JSON_LINE_H_
