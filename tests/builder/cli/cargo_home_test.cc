// The default cargo home of `cook restore` (the real binary, its real
// environment): $CARGO_HOME, else the user's home + "/.cargo", with the home
// from the password database when HOME is unset or empty; never the
// working directory.

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "base/io.h"
#include "oci/image.h"
#include "oci/reference.h"
#include "oci/transport.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "layers/digest.h"
#include "nlohmann/json.hpp"
#include "tests/layers/tar_testing.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace cook {
namespace {

namespace fs = std::filesystem;
using ::cook::layers::testing::BuildTar;
using ::cook::layers::testing::FileEntry;
using ::cook::layers::testing::TarEntry;
using ::cook::testing::CookBinary;
using ::cook::testing::RunOptions;
using ::cook::testing::RunProgram;
using ::cook::testing::RunResult;

// The home directory the password database gives this user.
std::string PasswdHome() {
  std::vector<char> buffer(1 << 16);
  struct passwd entry;
  struct passwd* found = nullptr;
  if (::getpwuid_r(::getuid(), &entry, buffer.data(), buffer.size(), &found) != 0 ||
      found == nullptr) {
    return "";
  }
  return found->pw_dir;
}

class CargoHomeTest : public cook::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    cwd_ = root_ / "cwd";
    fs::create_directories(cwd_);
  }

  // A cook cache image whose layers hold the target directory and, with
  // `cargo_home_layer`, a cargo home (registry/cache/index/dep-1.0.0.crate).
  std::string WriteCacheImage(bool cargo_home_layer) {
    auto ref = oci::ParseReference("oci:" + (root_ / "image").string() + ":t");
    EXPECT_TRUE(ref.ok());
    auto dest = oci::OpenImageDestination(*ref);
    EXPECT_TRUE(dest.ok()) << dest.status();
    oci::ImageConfig config;
    config.created = "1970-01-01T00:00:01Z";
    config.labels = {{"dev.cook.recipe.digest", "sha256:" + std::string(64, '0')},
                     {"dev.cook.target-dir", "/build/target"},
                     {"dev.cook.cargo-home", "/usr/local/cargo"}};
    oci::Manifest manifest;
    auto add_layer = [&](const std::string& tar, const std::string& label) {
      oci::Descriptor layer{std::string(oci::kOciLayerTar), layers::Sha256Digest(tar),
                            static_cast<int64_t>(tar.size())};
      StringSource source(tar);
      EXPECT_TRUE((*dest)->PutBlob(layer, source).ok());
      config.diff_ids.push_back(layer.digest);
      config.labels[label] = layer.digest;
      manifest.layers.push_back(layer);
    };
    add_layer(BuildTar({FileEntry("build/target/debug/libdep.rlib", "rlib")}),
              "dev.cook.layers.target");
    if (cargo_home_layer) {
      add_layer(BuildTar({FileEntry("usr/local/cargo/registry/cache/index/dep-1.0.0.crate", "c")}),
                "dev.cook.layers.cargo-home");
    }
    const std::string config_bytes = oci::SerializeConfig(config);
    manifest.config = {std::string(oci::kOciConfig), layers::Sha256Digest(config_bytes),
                       static_cast<int64_t>(config_bytes.size())};
    StringSource config_source(config_bytes);
    EXPECT_TRUE((*dest)->PutBlob(manifest.config, config_source).ok());
    EXPECT_TRUE((*dest)->PutManifest(oci::MakeRawManifest(manifest)).ok());
    EXPECT_TRUE((*dest)->Commit().ok());
    return "oci:" + (root_ / "image").string() + ":t";
  }

  // `cook restore --json` from the working directory cwd_, with no
  // --cargo-home and the environment changed as `options` says.
  RunResult Restore(const std::string& ref, RunOptions options) {
    options.cwd = cwd_.string();
    options.unset_env.push_back("BUILD_WORKING_DIRECTORY");
    return RunProgram({CookBinary(), "restore", "--from", ref, "--target-dir",
                       (root_ / "target").string(), "--json", "--quiet"},
                      options);
  }

  static std::string CargoHomeOf(const RunResult& r) {
    const nlohmann::json doc = nlohmann::json::parse(r.out, nullptr, false);
    if (!doc.is_object() || !doc.contains("cargo_home")) return "(no cargo_home in " + r.out + ")";
    return doc["cargo_home"].get<std::string>();
  }

  bool CwdIsEmpty() const { return fs::is_empty(cwd_); }

  fs::path cwd_;
};

TEST_F(CargoHomeTest, HomeUnsetUsesThePasswordDatabaseNotTheWorkingDirectory) {
  const std::string home = PasswdHome();
  ASSERT_FALSE(home.empty()) << "this user has no password database entry";
  // No cargo-home layer: nothing is written into the user's real home.
  const std::string image = WriteCacheImage(/*cargo_home_layer=*/false);
  RunOptions options;
  options.unset_env = {"HOME", "CARGO_HOME"};
  RunResult r = Restore(image, options);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(CargoHomeOf(r), (fs::path(home) / ".cargo").string());
  EXPECT_TRUE(CwdIsEmpty());
  EXPECT_TRUE(fs::exists(root_ / "target/debug/libdep.rlib"));
}

TEST_F(CargoHomeTest, EmptyHomeCountsAsUnset) {
  const std::string home = PasswdHome();
  ASSERT_FALSE(home.empty()) << "this user has no password database entry";
  const std::string image = WriteCacheImage(/*cargo_home_layer=*/false);
  RunOptions options;
  options.env["HOME"] = "";
  options.env["CARGO_HOME"] = "";
  RunResult r = Restore(image, options);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(CargoHomeOf(r), (fs::path(home) / ".cargo").string());
  EXPECT_TRUE(CwdIsEmpty());
}

TEST_F(CargoHomeTest, HomeGivesDotCargoAndCargoHomeWins) {
  const std::string image = WriteCacheImage(/*cargo_home_layer=*/true);
  RunOptions options;
  options.env["HOME"] = (root_ / "home").string();
  options.unset_env = {"CARGO_HOME"};
  RunResult r = Restore(image, options);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(CargoHomeOf(r), (root_ / "home/.cargo").string());
  EXPECT_TRUE(fs::exists(root_ / "home/.cargo/registry/cache/index/dep-1.0.0.crate"));

  options.unset_env.clear();
  options.env["CARGO_HOME"] = (root_ / "cargo-home").string();
  r = Restore(image, options);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(CargoHomeOf(r), (root_ / "cargo-home").string());
  EXPECT_TRUE(fs::exists(root_ / "cargo-home/registry/cache/index/dep-1.0.0.crate"));
  EXPECT_TRUE(CwdIsEmpty());
}

// As cargo does, a relative CARGO_HOME is taken relative to the working
// directory, and reported absolute.
TEST_F(CargoHomeTest, RelativeCargoHomeIsMadeAbsolute) {
  const std::string image = WriteCacheImage(/*cargo_home_layer=*/true);
  RunOptions options;
  options.env["CARGO_HOME"] = "rel/home";
  options.unset_env = {"HOME"};
  RunResult r = Restore(image, options);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(CargoHomeOf(r), (cwd_ / "rel/home").string());
  EXPECT_TRUE(fs::exists(cwd_ / "rel/home/registry/cache/index/dep-1.0.0.crate"));
  EXPECT_FALSE(fs::exists(cwd_ / "registry"));
}

}  // namespace
}  // namespace cook
