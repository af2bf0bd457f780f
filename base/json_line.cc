#include "base/json_line.h"

namespace cook {

std::string JsonLine(const nlohmann::json& doc) {
  return doc.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

}  // namespace cook
