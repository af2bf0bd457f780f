#include "oci/index_walk.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "base/text.h"

namespace cook::oci {

absl::StatusOr<Descriptor> SelectManifest(const Index& index,
                                          const Platform& platform) {
  const Descriptor* best = nullptr;
  std::vector<std::string> available;
  for (const Descriptor& d : index.manifests) {
    if (!d.platform.has_value()) continue;
    const Platform& p = *d.platform;
    available.push_back(EscapeForDisplay(p.ToString()));
    if (p.os != platform.os || p.architecture != platform.architecture)
      continue;
    if (p.variant == platform.variant) return d;
    if ((p.variant.empty() || platform.variant.empty()) && best == nullptr) {
      best = &d;
    }
  }
  if (best != nullptr) return *best;
  if (index.manifests.size() == 1 && !index.manifests[0].platform.has_value()) {
    return index.manifests[0];
  }
  return absl::NotFoundError(absl::StrFormat(
      "no image for platform %s in the index; available: %s",
      platform.ToString(),
      available.empty() ? "none" : absl::StrJoin(available, ", ")));
}

absl::StatusOr<RawManifest> WalkToManifest(
    RawManifest document, const Platform& platform, const FetchDocument& fetch,
    std::string_view context, const DescribeIndex& describe_index) {
  for (int depth = 0; IsIndexMediaType(document.media_type); ++depth) {
    if (depth == kMaxIndexDepth) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: indexes nested too deeply", context));
    }
    absl::StatusOr<Index> index = ParseIndex(document.bytes);
    if (!index.ok()) {
      return Annotate(index.status(), describe_index ? describe_index(document)
                                                     : std::string(context));
    }
    ASSIGN_OR_RETURN(Descriptor chosen,
                     Annotate(SelectManifest(*index, platform), context));
    std::string index_digest = depth == 0 ? document.digest : document.index_digest;
    ASSIGN_OR_RETURN(document, fetch(chosen));
    document.index_digest = std::move(index_digest);
  }
  return document;
}

}  // namespace cook::oci
