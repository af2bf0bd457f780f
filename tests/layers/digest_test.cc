#include "layers/digest.h"

#include <string>

#include "base/io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace cook::layers {
namespace {

using ::cook::testing::IsOk;
using ::cook::testing::StatusIs;
using ::testing::HasSubstr;

// FIPS 180-2 / NIST test vectors.
constexpr char kEmpty[] =
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kAbc[] =
    "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr char kMillionA[] =
    "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Digest(""), kEmpty);
  EXPECT_EQ(Sha256Digest("abc"), kAbc);
  EXPECT_EQ(Sha256Digest(std::string(1000000, 'a')), kMillionA);
  EXPECT_EQ(
      Sha256Digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
      "sha256:"
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, StreamingInPiecesMatchesOneShotAndCountsBytes) {
  Sha256 sha;
  const std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) {
    // Uneven pieces cross SHA-256's 64-byte block boundaries.
    sha.Update(std::string_view(chunk).substr(0, 7));
    ASSERT_THAT(sha.Write(std::string_view(chunk).substr(7)), IsOk());
  }
  EXPECT_EQ(sha.bytes(), 1000000u);
  EXPECT_EQ(sha.Finish(), kMillionA);
}

TEST(Sha256Test, WorksAsATeeBranchAndAfterMove) {
  Sha256 first;
  std::string copy;
  StringSink sink(&copy);
  TeeSink tee(&first, &sink);
  ASSERT_THAT(tee.Write("ab"), IsOk());
  Sha256 moved = std::move(first);
  moved.Update("c");
  EXPECT_EQ(moved.Finish(), kAbc);
  EXPECT_EQ(copy, "ab");
  EXPECT_EQ(tee.bytes(), 2u);
}

TEST(DigestTest, ValidateAcceptsOnlyLowercaseSha256) {
  EXPECT_THAT(ValidateDigest(kAbc), IsOk());
  std::string upper = kAbc;
  upper[10] = 'A';
  EXPECT_THAT(ValidateDigest(upper),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(upper)));
  EXPECT_THAT(ValidateDigest(std::string(kAbc).substr(0, 70)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("64")));
  EXPECT_THAT(ValidateDigest(std::string(kAbc) + "0"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("64")));
  EXPECT_THAT(
      ValidateDigest("sha512:" + std::string(64, 'a')),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sha256")));
  EXPECT_THAT(ValidateDigest(""), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("invalid digest")));
}

// Digests come from images and registries: the error quoting one must not
// carry the image's newlines or terminal controls to the user's screen.
TEST(DigestTest, ValidateEscapesTheDigestItQuotes) {
  const absl::Status status = ValidateDigest("sha256:x\ncook: forged\x1b[2J");
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("sha256:x\\ncook: forged\\x1b[2J")));
  EXPECT_EQ(std::string(status.message()).find('\n'), std::string::npos);
}

TEST(DigestTest, HexIsThePartAfterTheAlgorithm) {
  EXPECT_EQ(DigestHex(kAbc),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace cook::layers
