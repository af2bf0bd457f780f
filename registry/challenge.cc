#include "registry/challenge.h"

#include <utility>

#include "absl/strings/ascii.h"

namespace cook::registry {
namespace {

std::string Lower(std::string_view s) {
  return absl::AsciiStrToLower(absl::string_view(s.data(), s.size()));
}

bool IsTchar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken68Char(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("-._~+/").find(c) != std::string_view::npos;
}

class ChallengeParser {
 public:
  explicit ChallengeParser(std::string_view text) : text_(text) {}

  std::vector<Challenge> Parse() {
    std::vector<Challenge> out;
    while (true) {
      SkipSpaceAndCommas();
      if (AtEnd()) break;
      std::string scheme = Token();
      if (scheme.empty()) {
        SkipPast(',');
        continue;
      }
      Challenge challenge{Lower(scheme), {}};
      ParseParams(challenge);
      out.push_back(std::move(challenge));
    }
    return out;
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  void SkipSpace() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t')) ++pos_;
  }
  void SkipSpaceAndCommas() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == ','))
      ++pos_;
  }
  void SkipPast(char c) {
    while (!AtEnd() && Peek() != c) ++pos_;
    if (!AtEnd()) ++pos_;
  }
  std::string Token() {
    size_t start = pos_;
    while (!AtEnd() && IsTchar(Peek())) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }
  bool QuotedString(std::string* out) {
    if (Peek() != '"') return false;
    ++pos_;
    while (!AtEnd() && Peek() != '"') {
      if (Peek() == '\\' && pos_ + 1 < text_.size()) ++pos_;
      out->push_back(text_[pos_++]);
    }
    if (!AtEnd()) ++pos_;  // an unterminated string runs to the end
    return true;
  }
  // auth-param = token BWS "=" BWS ( token / quoted-string )
  bool Param(std::string* name, std::string* value) {
    *name = Token();
    if (name->empty()) return false;
    SkipSpace();
    if (Peek() != '=') return false;
    ++pos_;
    SkipSpace();
    value->clear();
    if (QuotedString(value)) return true;
    *value = Token();
    return !value->empty();
  }
  // token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
  bool Token68() {
    size_t start = pos_;
    while (!AtEnd() && IsToken68Char(Peek())) ++pos_;
    if (pos_ == start) return false;
    while (Peek() == '=') ++pos_;
    size_t end = pos_;
    SkipSpace();
    if (AtEnd() || Peek() == ',') return true;
    pos_ = end;
    return false;
  }
  void ParseParams(Challenge& challenge) {
    bool first = true;
    while (true) {
      const size_t before = pos_;
      if (first) {
        SkipSpace();
      } else {
        SkipSpace();
        if (Peek() != ',') {
          pos_ = before;
          return;
        }
        SkipSpaceAndCommas();
      }
      const size_t start = pos_;
      std::string name, value;
      if (Param(&name, &value)) {
        challenge.params.emplace(Lower(name), std::move(value));
        first = false;
        continue;
      }
      pos_ = start;
      if (first && Token68()) {
        first = false;
        continue;
      }
      // The next challenge's scheme, or the end.
      pos_ = before;
      return;
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

std::vector<Challenge> ParseChallenges(std::string_view header) {
  return ChallengeParser(header).Parse();
}

}  // namespace cook::registry
