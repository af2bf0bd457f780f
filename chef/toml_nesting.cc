#include "chef/toml_nesting.h"

#include <string>
#include <vector>

#include "absl/strings/str_format.h"

namespace cook::chef {
namespace {

bool IsBareKeyChar(char c) {
  switch (c) {
    case ' ':
    case '\t':
    case '\r':
    case '\n':
    case '.':
    case '=':
    case '[':
    case ']':
    case '{':
    case '}':
    case ',':
    case '#':
    case '"':
    case '\'':
      return false;
    default:
      return true;
  }
}

// Where a bare value (number, boolean, date) ends.
bool IsScalarEnd(char c) {
  switch (c) {
    case ' ':
    case '\t':
    case '\r':
    case '\n':
    case ',':
    case '[':
    case ']':
    case '{':
    case '}':
    case '#':
    case '=':
    case '"':
    case '\'':
      return true;
    default:
      return false;
  }
}

// Follows the TOML grammar far enough to know the depth of every key and
// value: strings (so brackets inside them do not count), comments, table
// headers, dotted keys, arrays and inline tables, with an explicit stack.
// On anything it does not understand it skips to the next line: the parser
// stops at the first error, so all it ever builds is what was scanned.
class Scanner {
 public:
  Scanner(std::string_view text, std::string_view path)
      : text_(text), path_(path) {}

  absl::Status Run() {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") i_ = 3;
    while (true) {
      SkipSpace();
      if (AtEnd()) return absl::OkStatus();
      const size_t start = i_;
      if (Peek() == '[') {
        ++i_;
        const bool array = Peek() == '[';
        if (array) ++i_;
        absl::Status status = Key(1);
        if (!status.ok()) return status;
        table_depth_ = parts_ + (array ? 1 : 0);
        status = CheckDepth(start, table_depth_);
        if (!status.ok()) return status;
        SkipLine();
        continue;
      }
      absl::Status status = Key(table_depth_);
      if (!status.ok()) return status;
      SkipBlanks();
      if (Peek() != '=') {
        SkipLine();
        continue;
      }
      ++i_;
      status = Value(table_depth_ + parts_ - 1);
      if (!status.ok()) return status;
      SkipLine();
    }
  }

 private:
  struct Frame {
    bool table;  // an inline table, else an array
    int depth;   // of the array or table itself
  };

  bool AtEnd() const { return i_ >= text_.size(); }
  char Peek(size_t ahead = 0) const {
    return i_ + ahead < text_.size() ? text_[i_ + ahead] : '\0';
  }
  void SkipBlanks() {
    while (Peek() == ' ' || Peek() == '\t') ++i_;
  }
  // Blanks, line breaks and comments.
  void SkipSpace() {
    while (true) {
      SkipBlanks();
      if (Peek() == '#') {
        while (!AtEnd() && Peek() != '\n') ++i_;
      } else if (Peek() == '\n' || Peek() == '\r') {
        ++i_;
      } else {
        return;
      }
    }
  }
  void SkipLine() {
    while (!AtEnd() && Peek() != '\n') ++i_;
  }

  // Skips the string that starts at the current quote. False when it is not
  // closed (where it should be).
  bool SkipString() {
    const char quote = Peek();
    if (Peek(1) == quote && Peek(2) == quote) {
      i_ += 3;
      while (!AtEnd()) {
        if (quote == '"' && Peek() == '\\') {
          i_ += 2;
        } else if (Peek() == quote && Peek(1) == quote && Peek(2) == quote) {
          i_ += 3;
          // Up to two quotes right before the closing ones are content.
          for (int extra = 0; extra < 2 && Peek() == quote; ++extra) ++i_;
          return true;
        } else {
          ++i_;
        }
      }
      return false;
    }
    ++i_;
    while (!AtEnd() && Peek() != '\n') {
      if (quote == '"' && Peek() == '\\' && Peek(1) != '\n') {
        i_ += 2;
      } else if (Peek() == quote) {
        ++i_;
        return true;
      } else {
        ++i_;
      }
    }
    return false;
  }

  // Reads a (dotted) key into `parts_`; an error once it has too many parts,
  // or once the table holding its value would be deeper than allowed (keys
  // of a table `depth` deep).
  absl::Status Key(int depth) {
    parts_ = 0;
    while (true) {
      SkipBlanks();
      const size_t start = i_;
      if (Peek() == '"' || Peek() == '\'') {
        if (!SkipString()) return absl::OkStatus();
      } else {
        while (!AtEnd() && IsBareKeyChar(Peek())) ++i_;
      }
      ++parts_;
      if (parts_ > kMaxTomlKeyParts) {
        return Error(start,
                     absl::StrFormat("a key of more than %d parts (cargo's "
                                     "limit is %d)",
                                     kMaxTomlKeyParts, kMaxTomlKeyParts));
      }
      absl::Status status = CheckDepth(start, depth + parts_ - 1);
      if (!status.ok()) return status;
      SkipBlanks();
      if (Peek() != '.') return absl::OkStatus();
      ++i_;
    }
  }

  // Scans one value whose container is `depth` deep.
  absl::Status Value(int depth) {
    enum class Expect { kValue, kKey, kSeparator };
    std::vector<Frame> stack;
    Expect expect = Expect::kValue;
    int value_depth = depth;
    auto close = [&] {
      stack.pop_back();
      ++i_;
      expect = Expect::kSeparator;
    };
    while (true) {
      if (stack.empty() && expect == Expect::kSeparator) {
        return absl::OkStatus();
      }
      if (stack.empty()) {
        SkipBlanks();
      } else {
        SkipSpace();
      }
      if (AtEnd()) return absl::OkStatus();
      const char c = Peek();
      switch (expect) {
        case Expect::kValue: {
          if (c == '[' || c == '{') {
            absl::Status status = CheckOpen(stack.size(), value_depth + 1);
            if (!status.ok()) return status;
            stack.push_back({c == '{', value_depth + 1});
            value_depth = stack.back().depth;
            ++i_;
            expect = c == '{' ? Expect::kKey : Expect::kValue;
          } else if (c == ']' && !stack.empty() && !stack.back().table) {
            close();  // an empty array, or a trailing comma
          } else if (c == '"' || c == '\'') {
            if (!SkipString()) return absl::OkStatus();
            expect = Expect::kSeparator;
          } else {
            const size_t start = i_;
            while (!AtEnd() && !IsScalarEnd(Peek())) ++i_;
            if (i_ == start) return absl::OkStatus();
            expect = Expect::kSeparator;
          }
          break;
        }
        case Expect::kKey: {
          if (c == '}') {
            close();
            break;
          }
          absl::Status status = Key(stack.back().depth);
          if (!status.ok()) return status;
          SkipBlanks();
          if (Peek() != '=') return absl::OkStatus();
          ++i_;
          value_depth = stack.back().depth + parts_ - 1;
          expect = Expect::kValue;
          break;
        }
        case Expect::kSeparator: {
          const Frame& frame = stack.back();
          if (c == ',') {
            ++i_;
            value_depth = frame.depth;
            expect = frame.table ? Expect::kKey : Expect::kValue;
          } else if ((c == ']' && !frame.table) || (c == '}' && frame.table)) {
            close();
          } else if (IsScalarEnd(c)) {
            return absl::OkStatus();
          } else {
            // The time of a date-time written with a space.
            while (!AtEnd() && !IsScalarEnd(Peek())) ++i_;
          }
          break;
        }
      }
    }
  }

  // Before an array or inline table opens at i_, `depth` deep and inside
  // `open` others: both limits cargo's parser has.
  absl::Status CheckOpen(size_t open, int depth) const {
    if (static_cast<int>(open) >= kMaxTomlValueNesting) {
      return Error(i_,
                   absl::StrFormat("arrays and inline tables nested more "
                                   "than %d deep (cargo's limit is %d)",
                                   kMaxTomlValueNesting, kMaxTomlValueNesting));
    }
    return CheckDepth(i_, depth);
  }

  absl::Status CheckDepth(size_t at, int depth) const {
    if (depth <= kMaxTomlDepth) return absl::OkStatus();
    return Error(at, absl::StrFormat("tables and arrays nested more than %d "
                                     "levels deep",
                                     kMaxTomlDepth));
  }

  absl::Status Error(size_t at, const std::string& message) const {
    int line = 1;
    int column = 1;
    for (size_t k = 0; k < at && k < text_.size(); ++k) {
      if (text_[k] == '\n') {
        ++line;
        column = 1;
      } else if ((static_cast<unsigned char>(text_[k]) & 0xC0) != 0x80) {
        ++column;
      }
    }
    return absl::InvalidArgumentError(
        absl::StrFormat("%s:%d:%d: %s", path_, line, column, message));
  }

  std::string_view text_;
  std::string_view path_;
  size_t i_ = 0;
  int table_depth_ = 0;  // of the current [table] or [[array]] header
  int parts_ = 0;        // of the last key read
};

}  // namespace

absl::Status CheckTomlNesting(std::string_view text, std::string_view path) {
  return Scanner(text, path).Run();
}

}  // namespace cook::chef
