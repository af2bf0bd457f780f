#ifndef COOK_REGISTRY_INTERNAL_CURL_API_H_
#define COOK_REGISTRY_INTERNAL_CURL_API_H_

// libcurl, loaded on first use with dlopen instead of linked.
//
// Debian's libcurl brings about thirty shared libraries with it (libssl,
// GSSAPI, LDAP, libssh2, nghttp2, ...). Linked, they load at every start of
// cook, which took `cook prepare` from 8 ms to 13 ms; loaded here, only the
// commands that talk to a registry pay for them. Loading with RTLD_LOCAL
// also keeps libcurl's shared libcrypto apart from the static one cook
// hashes with: nothing of OpenSSL crosses between the two.

#include <curl/curl.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace cook::registry::internal {

struct CurlApi {
  decltype(&curl_global_init) global_init;
  decltype(&curl_easy_init) easy_init;
  decltype(&curl_easy_setopt) easy_setopt;
  decltype(&curl_easy_getinfo) easy_getinfo;
  decltype(&curl_easy_perform) easy_perform;
  decltype(&curl_easy_reset) easy_reset;
  decltype(&curl_easy_cleanup) easy_cleanup;
  decltype(&curl_easy_strerror) easy_strerror;
  decltype(&curl_easy_escape) easy_escape;
  decltype(&curl_share_init) share_init;
  decltype(&curl_share_setopt) share_setopt;
  decltype(&curl_share_cleanup) share_cleanup;
  decltype(&curl_slist_append) slist_append;
  decltype(&curl_slist_free_all) slist_free_all;
  decltype(&curl_url) url;
  decltype(&curl_url_set) url_set;
  decltype(&curl_url_get) url_get;
  decltype(&curl_url_cleanup) url_cleanup;
  decltype(&curl_url_strerror) url_strerror;
  decltype(&curl_free) free;
};

// Loads libcurl.so.4 and runs curl_global_init, once. FailedPrecondition
// (with the package to install) when the library is missing.
absl::StatusOr<const CurlApi*> LoadCurl();

// The loaded API; only after LoadCurl() succeeded.
const CurlApi& Curl();

// Deleters for unique_ptr.
struct CurlEasyDeleter {
  void operator()(CURL* p) const { Curl().easy_cleanup(p); }
};
struct CurlShareDeleter {
  void operator()(CURLSH* p) const { Curl().share_cleanup(p); }
};
struct CurlUrlDeleter {
  void operator()(CURLU* p) const { Curl().url_cleanup(p); }
};
struct CurlFreeDeleter {
  void operator()(char* p) const { Curl().free(p); }
};

using CurlUrl = std::unique_ptr<CURLU, CurlUrlDeleter>;

// One part of `url` ("" when it has none).
std::string UrlPart(CURLU* url, CURLUPart part, unsigned flags = 0);

// HOST, or HOST:PORT when the URL names a port, escaped for display.
std::string Authority(CURLU* url);

}  // namespace cook::registry::internal

#endif  // COOK_REGISTRY_INTERNAL_CURL_API_H_
