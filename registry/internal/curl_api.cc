#include "registry/internal/curl_api.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/text.h"

namespace cook::registry::internal {
namespace {

CurlApi api;
absl::Status load_status;

// The sanitizers' runtimes refuse RTLD_DEEPBIND (google/sanitizers#611), so
// sanitizer builds (.bazelrc: --config=asan, --config=fuzz) load libcurl
// without it.
#if defined(__SANITIZE_ADDRESS__)
constexpr int kDeepBind = 0;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr int kDeepBind = 0;
#else
constexpr int kDeepBind = RTLD_DEEPBIND;
#endif
#else
constexpr int kDeepBind = RTLD_DEEPBIND;
#endif

template <typename Fn>
bool Resolve(void* library, const char* name, Fn* out, std::string* missing) {
  *out = reinterpret_cast<Fn>(::dlsym(library, name));
  if (*out == nullptr && missing->empty()) *missing = name;
  return *out != nullptr;
}

absl::Status Load() {
  // RTLD_DEEPBIND: libcurl, libssl and the rest resolve their symbols among
  // themselves first, never to the static libcrypto in cook (exported when
  // cook's own code is linked as shared libraries, as in tests).
  void* library = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL | kDeepBind);
  if (library == nullptr) {
    const char* why = ::dlerror();
    return absl::FailedPreconditionError(absl::StrCat(
        "loading libcurl for registry access: ", why != nullptr ? why : "not found",
        "\nhint: install libcurl4 (apt-get install libcurl4): cook needs it for docker:// only"));
  }
  // Never unloaded: handles may live until exit.
  std::string missing;
  Resolve(library, "curl_global_init", &api.global_init, &missing);
  Resolve(library, "curl_easy_init", &api.easy_init, &missing);
  Resolve(library, "curl_easy_setopt", &api.easy_setopt, &missing);
  Resolve(library, "curl_easy_getinfo", &api.easy_getinfo, &missing);
  Resolve(library, "curl_easy_perform", &api.easy_perform, &missing);
  Resolve(library, "curl_easy_reset", &api.easy_reset, &missing);
  Resolve(library, "curl_easy_cleanup", &api.easy_cleanup, &missing);
  Resolve(library, "curl_easy_strerror", &api.easy_strerror, &missing);
  Resolve(library, "curl_easy_escape", &api.easy_escape, &missing);
  Resolve(library, "curl_share_init", &api.share_init, &missing);
  Resolve(library, "curl_share_setopt", &api.share_setopt, &missing);
  Resolve(library, "curl_share_cleanup", &api.share_cleanup, &missing);
  Resolve(library, "curl_slist_append", &api.slist_append, &missing);
  Resolve(library, "curl_slist_free_all", &api.slist_free_all, &missing);
  Resolve(library, "curl_url", &api.url, &missing);
  Resolve(library, "curl_url_set", &api.url_set, &missing);
  Resolve(library, "curl_url_get", &api.url_get, &missing);
  Resolve(library, "curl_url_cleanup", &api.url_cleanup, &missing);
  Resolve(library, "curl_url_strerror", &api.url_strerror, &missing);
  Resolve(library, "curl_free", &api.free, &missing);
  if (!missing.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "loading libcurl for registry access: it lacks ", missing,
        "\nhint: cook needs libcurl 7.88 or newer"));
  }
  const CURLcode code = api.global_init(CURL_GLOBAL_DEFAULT);
  if (code != CURLE_OK) {
    return absl::InternalError(
        absl::StrCat("initialising libcurl: ", api.easy_strerror(code)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<const CurlApi*> LoadCurl() {
  static std::once_flag once;
  std::call_once(once, [] { load_status = Load(); });
  if (!load_status.ok()) return load_status;
  return &api;
}

const CurlApi& Curl() { return api; }

std::string UrlPart(CURLU* url, CURLUPart part, unsigned flags) {
  char* value = nullptr;
  if (Curl().url_get(url, part, &value, flags) != CURLUE_OK) return "";
  std::unique_ptr<char, CurlFreeDeleter> owned(value);
  return std::string(value);
}

std::string Authority(CURLU* url) {
  std::string host = UrlPart(url, CURLUPART_HOST);
  std::string port = UrlPart(url, CURLUPART_PORT);
  return EscapeForDisplay(port.empty() ? host : absl::StrCat(host, ":", port));
}

}  // namespace cook::registry::internal
