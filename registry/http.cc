#include "registry/http.h"

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "registry/internal/curl_api.h"

namespace cook::registry {

std::optional<std::string> FindHeader(const HttpHeaders& headers,
                                      std::string_view name) {
  const absl::string_view wanted(name.data(), name.size());
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, wanted)) return value;
  }
  return std::nullopt;
}

std::string QueryEscape(std::string_view text) {
  // curl takes a length of 0 to mean "NUL-terminated".
  if (text.empty()) return std::string();
  // The HTTP client has loaded libcurl already; LoadCurl() fails only where
  // there is no libcurl at all, and then no request is ever sent.
  if (!internal::LoadCurl().ok()) return std::string(text);
  std::unique_ptr<char, internal::CurlFreeDeleter> escaped(
      internal::Curl().easy_escape(nullptr, text.data(),
                                   static_cast<int>(text.size())));
  return escaped == nullptr ? std::string() : std::string(escaped.get());
}

std::string WithQuery(std::string_view url, std::string_view query) {
  const bool has_query = url.find('?') != std::string_view::npos;
  return absl::StrCat(absl::string_view(url.data(), url.size()),
                      has_query ? "&" : "?",
                      absl::string_view(query.data(), query.size()));
}

std::string DisplayHost(std::string_view url) {
  if (!internal::LoadCurl().ok()) return "the registry";
  internal::CurlUrl parsed(internal::Curl().url());
  if (parsed == nullptr ||
      internal::Curl().url_set(
          parsed.get(), CURLUPART_URL, std::string(url).c_str(),
          CURLU_NON_SUPPORT_SCHEME | CURLU_DEFAULT_SCHEME) != CURLUE_OK) {
    return "the registry";
  }
  const std::string authority = internal::Authority(parsed.get());
  return authority.empty() ? std::string("the registry") : authority;
}

}  // namespace cook::registry
