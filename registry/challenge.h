#ifndef COOK_REGISTRY_CHALLENGE_H_
#define COOK_REGISTRY_CHALLENGE_H_

// The challenges of a 401 answer: WWW-Authenticate headers (RFC 7235).

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cook::registry {

// One challenge from a WWW-Authenticate header.
struct Challenge {
  std::string scheme;                         // lower-case: "basic", "bearer"
  std::map<std::string, std::string> params;  // keys lower-case
};

// Parses a WWW-Authenticate header value (RFC 7235: several challenges may be
// comma-separated; parameter values are tokens or quoted strings with
// escapes). A token68 (`Negotiate abc==`) is skipped; so is garbage, as far
// as the next challenge. The first of repeated parameters counts.
std::vector<Challenge> ParseChallenges(std::string_view header);

}  // namespace cook::registry

#endif  // COOK_REGISTRY_CHALLENGE_H_
