#include "layers/compressor.h"

#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include "base/io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace cook::layers {
namespace {

using ::cook::testing::IsOk;
using ::cook::testing::IsOkAndHolds;
using ::cook::testing::StatusIs;
using ::testing::HasSubstr;

// Compressible but not trivial: words from a small vocabulary in a fixed
// pseudo-random order, like build artifacts' symbol tables.
std::string TestData(size_t size) {
  static const char* kWords[] = {"serde", "tokio", "::",       "impl",
                                 "fn ",   "\n",    "rlib",     "0x7f",
                                 "async", "<T>",   "\0\0\0\0", "core"};
  std::mt19937 rng(42);
  std::string out;
  out.reserve(size + 16);
  while (out.size() < size) {
    out += kWords[rng() % (sizeof kWords / sizeof kWords[0])];
    out.push_back(static_cast<char>(rng() & 0xff));
  }
  out.resize(size);
  return out;
}

absl::StatusOr<std::string> Compress(const CompressorOptions& options,
                                     std::string_view data,
                                     size_t write_size = 100000) {
  std::string out;
  StringSink sink(&out);
  absl::StatusOr<std::unique_ptr<ByteSink>> compressor =
      NewCompressor(options, &sink);
  if (!compressor.ok()) return compressor.status();
  for (size_t i = 0; i < data.size(); i += write_size) {
    absl::Status s = (*compressor)->Write(data.substr(i, write_size));
    if (!s.ok()) return s;
  }
  absl::Status s = (*compressor)->Close();
  if (!s.ok()) return s;
  return out;
}

// Reads through a source that hands out at most `max_read` bytes a call, so
// decoders see input split at awkward places.
class TrickleSource : public ByteSource {
 public:
  TrickleSource(std::string_view data, size_t max_read)
      : inner_(data), max_(max_read) {}
  absl::StatusOr<size_t> Read(char* buffer, size_t n) override {
    return inner_.Read(buffer, std::min(n, max_));
  }

 private:
  StringSource inner_;
  size_t max_;
};

absl::StatusOr<std::string> Decompress(std::string_view data,
                                       size_t max_read = 1 << 20) {
  TrickleSource in(data, max_read);
  absl::StatusOr<std::unique_ptr<ByteSource>> source = NewDecompressor(&in);
  if (!source.ok()) return source.status();
  std::string out;
  StringSink sink(&out);
  absl::StatusOr<uint64_t> n = Copy(**source, sink);
  if (!n.ok()) return n.status();
  return out;
}

TEST(CompressionTest, NamesParseAndRoundTrip) {
  for (Compression c :
       {Compression::kZstd, Compression::kGzip, Compression::kNone}) {
    EXPECT_THAT(ParseCompression(CompressionName(c)), IsOkAndHolds(c));
  }
  EXPECT_THAT(
      ParseCompression("xz"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"xz\"")));
  EXPECT_THAT(
      ParseCompression("ZSTD"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("zstd, gzip")));
}

TEST(CompressionTest, LevelsAreValidatedPerAlgorithm) {
  EXPECT_THAT(ValidateLevel(Compression::kZstd, 1), IsOk());
  EXPECT_THAT(ValidateLevel(Compression::kZstd, 19), IsOk());
  EXPECT_THAT(ValidateLevel(Compression::kZstd, 20),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1..19")));
  EXPECT_THAT(ValidateLevel(Compression::kZstd, 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("zstd")));
  EXPECT_THAT(ValidateLevel(Compression::kGzip, 9), IsOk());
  EXPECT_THAT(ValidateLevel(Compression::kGzip, 10),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1..9")));
  EXPECT_THAT(ValidateLevel(Compression::kGzip, -1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("gzip")));
  EXPECT_THAT(ValidateLevel(Compression::kNone, 0), IsOk());
  EXPECT_THAT(
      ValidateLevel(Compression::kNone, 3),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no level")));
  EXPECT_THAT(Compress({.compression = Compression::kGzip, .level = 12}, "x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1..9")));
}

TEST(CompressorTest, ZstdRoundTripsAndIsSmaller) {
  const std::string data = TestData(3 << 20);
  absl::StatusOr<std::string> compressed =
      Compress({.compression = Compression::kZstd, .threads = 2}, data);
  ASSERT_THAT(compressed, IsOk());
  EXPECT_EQ(compressed->substr(0, 4), std::string("\x28\xb5\x2f\xfd", 4));
  EXPECT_LT(compressed->size(), data.size() / 2);
  EXPECT_THAT(Decompress(*compressed), IsOkAndHolds(data));
  // Input handed over a few bytes at a time decodes the same.
  EXPECT_THAT(Decompress(*compressed, 7), IsOkAndHolds(data));
}

TEST(CompressorTest, GzipRoundTripsWithAFixedHeader) {
  const std::string data = TestData(1 << 20);
  absl::StatusOr<std::string> compressed =
      Compress({.compression = Compression::kGzip}, data);
  ASSERT_THAT(compressed, IsOk());
  // ID1 ID2 CM=deflate FLG=0, MTIME=0, XFL=0 (level 6), OS=3 (Unix).
  EXPECT_EQ(compressed->substr(0, 10),
            std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10));
  EXPECT_LT(compressed->size(), data.size() / 2);
  EXPECT_THAT(Decompress(*compressed), IsOkAndHolds(data));
  EXPECT_THAT(Decompress(*compressed, 5), IsOkAndHolds(data));
}

TEST(CompressorTest, EmptyInputRoundTrips) {
  for (Compression c :
       {Compression::kZstd, Compression::kGzip, Compression::kNone}) {
    absl::StatusOr<std::string> compressed = Compress({.compression = c}, "");
    ASSERT_THAT(compressed, IsOk()) << CompressionName(c);
    EXPECT_THAT(Decompress(*compressed), IsOkAndHolds(std::string()))
        << CompressionName(c);
  }
}

TEST(CompressorTest, ZstdOutputDoesNotDependOnThreadCount) {
  // Several zstd jobs' worth (jobs are a few MiB at level 3), written in
  // chunks that do not line up with them.
  const std::string data = TestData(24 << 20);
  absl::StatusOr<std::string> one = Compress(
      {.compression = Compression::kZstd, .threads = 1}, data, 1 << 20);
  ASSERT_THAT(one, IsOk());
  for (int threads : {2, 4, 0}) {
    EXPECT_THAT(
        Compress({.compression = Compression::kZstd, .threads = threads}, data,
                 333333),
        IsOkAndHolds(*one))
        << threads << " threads";
  }
  EXPECT_THAT(Decompress(*one), IsOkAndHolds(data));
}

TEST(CompressorTest, SameInputGivesSameBytesForEveryLevel) {
  const std::string data = TestData(256 << 10);
  for (int level : {1, 3, 19}) {
    CompressorOptions options{.compression = Compression::kZstd,
                              .level = level};
    EXPECT_THAT(Compress(options, data),
                IsOkAndHolds(*Compress(options, data)));
  }
  for (int level : {1, 9}) {
    CompressorOptions options{.compression = Compression::kGzip,
                              .level = level};
    EXPECT_THAT(Compress(options, data),
                IsOkAndHolds(*Compress(options, data)));
  }
}

TEST(CompressorTest, NoneIsPassthroughAndWritesAfterCloseFail) {
  std::string out;
  StringSink sink(&out);
  for (Compression c :
       {Compression::kNone, Compression::kZstd, Compression::kGzip}) {
    auto compressor = NewCompressor({.compression = c}, &sink);
    ASSERT_THAT(compressor, IsOk());
    ASSERT_THAT((*compressor)->Write("abc"), IsOk());
    ASSERT_THAT((*compressor)->Close(), IsOk());
    EXPECT_THAT((*compressor)->Write("more"),
                StatusIs(absl::StatusCode::kFailedPrecondition,
                         HasSubstr("after close")));
  }
  EXPECT_EQ(out.substr(0, 3), "abc");
}

TEST(DetectCompressionTest, KnowsBothMagicNumbersFromTheirFirstBytes) {
  for (Compression c : {Compression::kZstd, Compression::kGzip}) {
    absl::StatusOr<std::string> compressed = Compress({.compression = c}, "x");
    ASSERT_THAT(compressed, IsOk());
    EXPECT_EQ(DetectCompression(*compressed), c);
    EXPECT_EQ(DetectCompression(compressed->substr(0, 4)), c);
  }
  EXPECT_EQ(DetectCompression("\x1f"), Compression::kNone);
  EXPECT_EQ(DetectCompression(std::string_view("\x28\xb5\x2f", 3)),
            Compression::kNone);
  EXPECT_EQ(DetectCompression("plain tar bytes"), Compression::kNone);
  EXPECT_EQ(DetectCompression(""), Compression::kNone);
}

TEST(DecompressorTest, UnknownDataAndShortInputPassThrough) {
  EXPECT_THAT(Decompress("plain tar bytes"),
              IsOkAndHolds(std::string("plain tar bytes")));
  EXPECT_THAT(Decompress("\x1f"), IsOkAndHolds(std::string("\x1f")));
  EXPECT_THAT(Decompress(""), IsOkAndHolds(std::string()));
  // Magic split over reads is still recognised.
  absl::StatusOr<std::string> z =
      Compress({.compression = Compression::kZstd}, "hello");
  ASSERT_THAT(z, IsOk());
  EXPECT_THAT(Decompress(*z, 1), IsOkAndHolds(std::string("hello")));
}

TEST(DecompressorTest, TruncatedStreamsAreErrors) {
  const std::string data = TestData(200000);
  for (Compression c : {Compression::kZstd, Compression::kGzip}) {
    absl::StatusOr<std::string> compressed = Compress({.compression = c}, data);
    ASSERT_THAT(compressed, IsOk());
    EXPECT_THAT(
        Decompress(compressed->substr(0, compressed->size() - 3)),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncated")))
        << CompressionName(c);
  }
}

TEST(DecompressorTest, CorruptStreamsAreErrors) {
  absl::StatusOr<std::string> z =
      Compress({.compression = Compression::kZstd}, TestData(100000));
  ASSERT_THAT(z, IsOk());
  std::string bad = *z;
  bad[bad.size() / 2] ^= 0x55;
  bad[bad.size() / 2 + 1] ^= 0x55;
  EXPECT_THAT(Decompress(bad), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("decompressing zstd")));
}

TEST(DecompressorTest, ConcatenatedMembersAndFramesAreRead) {
  for (Compression c : {Compression::kZstd, Compression::kGzip}) {
    absl::StatusOr<std::string> a = Compress({.compression = c}, "first ");
    absl::StatusOr<std::string> b = Compress({.compression = c}, "second");
    ASSERT_THAT(a, IsOk());
    ASSERT_THAT(b, IsOk());
    EXPECT_THAT(Decompress(*a + *b), IsOkAndHolds(std::string("first second")))
        << CompressionName(c);
  }
}

}  // namespace
}  // namespace cook::layers
