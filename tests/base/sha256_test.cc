#include "base/sha256.h"

#include <string>

#include "gtest/gtest.h"

namespace cook {
namespace {

// FIPS 180-2's examples.
constexpr char kAbc[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr char kEmpty[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(Sha256Test, OneShotAndStreamingAgree) {
  EXPECT_EQ(Sha256Hex("abc"), kAbc);
  EXPECT_EQ(Sha256Hex(""), kEmpty);
  Sha256 sha;
  sha.Update("a");
  sha.Update("");
  sha.Update("bc");
  EXPECT_EQ(sha.bytes(), 3u);
  EXPECT_EQ(sha.Finish(), std::string("sha256:") + kAbc);
}

}  // namespace
}  // namespace cook
