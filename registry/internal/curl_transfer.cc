// NewCurlHttpClient: the HttpClient on libcurl.

#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
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
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/c_handle.h"
#include "base/files.h"
#include "base/interrupt.h"
#include "base/io.h"
#include "base/status_macros.h"
#include "base/text.h"
#include "registry/http.h"
#include "registry/internal/curl_api.h"

namespace cook::registry {
namespace {

namespace fs = std::filesystem;

using internal::Curl;
using CurlEasy = std::unique_ptr<CURL, internal::CurlEasyDeleter>;
using CurlShare = std::unique_ptr<CURLSH, internal::CurlShareDeleter>;
using CurlUrl = std::unique_ptr<CURLU, internal::CurlUrlDeleter>;
using CurlString = std::unique_ptr<char, internal::CurlFreeDeleter>;
using X509Ptr = std::unique_ptr<X509, FreeWith<&X509_free>>;
using Bio = std::unique_ptr<BIO, FreeWith<&BIO_free>>;

constexpr int kMaxRedirects = 10;
constexpr long kLowSpeedLimit = 1024;  // bytes per second
// A CA bundle of every public CA is about 200 KiB.
constexpr int64_t kMaxCertificateFileSize = int64_t{16} << 20;

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

// "16 MiB", "64 KiB" or "N bytes".
std::string Size(int64_t bytes) {
  if (bytes > 0 && bytes % (int64_t{1} << 20) == 0) {
    return absl::StrCat(bytes >> 20, " MiB");
  }
  if (bytes > 0 && bytes % 1024 == 0) return absl::StrCat(bytes >> 10, " KiB");
  return absl::StrCat(bytes, " bytes");
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

std::string UrlPart(CURLU* url, CURLUPart part, unsigned flags = 0) {
  char* value = nullptr;
  if (Curl().url_get(url, part, &value, flags) != CURLUE_OK) return "";
  CurlString owned(value);
  return std::string(value);
}

// HOST or HOST:PORT when the URL names a port, as a user would write it.
std::string Authority(CURLU* url) {
  std::string host = UrlPart(url, CURLUPART_HOST);
  std::string port = UrlPart(url, CURLUPART_PORT);
  return EscapeForDisplay(port.empty() ? host : absl::StrCat(host, ":", port));
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

// A request's progress through the callbacks of one curl_easy_perform.
struct Transfer {
  ByteSource* source = nullptr;
  int64_t remaining = 0;  // bytes still to read from `source`
  int64_t size = 0;
  ByteSink* sink = nullptr;  // for a 2xx body
  int64_t max_body = 0;      // for a 2xx body not streamed to `sink`
  std::string what;          // "METHOD URL" for errors, redacted
  int status = 0;            // of the response being received
  HttpHeaders headers;
  int64_t header_bytes = 0;
  std::string body;
  // The transfer stopped after kMaxErrorBodySize bytes of a non-2xx body:
  // the response stands as received so far.
  bool body_cut = false;
  // Why a callback aborted the transfer; it outranks curl's error code.
  absl::Status callback_error;
};

size_t ReadBody(char* buffer, size_t size, size_t count, void* userdata) {
  auto* transfer = static_cast<Transfer*>(userdata);
  const size_t want =
      std::min(size * count, static_cast<size_t>(transfer->remaining));
  if (want == 0) return 0;
  absl::StatusOr<size_t> n = transfer->source->Read(buffer, want);
  if (!n.ok()) {
    transfer->callback_error = n.status();
    return CURL_READFUNC_ABORT;
  }
  if (*n == 0) {
    transfer->callback_error = absl::FailedPreconditionError(absl::StrFormat(
        "reading the request body: it ended after %d of %d bytes",
        transfer->size - transfer->remaining, transfer->size));
    return CURL_READFUNC_ABORT;
  }
  transfer->remaining -= static_cast<int64_t>(*n);
  return *n;
}

size_t WriteBody(char* data, size_t size, size_t count, void* userdata) {
  auto* transfer = static_cast<Transfer*>(userdata);
  const size_t n = size * count;
  const bool success = transfer->status >= 200 && transfer->status < 300;
  if (transfer->sink != nullptr && success) {
    absl::Status written = transfer->sink->Write(std::string_view(data, n));
    if (!written.ok()) {
      transfer->callback_error = std::move(written);
      return 0;  // anything but `n` aborts with CURLE_WRITE_ERROR
    }
    return n;
  }
  // A server must not make us hold more than the caller expects, however
  // long its body: a manifest that never ends, a 16 GB error page.
  const int64_t limit = success ? transfer->max_body : kMaxErrorBodySize;
  const int64_t have = static_cast<int64_t>(transfer->body.size());
  if (have + static_cast<int64_t>(n) > limit) {
    if (success) {
      transfer->callback_error = absl::FailedPreconditionError(absl::StrFormat(
          "%s: the response is larger than %s, the most cook reads into "
          "memory for it",
          transfer->what, Size(limit)));
    } else {
      // An error's explanation is in its first bytes; the status and
      // headers are what count.
      transfer->body.append(data, static_cast<size_t>(limit - have));
      transfer->body_cut = true;
    }
    return 0;
  }
  transfer->body.append(data, n);
  return n;
}

// Called once per header line, status lines included. Interim responses
// (100 Continue, a proxy's CONNECT answer) each start with a status line, so
// starting over at every status line leaves the final response's headers.
size_t ReadHeader(char* data, size_t size, size_t count, void* userdata) {
  auto* transfer = static_cast<Transfer*>(userdata);
  const size_t n = size * count;
  transfer->header_bytes += static_cast<int64_t>(n);
  if (transfer->header_bytes > kMaxHeaderBytes) {
    transfer->callback_error = absl::FailedPreconditionError(absl::StrFormat(
        "%s: the response headers are longer than %s", transfer->what,
        Size(kMaxHeaderBytes)));
    return 0;  // aborts with CURLE_WRITE_ERROR
  }
  absl::string_view line(data, n);
  if (absl::StartsWith(line, "HTTP/")) {
    transfer->headers.clear();
    transfer->body.clear();
    transfer->body_cut = false;
    transfer->status = 0;
    const size_t space = line.find(' ');
    if (space != absl::string_view::npos) {
      int status = 0;
      if (absl::SimpleAtoi(line.substr(space + 1, 3), &status)) {
        transfer->status = status;
      }
    }
    return n;
  }
  if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
    // An obsolete folded continuation of the previous header.
    if (!transfer->headers.empty()) {
      absl::StrAppend(&transfer->headers.back().second, " ",
                      absl::StripAsciiWhitespace(line));
    }
    return n;
  }
  const size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return n;  // the blank end line
  transfer->headers.emplace_back(
      std::string(absl::StripAsciiWhitespace(line.substr(0, colon))),
      std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  return n;
}

int CheckProgress(void* userdata, curl_off_t, curl_off_t, curl_off_t,
                  curl_off_t) {
  if (!Interrupted()) return 0;
  static_cast<Transfer*>(userdata)->callback_error = CheckInterrupted();
  return 1;  // aborts with CURLE_ABORTED_BY_CALLBACK
}

std::string OpenSslReason() {
  const unsigned long err = ERR_peek_last_error();
  const char* reason = err == 0 ? nullptr : ERR_reason_error_string(err);
  ERR_clear_error();
  return reason != nullptr ? reason : "unknown error";
}

absl::StatusOr<std::vector<X509Ptr>> ParseCertificates(const fs::path& path) {
  absl::StatusOr<std::string> pem = ReadFileAtMost(path, kMaxCertificateFileSize);
  if (!pem.ok()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "reading certificate %s: %s", path.string(), pem.status().message()));
  }
  Bio bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  if (bio == nullptr) return absl::ResourceExhaustedError("BIO_new_mem_buf");
  std::vector<X509Ptr> certs;
  ERR_clear_error();
  while (true) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (cert == nullptr) break;
    certs.push_back(std::move(cert));
  }
  // The loop ends with "no start line" at the end of the text; any other
  // error, or no certificate at all, means the file is not PEM.
  const unsigned long err = ERR_peek_last_error();
  const bool clean_end = !certs.empty() && ERR_GET_LIB(err) == ERR_LIB_PEM &&
                         ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
  if (!clean_end) {
    std::string reason =
        certs.empty() && ERR_GET_REASON(err) == PEM_R_NO_START_LINE
            ? "no PEM certificate in it"
            : OpenSslReason();
    return absl::InvalidArgumentError(
        absl::StrFormat("parsing certificate %s: %s", path.string(), reason));
  }
  ERR_clear_error();
  return certs;
}

// The PEM text of every certificate in `dir`'s *.crt files, each checked.
absl::StatusOr<std::string> LoadCertDir(const std::string& dir) {
  std::string certs;
  if (dir.empty()) return certs;
  std::error_code ec;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->path().extension() == ".crt" && it->is_regular_file(ec)) {
      files.push_back(it->path());
    }
  }
  if (ec) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "reading the certificate directory %s: %s", dir, ec.message()));
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    RETURN_IF_ERROR(ParseCertificates(file).status());
    ASSIGN_OR_RETURN(std::string pem, ReadFileAtMost(file, kMaxCertificateFileSize));
    absl::StrAppend(&certs, pem, "\n");
  }
  return certs;
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

absl::StatusOr<HttpResponse> CurlHttpClient::Perform(const HttpRequest& request,
                                                     const std::string& url,
                                                     CURLU* parsed,
                                                     bool send_authorization) {
  Transfer transfer;
  StringSource string_body(request.body);
  const bool has_body = request.method != "GET" && request.method != "HEAD";
  if (has_body) {
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
  char error[CURL_ERROR_SIZE] = {};

  curl_slist* headers = nullptr;
  absl::Cleanup free_headers = [&headers] { Curl().slist_free_all(headers); };
  bool has_content_type = false;
  for (const auto& [name, value] : request.headers) {
    if (!send_authorization && absl::EqualsIgnoreCase(name, "Authorization")) {
      continue;
    }
    if (absl::EqualsIgnoreCase(name, "Content-Type")) has_content_type = true;
    // "Name;" is curl's spelling of a header with an empty value ("Name:"
    // would remove the header).
    const std::string line = value.empty() ? absl::StrCat(name, ";")
                                           : absl::StrCat(name, ": ", value);
    curl_slist* appended = Curl().slist_append(headers, line.c_str());
    if (appended == nullptr) {
      return absl::ResourceExhaustedError("curl_slist_append");
    }
    headers = appended;
  }
  // No "Expect: 100-continue" round trip before uploads, and no made-up
  // form Content-Type on a POST.
  std::vector<const char*> removals = {"Expect:"};
  if (request.method == "POST" && !has_content_type) {
    removals.push_back("Content-Type:");
  }
  for (const char* removal : removals) {
    curl_slist* appended = Curl().slist_append(headers, removal);
    if (appended == nullptr) {
      return absl::ResourceExhaustedError("curl_slist_append");
    }
    headers = appended;
  }

  ASSIGN_OR_RETURN(CurlEasy easy, Acquire());
  CURL* curl = easy.get();
  // Declared after everything the handle points to, so the handle is reset
  // before those go away.
  absl::Cleanup release = [this, &easy] { Release(std::move(easy)); };

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
  Curl().easy_setopt(curl, CURLOPT_HEADERFUNCTION, &ReadHeader);
  Curl().easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  Curl().easy_setopt(curl, CURLOPT_WRITEFUNCTION, &WriteBody);
  Curl().easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  Curl().easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  Curl().easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &CheckProgress);
  Curl().easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);

  if (request.method == "HEAD") {
    Curl().easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "GET") {
    Curl().easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else {
    Curl().easy_setopt(curl, CURLOPT_READFUNCTION, &ReadBody);
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
  ASSIGN_OR_RETURN(std::string extra, LoadCertDir(options.cert_dir));
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
