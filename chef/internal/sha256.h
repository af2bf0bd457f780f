#ifndef COOK_CHEF_INTERNAL_SHA256_H_
#define COOK_CHEF_INTERNAL_SHA256_H_

// SHA-256 for the recipe digest. chef may not use layers/digest, so this is
// a private wrapper around OpenSSL (its low-level functions: see the .cc).

#include <string>
#include <string_view>

namespace cook::chef::internal {

// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

}  // namespace cook::chef::internal

#endif  // COOK_CHEF_INTERNAL_SHA256_H_
