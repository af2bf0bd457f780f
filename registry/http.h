#ifndef COOK_REGISTRY_HTTP_H_
#define COOK_REGISTRY_HTTP_H_

// A small HTTP client interface for the registry client, so that tests can put
// a fault-injecting client in front of the real one. The real one is libcurl
// (NewCurlHttpClient): connection reuse, HTTP/2 where the server offers it,
// timeouts, the system CAs plus `--cert-dir`.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/io.h"

namespace cook::registry {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// Limits on what a server can make cook hold in memory. A 2xx body collected
// into HttpResponse::body (not streamed) may be HttpRequest::max_body_size
// bytes long; the body of any other response (an error, a redirect) is kept
// up to kMaxErrorBodySize bytes and the rest is not read; the headers of one
// exchange (interim responses included) may take kMaxHeaderBytes.
inline constexpr int64_t kDefaultMaxBodySize = int64_t{1} << 20;
inline constexpr int64_t kMaxErrorBodySize = int64_t{64} << 10;
inline constexpr int64_t kMaxHeaderBytes = int64_t{256} << 10;

// The first value of header `name` (case-insensitive), if any.
std::optional<std::string> FindHeader(const HttpHeaders& headers,
                                      std::string_view name);

// `text` percent-encoded for a URL query or a form body: every byte but
// letters, digits and "-._~" (libcurl's curl_easy_escape).
std::string QueryEscape(std::string_view text);

// `url` with `query` (escaped "NAME=VALUE&...") added to its query string.
std::string WithQuery(std::string_view url, std::string_view query);

// The HOST[:PORT] of `url`, escaped for display (URLs come from servers);
// "the registry" when it names none.
std::string DisplayHost(std::string_view url);

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, POST, PUT, PATCH, DELETE
  std::string url;             // absolute
  HttpHeaders headers;
  // The request body: `body`, or when `body_source` is set, `body_size`
  // bytes read from it (sent with Content-Length, without "Expect:
  // 100-continue"). GET and HEAD send no body. A POST without a Content-Type
  // header is sent without one.
  std::string body;
  ByteSource* body_source = nullptr;
  int64_t body_size = 0;
  // When set, the body of a 2xx response streams here instead of into
  // HttpResponse::body (blob downloads). Other responses are collected. When
  // Send fails, the sink may have received part of the body.
  ByteSink* response_sink = nullptr;
  // The most bytes of a 2xx body collected into HttpResponse::body. A
  // longer body fails Send (FailedPrecondition) as soon as it passes the
  // limit, however long the server would go on.
  int64_t max_body_size = kDefaultMaxBodySize;
  // Follows 301/302/303/307/308 (GET and HEAD only), at most 10 times. The
  // Authorization header is sent only to the scheme, host and port of the
  // original URL: blob downloads often redirect to object storage.
  bool follow_redirects = true;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;  // of the final response; names as received
  // Unless streamed to HttpRequest::response_sink; at most
  // kMaxErrorBodySize bytes of a non-2xx body.
  std::string body;
  std::string url;      // the URL that answered (after redirects)
};

// Errors from Send: Unavailable for connection failures, resets and cut
// transfers; DeadlineExceeded for timeouts (both retryable);
// FailedPrecondition for TLS verification failures (with a hint naming
// --cert-dir and --tls-verify=false), more than 10 redirects, a
// `body_source` that ends before `body_size`, a body longer than
// `max_body_size` and headers longer than kMaxHeaderBytes; InvalidArgument for malformed
// URLs (or redirect locations), schemes other than http and https, and
// plain http while verifying TLS; Cancelled on interrupt; the error of
// `body_source` or `response_sink` as it is. An HTTP error status is not an
// error of Send. Errors never contain header values or URL queries
// (credentials); a URL from a server (a redirect) is escaped for display.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Safe to call from several threads at once.
  virtual absl::StatusOr<HttpResponse> Send(const HttpRequest& request) = 0;
};

struct HttpOptions {
  // false: certificates are not verified and plain http:// is allowed.
  bool tls_verify = true;
  // Extra CA certificates: every `*.crt` file in this directory is trusted
  // in addition to the system's CAs. Empty: none.
  std::string cert_dir;
  absl::Duration connect_timeout = absl::Seconds(30);
  // A transfer slower than 1 KiB/s for this long is abandoned
  // (DeadlineExceeded).
  absl::Duration stall_timeout = absl::Seconds(60);
  std::string user_agent = "cook";
};

// A libcurl client. Fails (InvalidArgument) when `cert_dir` cannot be read or
// holds an unparsable certificate.
absl::StatusOr<std::unique_ptr<HttpClient>> NewCurlHttpClient(
    const HttpOptions& options);

}  // namespace cook::registry

#endif  // COOK_REGISTRY_HTTP_H_
