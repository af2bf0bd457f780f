#ifndef COOK_BASE_TEXT_H_
#define COOK_BASE_TEXT_H_

// Untrusted text (from images, registries, manifests, paths) made safe to
// print: it can neither forge lines nor drive the terminal.

#include <string>
#include <string_view>

namespace cook {

// Returns `text` with every byte that is not printable, valid UTF-8 escaped:
// C0 controls and DEL as \n, \r, \t or \xNN; C1 controls (U+0080..U+009F) as
// \u{NN}; bidirectional formatting characters (U+202A..U+202E,
// U+2066..U+2069) as \u{NNNN}; bytes that are not part of valid UTF-8 as
// \xNN; a backslash as \\,
// so the escaping is unambiguous. Valid printable UTF-8 is kept as is. The
// result is one line.
std::string EscapeForDisplay(std::string_view text);

// As EscapeForDisplay, but a backslash is kept as is, so that text already
// escaped (an error message that quotes EscapeForDisplay's output) passes
// through unchanged. For the last step before a terminal or log, which must
// hold whatever reaches it to one line of printable text.
std::string EscapeControls(std::string_view text);

// Returns `text` with each invalid UTF-8 sequence replaced by U+FFFD, and
// everything else kept: for JSON output, which must be valid UTF-8.
std::string ToValidUtf8(std::string_view text);

}  // namespace cook

#endif  // COOK_BASE_TEXT_H_
