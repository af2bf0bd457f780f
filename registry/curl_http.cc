// NewCurlHttpClient: the HttpClient on libcurl.

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/files.h"
#include "base/interrupt.h"
#include "base/io.h"
#include "base/status_macros.h"
#include "base/text.h"
#include "registry/http.h"
#include "registry/internal/cert_dir.h"
#include "registry/internal/curl_api.h"
#include "registry/internal/curl_transfer.h"

namespace cook::registry {
namespace {

using internal::Curl;
using CurlEasy = std::unique_ptr<CURL, internal::CurlEasyDeleter>;
using CurlShare = std::unique_ptr<CURLSH, internal::CurlShareDeleter>;
using internal::Authority;
using internal::CurlUrl;
using internal::UrlPart;

struct CurlSlistDeleter {
  void operator()(curl_slist* p) const { Curl().slist_free_all(p); }
};
using CurlHeaders = std::unique_ptr<curl_slist, CurlSlistDeleter>;

using internal::kMaxCertificateFileSize;
using internal::Transfer;

constexpr int kMaxRedirects = 10;
constexpr long kLowSpeedLimit = 1024;  // bytes per second

// `url` without userinfo, query and fragment, which may carry credentials
// (signed object-storage URLs put them in the query), escaped: URLs come
// from servers too (upload locations, redirects).
std::string RedactUrl(std::string_view url) {
  std::string out(url.substr(0, url.find_first_of("?#")));
  const size_t scheme_end = out.find("://");
  if (scheme_end == std::string::npos) return out;
  const size_t start = scheme_end + 3;
  const size_t end = std::min(out.find('/', start), out.size());
  const size_t at = out.rfind('@', end);
  if (at != std::string::npos && at >= start) out.erase(start, at + 1 - start);
  return EscapeForDisplay(out);
}

// Library messages start with a capital ("Failed to connect"); ours do not.
// Names ("SSL certificate problem", "OpenSSL/3.0") stay as they are.
std::string LowercaseFirst(std::string s) {
  size_t word_end = 1;
  while (word_end < s.size() && absl::ascii_islower(s[word_end])) ++word_end;
  const bool plain_word = word_end > 1 && (word_end == s.size() ||
                                           !absl::ascii_isalpha(s[word_end]));
  if (!s.empty() && absl::ascii_isupper(s[0]) && plain_word) {
    s[0] = absl::ascii_tolower(s[0]);
  }
  while (!s.empty() && (s.back() == '\n' || s.back() == '.')) s.pop_back();
  return s;
}

struct Origin {
  std::string scheme;
  std::string host;
  std::string port;
  bool operator==(const Origin&) const = default;
};

Origin OriginOf(CURLU* url) {
  return Origin{absl::AsciiStrToLower(UrlPart(url, CURLUPART_SCHEME)),
                absl::AsciiStrToLower(UrlPart(url, CURLUPART_HOST)),
                UrlPart(url, CURLUPART_PORT, CURLU_DEFAULT_PORT)};
}

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 ||
         status == 308;
}

bool IsVerificationFailure(CURLcode code, long verify_result) {
  switch (code) {
    case CURLE_PEER_FAILED_VERIFICATION:  // also CURLE_SSL_CACERT
    case CURLE_SSL_ISSUER_ERROR:
      return true;
    case CURLE_SSL_CONNECT_ERROR:
      return verify_result != 0;  // X509_V_OK
    default:
      return false;
  }
}

absl::StatusCode CodeFor(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    // A connection reset while a body was being sent: curl would have to
    // rewind the body to try again, and leaves that to us.
    case CURLE_SEND_FAIL_REWIND:
    case CURLE_UPLOAD_FAILED:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_WEIRD_SERVER_REPLY:
      return absl::StatusCode::kUnavailable;
    case CURLE_OPERATION_TIMEDOUT:
      return absl::StatusCode::kDeadlineExceeded;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return absl::StatusCode::kInvalidArgument;
    case CURLE_SSL_CACERT_BADFILE:  // the system's CA bundle
      return absl::StatusCode::kFailedPrecondition;
    case CURLE_OUT_OF_MEMORY:
      return absl::StatusCode::kResourceExhausted;
    default:
      return absl::StatusCode::kUnknown;
  }
}

class CurlHttpClient : public HttpClient {
 public:
  // `ca_bundle`: PEM text of the system's CAs and --cert-dir's, or "" to
  // use libcurl's default bundle.
  CurlHttpClient(const HttpOptions& options, std::string ca_bundle,
                 CurlShare share)
      : options_(options), ca_bundle_(std::move(ca_bundle)), share_(std::move(share)) {
    Curl().share_setopt(share_.get(), CURLSHOPT_LOCKFUNC, &LockShare);
    Curl().share_setopt(share_.get(), CURLSHOPT_UNLOCKFUNC, &UnlockShare);
    Curl().share_setopt(share_.get(), CURLSHOPT_USERDATA, this);
    Curl().share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    Curl().share_setopt(share_.get(), CURLSHOPT_SHARE,
                      CURL_LOCK_DATA_SSL_SESSION);
  }
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override;

 private:
  static void LockShare(CURL*, curl_lock_data data, curl_lock_access,
                        void* userdata) {
    static_cast<CurlHttpClient*>(userdata)->share_locks_[Slot(data)].lock();
  }
  static void UnlockShare(CURL*, curl_lock_data data, void* userdata) {
    static_cast<CurlHttpClient*>(userdata)->share_locks_[Slot(data)].unlock();
  }
  static size_t Slot(curl_lock_data data) {
    return std::min<size_t>(data, CURL_LOCK_DATA_LAST - 1);
  }

  // Checks that `url` may be fetched: http or https, and https only unless
  // verification is off.
  absl::Status CheckScheme(const HttpRequest& request, CURLU* url) const;
  // One request/response exchange on a pooled handle.
  absl::StatusOr<HttpResponse> Perform(const HttpRequest& request,
                                       const std::string& url, CURLU* parsed,
                                       bool send_authorization);
  // The options of one exchange on `curl`, whose callbacks use `transfer`
  // and whose errors are written to `error` (CURL_ERROR_SIZE bytes).
  void SetOptions(CURL* curl, const std::string& url, curl_slist* headers,
                  Transfer& transfer, char* error) const;
  absl::StatusOr<CurlEasy> Acquire();
  void Release(CurlEasy easy);

  const HttpOptions options_;
  const std::string ca_bundle_;
  // The share locks outlive the share, and the share outlives the handles
  // attached to it (members are destroyed in reverse order).
  std::array<std::mutex, CURL_LOCK_DATA_LAST> share_locks_;
  CurlShare share_;
  absl::Mutex mu_;
  // Idle handles keep their connections open for the next request.
  std::vector<CurlEasy> idle_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<CurlEasy> CurlHttpClient::Acquire() {
  {
    absl::MutexLock lock(&mu_);
    if (!idle_.empty()) {
      CurlEasy easy = std::move(idle_.back());
      idle_.pop_back();
      return easy;
    }
  }
  CurlEasy easy(Curl().easy_init());
  if (easy == nullptr) return absl::ResourceExhaustedError("curl_easy_init");
  return easy;
}

void CurlHttpClient::Release(CurlEasy easy) {
  // Forgets the options (and the pointers into this request) but keeps the
  // connection cache.
  Curl().easy_reset(easy.get());
  absl::MutexLock lock(&mu_);
  idle_.push_back(std::move(easy));
}

absl::Status CurlHttpClient::CheckScheme(const HttpRequest& request,
                                         CURLU* url) const {
  const std::string scheme =
      absl::AsciiStrToLower(UrlPart(url, CURLUPART_SCHEME));
  if (scheme == "https") return absl::OkStatus();
  if (scheme == "http") {
    if (!options_.tls_verify) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrFormat("refusing plain http for %s: use --tls-verify=false "
                        "to allow it",
                        Authority(url)));
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("%s %s: unsupported url scheme \"%s\"", request.method,
                      RedactUrl(request.url), EscapeForDisplay(scheme)));
}

absl::StatusOr<HttpResponse> CurlHttpClient::Send(const HttpRequest& request) {
  RETURN_IF_ERROR(CheckInterrupted());
  if (request.body_source != nullptr && request.body_size < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s %s: negative body size %d", request.method,
                        RedactUrl(request.url), request.body_size));
  }
  CurlUrl current(Curl().url());
  if (current == nullptr) return absl::ResourceExhaustedError("curl_url");
  if (CURLUcode rc =
          Curl().url_set(current.get(), CURLUPART_URL, request.url.c_str(), 0);
      rc != CURLUE_OK) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s %s: malformed url: %s", request.method, RedactUrl(request.url),
        LowercaseFirst(Curl().url_strerror(rc))));
  }
  const Origin origin = OriginOf(current.get());
  const bool may_follow = request.follow_redirects &&
                          (request.method == "GET" || request.method == "HEAD");
  std::string url = request.url;
  for (int redirects = 0;; ++redirects) {
    RETURN_IF_ERROR(CheckScheme(request, current.get()));
    // Credentials go to the origin they were meant for, never to the object
    // store (or anyone else) a registry redirects to.
    const bool same_origin = OriginOf(current.get()) == origin;
    ASSIGN_OR_RETURN(HttpResponse response,
                     Perform(request, url, current.get(), same_origin));
    if (!may_follow || !IsRedirect(response.status)) return response;
    std::optional<std::string> location =
        FindHeader(response.headers, "Location");
    if (!location.has_value() || location->empty()) return response;
    if (redirects == kMaxRedirects) {
      return absl::FailedPreconditionError(
          absl::StrFormat("%s %s: more than %d redirects", request.method,
                          RedactUrl(request.url), kMaxRedirects));
    }
    // Setting a relative URL on a handle resolves it against the current one.
    if (CURLUcode rc =
            Curl().url_set(current.get(), CURLUPART_URL, location->c_str(), 0);
        rc != CURLUE_OK) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s %s: following a redirect to %s: %s",
                          request.method, RedactUrl(url), RedactUrl(*location),
                          LowercaseFirst(Curl().url_strerror(rc))));
    }
    url = UrlPart(current.get(), CURLUPART_URL);
  }
}

// The request's headers for curl: without Authorization unless
// `send_authorization`; no "Expect: 100-continue" round trip before uploads,
// and no made-up form Content-Type on a POST.
absl::StatusOr<CurlHeaders> HeaderList(const HttpRequest& request,
                                       bool send_authorization) {
  CurlHeaders headers;
  auto append = [&headers](const std::string& line) -> absl::Status {
    curl_slist* appended = Curl().slist_append(headers.get(), line.c_str());
    if (appended == nullptr) {
      return absl::ResourceExhaustedError("curl_slist_append");
    }
    headers.release();
    headers.reset(appended);
    return absl::OkStatus();
  };
  bool has_content_type = false;
  for (const auto& [name, value] : request.headers) {
    if (!send_authorization && absl::EqualsIgnoreCase(name, "Authorization")) {
      continue;
    }
    if (absl::EqualsIgnoreCase(name, "Content-Type")) has_content_type = true;
    // "Name;" is curl's spelling of a header with an empty value ("Name:"
    // would remove the header).
    RETURN_IF_ERROR(append(value.empty() ? absl::StrCat(name, ";")
                                         : absl::StrCat(name, ": ", value)));
  }
  RETURN_IF_ERROR(append("Expect:"));
  if (request.method == "POST" && !has_content_type) {
    RETURN_IF_ERROR(append("Content-Type:"));
  }
  return headers;
}

// The method, and the body read through `transfer`.
void SetMethod(CURL* curl, const HttpRequest& request, Transfer& transfer) {
  if (request.method == "HEAD") {
    Curl().easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "GET") {
    Curl().easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else {
    Curl().easy_setopt(curl, CURLOPT_READFUNCTION, &internal::ReadBody);
    Curl().easy_setopt(curl, CURLOPT_READDATA, &transfer);
    if (request.method == "POST") {
      Curl().easy_setopt(curl, CURLOPT_POST, 1L);
      Curl().easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(transfer.size));
    } else {
      // An upload is a PUT; CUSTOMREQUEST renames it (PATCH, DELETE, ...).
      Curl().easy_setopt(curl, CURLOPT_UPLOAD, 1L);
      Curl().easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
                         static_cast<curl_off_t>(transfer.size));
      if (request.method != "PUT") {
        Curl().easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
      }
    }
  }
}

// The transfer's state for `request` to `url`.
Transfer TransferFor(const HttpRequest& request, const std::string& url,
                     StringSource& string_body) {
  Transfer transfer;
  if (request.method != "GET" && request.method != "HEAD") {
    transfer.source =
        request.body_source != nullptr ? request.body_source : &string_body;
    transfer.size = request.body_source != nullptr
                        ? request.body_size
                        : static_cast<int64_t>(request.body.size());
    transfer.remaining = transfer.size;
  }
  transfer.sink = request.response_sink;
  transfer.max_body = request.max_body_size;
  transfer.what = absl::StrCat(request.method, " ", RedactUrl(url));
  return transfer;
}

void CurlHttpClient::SetOptions(CURL* curl, const std::string& url,
                                curl_slist* headers, Transfer& transfer,
                                char* error) const {
  Curl().easy_setopt(curl, CURLOPT_URL, url.c_str());
  Curl().easy_setopt(curl, CURLOPT_SHARE, share_.get());
  Curl().easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  Curl().easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  Curl().easy_setopt(curl, CURLOPT_HTTP_VERSION, long{CURL_HTTP_VERSION_2TLS});
  Curl().easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  Curl().easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
  Curl().easy_setopt(
      curl, CURLOPT_CONNECTTIMEOUT_MS,
      std::max<long>(1, absl::ToInt64Milliseconds(options_.connect_timeout)));
  Curl().easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, kLowSpeedLimit);
  Curl().easy_setopt(
      curl, CURLOPT_LOW_SPEED_TIME,
      std::max<long>(1,
                     std::ceil(absl::ToDoubleSeconds(options_.stall_timeout))));
  Curl().easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  Curl().easy_setopt(curl, CURLOPT_PROTOCOLS_STR,
                   options_.tls_verify ? "https" : "http,https");
  if (!options_.tls_verify) {
    Curl().easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    Curl().easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  } else if (!ca_bundle_.empty()) {
    curl_blob blob;
    blob.data = const_cast<char*>(ca_bundle_.data());
    blob.len = ca_bundle_.size();
    blob.flags = CURL_BLOB_NOCOPY;
    Curl().easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob);
  }
  Curl().easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  Curl().easy_setopt(curl, CURLOPT_HEADERFUNCTION, &internal::ReadHeader);
  Curl().easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  Curl().easy_setopt(curl, CURLOPT_WRITEFUNCTION, &internal::WriteBody);
  Curl().easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  Curl().easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  Curl().easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &internal::CheckProgress);
  Curl().easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
}

absl::StatusOr<HttpResponse> CurlHttpClient::Perform(const HttpRequest& request,
                                                     const std::string& url,
                                                     CURLU* parsed,
                                                     bool send_authorization) {
  StringSource string_body(request.body);
  Transfer transfer = TransferFor(request, url, string_body);
  char error[CURL_ERROR_SIZE] = {};
  ASSIGN_OR_RETURN(CurlHeaders headers,
                   HeaderList(request, send_authorization));

  ASSIGN_OR_RETURN(CurlEasy easy, Acquire());
  CURL* curl = easy.get();
  // Declared after everything the handle points to, so the handle is reset
  // before those go away.
  absl::Cleanup release = [this, &easy] { Release(std::move(easy)); };
  SetOptions(curl, url, headers.get(), transfer, error);
  SetMethod(curl, request, transfer);

  const CURLcode code = Curl().easy_perform(curl);
  if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && transfer.body_cut)) {
    if (!transfer.callback_error.ok()) return transfer.callback_error;
    if (code == CURLE_ABORTED_BY_CALLBACK) RETURN_IF_ERROR(CheckInterrupted());
    long verify_result = 0;
    Curl().easy_getinfo(curl, CURLINFO_SSL_VERIFYRESULT, &verify_result);
    std::string cause = EscapeForDisplay(
        LowercaseFirst(error[0] != '\0' ? error : Curl().easy_strerror(code)));
    if (IsVerificationFailure(code, verify_result)) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "verifying the certificate of %s: %s; trust its CA with --cert-dir "
          "DIR, or use --tls-verify=false",
          Authority(parsed), cause));
    }
    return absl::Status(
        CodeFor(code),
        absl::StrFormat("%s %s: %s", request.method, RedactUrl(url), cause));
  }
  long status = 0;
  Curl().easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  HttpResponse response;
  response.status = static_cast<int>(status);
  response.headers = std::move(transfer.headers);
  response.body = std::move(transfer.body);
  response.url = url;
  return response;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpClient>> NewCurlHttpClient(
    const HttpOptions& options) {
  RETURN_IF_ERROR(internal::LoadCurl().status());
  ASSIGN_OR_RETURN(std::string extra, internal::LoadCertDir(options.cert_dir));
  std::string ca_bundle;
  if (!extra.empty()) {
    // libcurl takes one bundle: its default one (the system's CAs) with the
    // extra certificates appended.
    CurlEasy probe(Curl().easy_init());
    char* default_bundle = nullptr;
    if (probe != nullptr &&
        Curl().easy_getinfo(probe.get(), CURLINFO_CAINFO, &default_bundle) == CURLE_OK &&
        default_bundle != nullptr) {
      absl::StatusOr<std::string> system =
          ReadFileAtMost(default_bundle, kMaxCertificateFileSize);
      if (system.ok()) ca_bundle = *std::move(system);
    }
    absl::StrAppend(&ca_bundle, "\n", extra);
  }
  CurlShare share(Curl().share_init());
  if (share == nullptr) return absl::ResourceExhaustedError("curl_share_init");
  return std::make_unique<CurlHttpClient>(options, std::move(ca_bundle),
                                          std::move(share));
}

}  // namespace cook::registry
