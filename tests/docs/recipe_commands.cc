#include "tests/docs/recipe_commands.h"

#include <algorithm>
#include "absl/strings/string_view.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace cook::testing {
namespace {

using Values = std::map<std::string, std::string>;

constexpr absl::string_view kOperators = ";&|()<>";

struct Token {
  std::string text;
  bool op = false;  // an operator or redirection
  std::vector<std::string> unknown;
};

bool IsNameChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

// Expands the placeholder at text[at] == '$' into `word`; returns the index
// after it.
size_t Expand(absl::string_view text, size_t at, const Values& values, Token& word) {
  absl::string_view rest = text.substr(at + 1);
  std::string name;
  size_t used = 0;
  if (absl::StartsWith(rest, "(")) {
    int depth = 0;
    while (used < rest.size()) {
      const char c = rest[used++];
      if (c == '(') ++depth;
      if (c == ')' && --depth == 0) break;
    }
    word.unknown.push_back(absl::StrCat("$", rest.substr(0, used)));
    return at + 1 + used;
  }
  if (absl::StartsWith(rest, "{")) {
    const bool github = absl::StartsWith(rest, "{{");
    const size_t open = github ? 2 : 1;
    const size_t close = rest.find(github ? "}}" : "}");
    const size_t end = close == absl::string_view::npos ? rest.size() : close;
    name = std::string(absl::StripAsciiWhitespace(rest.substr(open, end - open)));
    used = std::min(rest.size(), end + open);
  } else {
    while (used < rest.size() && IsNameChar(rest[used])) ++used;
    if (used == 0) {
      word.text += '$';
      return at + 1;
    }
    name = std::string(rest.substr(0, used));
  }
  auto value = values.find(name);
  if (value == values.end()) {
    word.unknown.push_back(name);
  } else {
    word.text += value->second;
  }
  return at + 1 + used;
}

// Appends the double-quoted string that starts at text[at] == '"'; returns
// the index after its closing quote.
size_t DoubleQuoted(absl::string_view text, size_t at, const Values& values, Token& word) {
  size_t i = at + 1;
  while (i < text.size() && text[i] != '"') {
    if (text[i] == '\\' && i + 1 < text.size() &&
        absl::string_view("\"\\$`").find(text[i + 1]) != absl::string_view::npos) {
      word.text += text[i + 1];
      i += 2;
    } else if (text[i] == '$') {
      i = Expand(text, i, values, word);
    } else {
      word.text += text[i++];
    }
  }
  return i + 1;
}

// The words and operators of one logical line, up to a comment.
std::vector<Token> Lex(absl::string_view line, const Values& values) {
  std::vector<Token> tokens;
  Token word;
  bool in_word = false;
  auto finish = [&] {
    if (in_word) tokens.push_back(std::move(word));
    word = Token();
    in_word = false;
  };
  size_t i = 0;
  while (i < line.size()) {
    const char c = line[i];
    if (c == ' ' || c == '\t') {
      finish();
      ++i;
    } else if (c == '#' && !in_word) {
      break;
    } else if (kOperators.find(c) != absl::string_view::npos) {
      // "2>": the descriptor belongs to the redirection.
      if ((c == '<' || c == '>') && in_word && !word.text.empty() &&
          std::all_of(word.text.begin(), word.text.end(), absl::ascii_isdigit)) {
        word = Token();
        in_word = false;
      }
      finish();
      const size_t end = std::min(line.find_first_not_of(kOperators, i), line.size());
      tokens.push_back(Token{std::string(line.substr(i, end - i)), true, {}});
      i = end;
    } else {
      in_word = true;
      if (c == '\\') {
        if (i + 1 < line.size()) word.text += line[i + 1];
        i += 2;
      } else if (c == '\'') {
        const size_t end = std::min(line.find('\'', i + 1), line.size());
        absl::StrAppend(&word.text, line.substr(i + 1, end - i - 1));
        i = end + 1;
      } else if (c == '"') {
        i = DoubleQuoted(line, i, values, word);
      } else if (c == '$') {
        i = Expand(line, i, values, word);
      } else {
        word.text += c;
        ++i;
      }
    }
  }
  finish();
  return tokens;
}

// Lines joined across trailing backslashes, each with its first line's number.
std::vector<std::pair<int, std::string>> LogicalLines(const std::string& text) {
  std::vector<std::pair<int, std::string>> lines;
  bool continued = false;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    if (!continued) lines.emplace_back(number, "");
    continued = absl::ConsumeSuffix(&line, "\\");
    absl::StrAppend(&lines.back().second, line);
  }
  return lines;
}

bool IsAssignment(const Token& token) {
  const size_t eq = token.text.find('=');
  return eq != std::string::npos && eq > 0 && !absl::ascii_isdigit(token.text[0]) &&
         std::all_of(token.text.begin(), token.text.begin() + eq, IsNameChar);
}

// Words after which a command starts, as after an operator.
bool IsKeyword(const std::string& word) {
  for (const char* keyword : {"if", "then", "else", "elif", "do", "while", "until", "!", "time"}) {
    if (word == keyword) return true;
  }
  return false;
}

void AddCommands(int line, const std::vector<Token>& tokens, std::vector<CookCommand>& out) {
  size_t i = 0;
  // YAML around the shell: a list item's dash, a key ("run:", "- script:").
  while (i < tokens.size() && !tokens[i].op &&
         (tokens[i].text == "-" || absl::EndsWith(tokens[i].text, ":"))) {
    ++i;
  }
  bool at_start = true;
  for (; i < tokens.size(); ++i) {
    const Token& token = tokens[i];
    if (token.op) {
      at_start = true;
      continue;
    }
    if (at_start && (IsKeyword(token.text) || IsAssignment(token))) continue;
    if (at_start && token.text == "cook" && token.unknown.empty()) {
      CookCommand command{.line = line};
      for (++i; i < tokens.size() && !tokens[i].op; ++i) {
        command.args.push_back(tokens[i].text);
        command.unknown.insert(command.unknown.end(), tokens[i].unknown.begin(),
                               tokens[i].unknown.end());
      }
      out.push_back(std::move(command));
      at_start = true;
      continue;
    }
    at_start = false;
  }
}

}  // namespace

std::vector<CookCommand> CookCommands(const std::string& text, const Values& values) {
  std::vector<CookCommand> commands;
  for (const auto& [line, logical] : LogicalLines(text)) {
    AddCommands(line, Lex(logical, values), commands);
  }
  return commands;
}

}  // namespace cook::testing
