// Image references (oci:, docker-archive:, docker://, scratch) as the command
// line and labels hand them to ParseReference.
//
// Checks: an accepted reference prints (ToString) as a reference that parses
// to the same fields, and resolving relative paths keeps it valid.

#include <cstddef>
#include <cstdint>
#include <string>

#include "oci/reference.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

bool SameFields(const cook::oci::ImageReference& a,
                const cook::oci::ImageReference& b) {
  return a.transport == b.transport && a.path == b.path && a.tag == b.tag &&
         a.archive_name == b.archive_name && a.registry == b.registry &&
         a.repository == b.repository && a.digest == b.digest;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cook;
  absl::StatusOr<oci::ImageReference> ref =
      oci::ParseReference(fuzz::AsText(data, size));
  if (!ref.ok()) return 0;
  const std::string text = ref->ToString();
  absl::StatusOr<oci::ImageReference> again = oci::ParseReference(text);
  fuzz::CheckOk(again.status(),
                "ToString() gives a reference that does not parse");
  fuzz::Check(SameFields(*ref, *again), "ToString() loses a field", text);
  const oci::ImageReference resolved = oci::ResolvePaths(*ref, "/base/dir");
  absl::StatusOr<oci::ImageReference> reparsed =
      oci::ParseReference(resolved.ToString());
  fuzz::CheckOk(reparsed.status(), "a resolved reference does not parse");
  return 0;
}
