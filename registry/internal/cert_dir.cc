#include "registry/internal/cert_dir.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/c_handle.h"
#include "base/files.h"
#include "base/status_macros.h"

namespace cook::registry::internal {
namespace {

namespace fs = std::filesystem;

using X509Ptr = std::unique_ptr<X509, FreeWith<&X509_free>>;
using Bio = std::unique_ptr<BIO, FreeWith<&BIO_free>>;

std::string OpenSslReason() {
  const unsigned long err = ERR_peek_last_error();
  const char* reason = err == 0 ? nullptr : ERR_reason_error_string(err);
  ERR_clear_error();
  return reason != nullptr ? reason : "unknown error";
}

absl::StatusOr<std::vector<X509Ptr>> ParseCertificates(const fs::path& path) {
  absl::StatusOr<std::string> pem =
      ReadFileAtMost(path, kMaxCertificateFileSize);
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

}  // namespace

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
    ASSIGN_OR_RETURN(std::string pem,
                     ReadFileAtMost(file, kMaxCertificateFileSize));
    absl::StrAppend(&certs, pem, "\n");
  }
  return certs;
}

}  // namespace cook::registry::internal
