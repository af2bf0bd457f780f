#include "cache/cargo_options.h"

#include "absl/strings/str_join.h"

namespace cook::cache {

std::vector<std::string> CargoOptions::ToArgs() const {
  std::vector<std::string> args;
  if (release) args.push_back("--release");
  if (!profile.empty()) args.insert(args.end(), {"--profile", profile});
  for (const auto& t : targets) args.insert(args.end(), {"--target", t});
  if (!features.empty()) args.insert(args.end(), {"--features", features});
  if (all_features) args.push_back("--all-features");
  if (no_default_features) args.push_back("--no-default-features");
  for (const auto& p : packages) args.insert(args.end(), {"--package", p});
  for (const auto& b : bins) args.insert(args.end(), {"--bin", b});
  if (all_bins) args.push_back("--bins");
  if (workspace) args.push_back("--workspace");
  if (tests) args.push_back("--tests");
  if (benches) args.push_back("--benches");
  if (examples) args.push_back("--examples");
  if (all_targets) args.push_back("--all-targets");
  if (locked) args.push_back("--locked");
  if (frozen) args.push_back("--frozen");
  if (offline) args.push_back("--offline");
  if (jobs > 0) args.insert(args.end(), {"--jobs", std::to_string(jobs)});
  return args;
}

std::string OptionsLabel(const CargoOptions& cargo) {
  CargoOptions key = cargo;
  key.jobs = 0;
  key.locked = key.frozen = key.offline = false;
  return absl::StrJoin(key.ToArgs(), " ");
}

}  // namespace cook::cache
