// Cargo manifests and lockfiles as chef reads them: the TOML adapter
// (ParseToml, FormatToml), ParseManifest and Lockfile::Parse.
//
// Checks: what FormatToml writes (the skeleton's manifests) parses again and
// formats to the same bytes; a parsed lockfile formats to a lockfile that
// parses to the same bytes again.

#include <cstddef>
#include <cstdint>
#include <string>

#include "chef/lockfile.h"
#include "chef/manifest.h"
#include "chef/toml_parser.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cook;
  const std::string_view text = fuzz::AsText(data, size);

  if (auto doc = chef::ParseToml(text, "Cargo.toml"); doc.ok()) {
    const std::string formatted = chef::FormatToml(*doc);
    auto again = chef::ParseToml(formatted, "formatted.toml");
    fuzz::CheckOk(again.status(), "FormatToml output does not parse");
    fuzz::Check(chef::FormatToml(*again) == formatted,
                "FormatToml is not stable", formatted);
  }
  (void)chef::ParseManifest(text, "/fuzz/Cargo.toml");

  if (auto lock = chef::Lockfile::Parse(text, "Cargo.lock"); lock.ok()) {
    const std::string formatted = lock->Format();
    auto again = chef::Lockfile::Parse(formatted, "formatted.lock");
    fuzz::CheckOk(again.status(), "Lockfile::Format output does not parse");
    fuzz::Check(again->Format() == formatted, "Lockfile::Format is not stable",
                formatted);
  }
  return 0;
}
