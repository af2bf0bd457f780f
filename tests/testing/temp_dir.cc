#include "tests/testing/temp_dir.h"

#include <fstream>

namespace cook::testing {

void WriteTestFile(const std::filesystem::path& path, const std::string& contents) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  ASSERT_TRUE(out.good()) << "writing " << path;
}

}  // namespace cook::testing
