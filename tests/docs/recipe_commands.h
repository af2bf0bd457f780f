#ifndef COOK_TESTS_DOCS_RECIPE_COMMANDS_H_
#define COOK_TESTS_DOCS_RECIPE_COMMANDS_H_

// The cook commands of a CI recipe (YAML whose shell lines run cook), with the
// words the shell would pass: lines ending in `\` joined to the next, quotes
// and backslashes removed, placeholders ($NAME, ${NAME}, GitHub's ${{ EXPR }})
// replaced with plausible values. A command is the word `cook` where a shell
// command starts (at the start of a line, after a YAML list dash or `key:`,
// after `;`, `&&`, `||`, `|`, `(`, `if`, `then`, `else`, `do`, `!`), up to the
// next operator or redirection. Comments (`#` starting a word) are skipped.
// Not a shell: enough for recipes that keep cook commands on their own lines.

#include <map>
#include <string>
#include <vector>

namespace cook::testing {

struct CookCommand {
  int line = 0;                    // 1-based: the command's first line
  std::vector<std::string> args;   // the words after `cook`
  // Placeholders missing from the values given, and command substitutions
  // ("$(...)"): what the command's words cannot be known without.
  std::vector<std::string> unknown;
};

// `values` maps a placeholder's name ("RUNNER_TEMP", "secrets.TOKEN": the
// text between the braces, trimmed) to its value.
std::vector<CookCommand> CookCommands(const std::string& text,
                                      const std::map<std::string, std::string>& values);

}  // namespace cook::testing

#endif  // COOK_TESTS_DOCS_RECIPE_COMMANDS_H_
