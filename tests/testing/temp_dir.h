#ifndef COOK_TESTS_TESTING_TEMP_DIR_H_
#define COOK_TESTS_TESTING_TEMP_DIR_H_

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace cook::testing {

// One fresh root per test, removed afterwards. Tests never chdir.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = std::filesystem::path(::testing::TempDir()) /
            absl::StrCat(info->test_suite_name(), ".", info->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
  }
  void TearDown() override {
    std::error_code ec;
    // Tests may leave read-only directories behind; make them removable.
    for (auto it = std::filesystem::recursive_directory_iterator(root_, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_directory(ec) && !it->is_symlink(ec)) {
        std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all,
                                     std::filesystem::perm_options::add, ec);
      }
    }
    std::filesystem::remove_all(root_, ec);
  }
  std::filesystem::path root_;
};

// Writes `contents` to `path`, creating parent directories.
void WriteTestFile(const std::filesystem::path& path, const std::string& contents);

}  // namespace cook::testing

#endif  // COOK_TESTS_TESTING_TEMP_DIR_H_
