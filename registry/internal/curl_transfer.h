#ifndef COOK_REGISTRY_INTERNAL_CURL_TRANSFER_H_
#define COOK_REGISTRY_INTERNAL_CURL_TRANSFER_H_

// One curl_easy_perform's request body, response headers and body, through
// libcurl's callbacks (each takes a Transfer* as its userdata).

#include <curl/curl.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "base/io.h"
#include "registry/http.h"

namespace cook::registry::internal {

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

// CURLOPT_READFUNCTION: the request body from `source`, `remaining` bytes.
size_t ReadBody(char* buffer, size_t size, size_t count, void* userdata);

// CURLOPT_WRITEFUNCTION: a 2xx body into `sink` (or `body`, up to
// `max_body`: more fails the transfer), any other body into `body`, cut
// after kMaxErrorBodySize bytes (`body_cut`).
size_t WriteBody(char* data, size_t size, size_t count, void* userdata);

// CURLOPT_HEADERFUNCTION: `status` and `headers` of the final response
// (interim ones are dropped), at most kMaxHeaderBytes in all.
size_t ReadHeader(char* data, size_t size, size_t count, void* userdata);

// CURLOPT_XFERINFOFUNCTION: aborts the transfer on an interrupt.
int CheckProgress(void* userdata, curl_off_t, curl_off_t, curl_off_t,
                  curl_off_t);

}  // namespace cook::registry::internal

#endif  // COOK_REGISTRY_INTERNAL_CURL_TRANSFER_H_
