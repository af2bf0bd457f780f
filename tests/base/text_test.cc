#include "base/text.h"

#include <string>

#include "gtest/gtest.h"

namespace cook {
namespace {

TEST(EscapeForDisplayTest, KeepsPrintableUtf8) {
  EXPECT_EQ(EscapeForDisplay("crème brûlée 🍰 /build/target"),
            "crème brûlée 🍰 /build/target");
}

TEST(EscapeForDisplayTest, CannotForgeLines) {
  EXPECT_EQ(EscapeForDisplay("a\nlabel: forged\r"), "a\\nlabel: forged\\r");
}

TEST(EscapeForDisplayTest, EscapesTerminalControls) {
  EXPECT_EQ(EscapeForDisplay("\x1b[2J\x07\x7f"), "\\x1b[2J\\x07\\x7f");
  EXPECT_EQ(EscapeForDisplay("\xc2\x9b" "31m"), "\\u{9b}31m");  // C1 CSI
}

TEST(EscapeForDisplayTest, EscapesBidiControls) {
  EXPECT_EQ(EscapeForDisplay("a\u202Eb\u2066c\u2069"), "a\\u{202e}b\\u{2066}c\\u{2069}");
  EXPECT_EQ(EscapeForDisplay("\u2014 \u2030"), "\u2014 \u2030");  // neighbours stay
}

TEST(EscapeForDisplayTest, EscapesInvalidUtf8ByteByByte) {
  EXPECT_EQ(EscapeForDisplay("x\xff:v1"), "x\\xff:v1");
  EXPECT_EQ(EscapeForDisplay("\xc0\xaf"), "\\xc0\\xaf");          // overlong '/'
  EXPECT_EQ(EscapeForDisplay("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // surrogate
  EXPECT_EQ(EscapeForDisplay("\xe2\x82"), "\\xe2\\x82");          // truncated
}

TEST(EscapeForDisplayTest, BackslashIsEscapedSoEscapesAreUnambiguous) {
  EXPECT_EQ(EscapeForDisplay("\\xff"), "\\\\xff");
  EXPECT_NE(EscapeForDisplay("\\xff"), EscapeForDisplay("\xff"));
}

// The printer's pass over a message that quotes escaped text changes nothing,
// and still holds raw controls to one line.
TEST(EscapeControlsTest, PassesEscapedTextThroughAndEscapesRawControls) {
  const std::string quoted = EscapeForDisplay("x\nhint: forged\xff");
  EXPECT_EQ(EscapeControls(quoted), quoted);
  EXPECT_EQ(EscapeControls("a\nb\x1b"), "a\\nb\\x1b");
}

TEST(ToValidUtf8Test, ReplacesOnlyInvalidSequences) {
  EXPECT_EQ(ToValidUtf8("ok é"), "ok é");
  EXPECT_EQ(ToValidUtf8("oci:x\xff:v1"), "oci:x\xEF\xBF\xBD:v1");
  EXPECT_EQ(ToValidUtf8("a\nb"), "a\nb");
}

}  // namespace
}  // namespace cook
