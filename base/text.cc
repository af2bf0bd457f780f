#include "base/text.h"

#include <cstdint>

#include "absl/strings/str_format.h"

namespace cook {
namespace {

// The length of the valid UTF-8 sequence at the start of `s` (1..4), or 0 when
// it is not one (overlong forms, surrogates and values past U+10FFFF count as
// invalid, as RFC 3629 says).
size_t Utf8SequenceLength(std::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const auto continuation = [&](size_t i) {
    return i < s.size() && (byte(i) & 0xC0) == 0x80;
  };
  const uint8_t b0 = byte(0);
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) return continuation(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!continuation(1) || !continuation(2)) return 0;
    if (b0 == 0xE0 && byte(1) < 0xA0) return 0;  // overlong
    if (b0 == 0xED && byte(1) >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!continuation(1) || !continuation(2) || !continuation(3)) return 0;
    if (b0 == 0xF0 && byte(1) < 0x90) return 0;  // overlong
    if (b0 == 0xF4 && byte(1) >= 0x90) return 0;  // past U+10FFFF
    return 4;
  }
  return 0;
}

// The code point of the bidirectional formatting character that the UTF-8
// sequence `seq` encodes (U+202A..U+202E, U+2066..U+2069), or 0.
int BidiControl(std::string_view seq) {
  if (seq.size() != 3 || static_cast<uint8_t>(seq[0]) != 0xE2) return 0;
  const int cp = ((static_cast<uint8_t>(seq[1]) & 0x3F) << 6) |
                 (static_cast<uint8_t>(seq[2]) & 0x3F) | 0x2000;
  if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) return cp;
  return 0;
}

std::string Escape(std::string_view text, bool escape_backslash) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const size_t n = Utf8SequenceLength(text);
    const auto b0 = static_cast<uint8_t>(text[0]);
    if (n == 0) {
      absl::StrAppendFormat(&out, "\\x%02x", b0);
      text.remove_prefix(1);
      continue;
    }
    if (n == 1) {
      switch (b0) {
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\\': out += escape_backslash ? "\\\\" : "\\"; break;
        default:
          if (b0 < 0x20 || b0 == 0x7F) {
            absl::StrAppendFormat(&out, "\\x%02x", b0);
          } else {
            out += static_cast<char>(b0);
          }
      }
    } else if (n == 2 && b0 == 0xC2 && static_cast<uint8_t>(text[1]) < 0xA0) {
      // U+0080..U+009F: C1 controls, which terminals act on (CSI is U+009B).
      absl::StrAppendFormat(&out, "\\u{%02x}", static_cast<uint8_t>(text[1]));
    } else if (const int bidi = BidiControl(text.substr(0, n)); bidi != 0) {
      // They reorder what follows them on the line ("Trojan Source").
      absl::StrAppendFormat(&out, "\\u{%04x}", bidi);
    } else {
      out.append(text.substr(0, n));
    }
    text.remove_prefix(n);
  }
  return out;
}

}  // namespace

std::string EscapeForDisplay(std::string_view text) {
  return Escape(text, /*escape_backslash=*/true);
}

std::string EscapeControls(std::string_view text) {
  return Escape(text, /*escape_backslash=*/false);
}

std::string ToValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const size_t n = Utf8SequenceLength(text);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      text.remove_prefix(1);
    } else {
      out.append(text.substr(0, n));
      text.remove_prefix(n);
    }
  }
  return out;
}

}  // namespace cook
