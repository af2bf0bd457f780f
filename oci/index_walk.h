#ifndef COOK_OCI_INDEX_WALK_H_
#define COOK_OCI_INDEX_WALK_H_

// Choosing a platform's image manifest from an image index (an OCI index or
// a Docker manifest list), whose entries may be indexes again: the one walk
// that every transport reading indexes (oci: layouts, docker:// registries)
// goes through.

#include <functional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "oci/image.h"

namespace cook::oci {

// How many indexes may be nested before the image counts as corrupt.
inline constexpr int kMaxIndexDepth = 4;

// Picks the entry of `index` for `platform`: os and architecture must match,
// and the variant too when both name one (an exact variant match wins). An
// index whose only entry has no platform yields that entry. NotFound lists
// the platforms the index offers.
absl::StatusOr<Descriptor> SelectManifest(const Index& index,
                                          const Platform& platform);

// Reads the document an index entry names, with its media type as the
// transport knows it (the entry's, the response's, else the document's own).
using FetchDocument =
    std::function<absl::StatusOr<RawManifest>(const Descriptor& entry)>;

// Names a nested index that does not parse, in its error.
using DescribeIndex = std::function<std::string(const RawManifest& index)>;

// Follows `document` down to the first document that is not an index: for
// each index, SelectManifest picks the entry for `platform` and `fetch` reads
// it. Errors are prefixed with `context` ("reading REF"), a parse error of an
// index with `describe_index(index)` when given. More than kMaxIndexDepth
// indexes are InvalidArgument. The caller checks that the document returned
// is an image manifest; fetch errors are returned as they are. A document
// reached through indexes carries the first index's digest (index_digest).
absl::StatusOr<RawManifest> WalkToManifest(
    RawManifest document, const Platform& platform, const FetchDocument& fetch,
    std::string_view context, const DescribeIndex& describe_index = nullptr);

}  // namespace cook::oci

#endif  // COOK_OCI_INDEX_WALK_H_
