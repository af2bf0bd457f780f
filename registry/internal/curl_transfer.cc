#include "registry/internal/curl_transfer.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "base/interrupt.h"

namespace cook::registry::internal {
namespace {

// "16 MiB", "64 KiB" or "N bytes".
std::string Size(int64_t bytes) {
  if (bytes > 0 && bytes % (int64_t{1} << 20) == 0) {
    return absl::StrCat(bytes >> 20, " MiB");
  }
  if (bytes > 0 && bytes % 1024 == 0) return absl::StrCat(bytes >> 10, " KiB");
  return absl::StrCat(bytes, " bytes");
}

}  // namespace

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
    transfer->callback_error = absl::FailedPreconditionError(
        absl::StrFormat("%s: the response headers are longer than %s",
                        transfer->what, Size(kMaxHeaderBytes)));
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

}  // namespace cook::registry::internal
