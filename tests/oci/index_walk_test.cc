#include "oci/index_walk.h"

#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "layers/digest.h"
#include "tests/testing/status_matchers.h"

namespace cook::oci {
namespace {

using ::cook::testing::IsOk;
using ::cook::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const Platform kAmd64{"linux", "amd64", ""};
const Platform kArm64{"linux", "arm64", ""};

RawManifest Document(std::string bytes, std::string_view media_type) {
  std::string digest = layers::Sha256Digest(bytes);
  return RawManifest{std::move(bytes), std::string(media_type),
                     std::move(digest)};
}

RawManifest ImageManifest(std::string_view label) {
  Manifest m;
  m.config = {std::string(kOciConfig),
              layers::Sha256Digest(label),
              1,
              {},
              std::nullopt};
  return Document(SerializeManifest(m), kOciManifest);
}

// Documents by digest, and the digests fetched, in order.
class Store {
 public:
  const RawManifest& Add(RawManifest document) {
    return documents_[document.digest] = std::move(document);
  }
  // An index with one entry per (document, platform).
  RawManifest Index(
      const std::vector<std::pair<RawManifest, Platform>>& entries) {
    oci::Index index;
    for (const auto& [document, platform] : entries) {
      Add(document);
      index.manifests.push_back({document.media_type,
                                 document.digest,
                                 static_cast<int64_t>(document.bytes.size()),
                                 {},
                                 platform});
    }
    return Document(SerializeIndex(index), kOciIndex);
  }
  FetchDocument Fetcher() {
    return [this](const Descriptor& d) -> absl::StatusOr<RawManifest> {
      fetched_.push_back(d.digest);
      auto it = documents_.find(d.digest);
      if (it == documents_.end()) return absl::NotFoundError("not stored");
      return it->second;
    };
  }
  const std::vector<std::string>& fetched() const { return fetched_; }

 private:
  std::map<std::string, RawManifest> documents_;
  std::vector<std::string> fetched_;
};

TEST(WalkToManifestTest, AManifestIsReturnedWithoutFetching) {
  Store store;
  const RawManifest manifest = ImageManifest("a");
  absl::StatusOr<RawManifest> got =
      WalkToManifest(manifest, kAmd64, store.Fetcher(), "reading x");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->digest, manifest.digest);
  EXPECT_TRUE(store.fetched().empty());
}

TEST(WalkToManifestTest, FollowsThePlatformsEntryThroughNestedIndexes) {
  Store store;
  const RawManifest amd = ImageManifest("amd");
  const RawManifest arm = ImageManifest("arm");
  const RawManifest inner =
      store.Add(store.Index({{amd, kAmd64}, {arm, kArm64}}));
  const RawManifest outer = store.Index({{inner, kArm64}});
  absl::StatusOr<RawManifest> got =
      WalkToManifest(outer, kArm64, store.Fetcher(), "reading x");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->digest, arm.digest);
  EXPECT_EQ(got->bytes, arm.bytes);
  EXPECT_THAT(store.fetched(), ElementsAre(inner.digest, arm.digest));
}

TEST(WalkToManifestTest, AtMostFourIndexesDeep) {
  Store store;
  RawManifest document = ImageManifest("a");
  for (int i = 0; i < kMaxIndexDepth; ++i) {
    document = store.Index({{document, kAmd64}});
  }
  EXPECT_THAT(WalkToManifest(document, kAmd64, store.Fetcher(), "reading x"),
              IsOk());
  const RawManifest too_deep = store.Index({{document, kAmd64}});
  EXPECT_THAT(WalkToManifest(too_deep, kAmd64, store.Fetcher(), "reading x"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "reading x: indexes nested too deeply"));
}

TEST(WalkToManifestTest, ErrorsNameTheReferenceOrTheIndex) {
  Store store;
  const RawManifest index = store.Index({{ImageManifest("a"), kAmd64}});
  EXPECT_THAT(WalkToManifest(index, kArm64, store.Fetcher(), "reading x"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("reading x: no image for platform "
                                 "linux/arm64 in the index; available: "
                                 "linux/amd64")));

  const RawManifest broken = Document("{}", kOciIndex);
  EXPECT_THAT(WalkToManifest(broken, kAmd64, store.Fetcher(), "reading x"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("reading x: parsing image index")));
  EXPECT_THAT(WalkToManifest(broken, kAmd64, store.Fetcher(), "reading x",
                             [](const RawManifest& d) {
                               return "reading index " + d.digest;
                             }),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("reading index " + broken.digest +
                                 ": parsing image index")));
}

TEST(WalkToManifestTest, FetchErrorsAndOtherDocumentsPassThrough) {
  Store store;
  oci::Index index;
  index.manifests.push_back({std::string(kOciManifest),
                             layers::Sha256Digest("missing"),
                             1,
                             {},
                             kAmd64});
  EXPECT_THAT(WalkToManifest(Document(SerializeIndex(index), kOciIndex), kAmd64,
                             store.Fetcher(), "reading x"),
              StatusIs(absl::StatusCode::kNotFound, "not stored"));

  // Not an index: the caller decides what it accepts.
  const RawManifest other = Document("{}", "application/x-other");
  absl::StatusOr<RawManifest> got =
      WalkToManifest(other, kAmd64, store.Fetcher(), "reading x");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->media_type, "application/x-other");
}

TEST(SelectManifestTest, AnExactVariantWinsOverAnUnnamedOne) {
  Index index;
  index.manifests.push_back({std::string(kOciManifest),
                             layers::Sha256Digest("any"),
                             1,
                             {},
                             Platform{"linux", "arm64", ""}});
  index.manifests.push_back({std::string(kOciManifest),
                             layers::Sha256Digest("v8"),
                             1,
                             {},
                             Platform{"linux", "arm64", "v8"}});
  absl::StatusOr<Descriptor> chosen =
      SelectManifest(index, Platform{"linux", "arm64", "v8"});
  ASSERT_THAT(chosen, IsOk());
  EXPECT_EQ(chosen->digest, layers::Sha256Digest("v8"));
  // Another variant takes the entry that names none.
  chosen = SelectManifest(index, Platform{"linux", "arm64", "v7"});
  ASSERT_THAT(chosen, IsOk());
  EXPECT_EQ(chosen->digest, layers::Sha256Digest("any"));
}

}  // namespace
}  // namespace cook::oci
