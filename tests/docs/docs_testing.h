#ifndef COOK_TESTS_DOCS_DOCS_TESTING_H_
#define COOK_TESTS_DOCS_DOCS_TESTING_H_

#include <string>

namespace cook::testing {

// The file's contents; a gtest failure (and "") when it cannot be read.
std::string ReadTestData(const std::string& path);

// docs/cook.1 as a reader sees it, rendered by groff (Debian: groff-base) as
// plain text, one paragraph a line: no hyphenation or line break splits an
// option. A gtest failure when groff fails.
std::string RenderedManPage();

}  // namespace cook::testing

#endif  // COOK_TESTS_DOCS_DOCS_TESTING_H_
