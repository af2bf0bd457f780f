// Auth files (docker config.json / containers auth.json) as LookupCredentials
// reads them, with a credential helper that answers with the input's bytes.
// The input is sections (SplitSections): "@@ config.json" is the file,
// "@@ helper" the helper's stdout, "@@ host" the registry looked up
// (default registry.example:5000; docker.io exercises Docker Hub's aliases).

#include <cstddef>
#include <cstdint>
#include <string>

#include "registry/credentials.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cook;
  std::string config = "{}";
  std::string helper_output;
  std::string host = "registry.example:5000";
  for (const fuzz::FileSection& section :
       fuzz::SplitSections(fuzz::AsText(data, size))) {
    if (section.path == "config.json") config = section.contents;
    if (section.path == "helper") helper_output = section.contents;
    if (section.path == "host") host = section.contents;
  }
  const std::filesystem::path file =
      fuzz::ProcessTempDir() / "authfile" / "config.json";
  fuzz::ResetDir(file.parent_path());
  fuzz::WriteFile(file, config);
  registry::AuthConfig auth{.authfile = file.string()};
  auto helper = [&](const std::string& name, const std::string& server)
      -> absl::StatusOr<std::string> { return helper_output; };
  (void)registry::LookupCredentials(auth, host, helper);
  return 0;
}
