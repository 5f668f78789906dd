// UTF-8 validation / coding and Python-style lower-casing helpers (src/text/unicode.h).
// The exhaustive comparison with Python's str.lower() is in lower_golden_test.cc.
#include "text/unicode.h"

#include <gtest/gtest.h>

namespace quiver::text {
namespace {

TEST(Utf8Test, FindsFirstIllFormedSequence) {
  constexpr size_t npos = std::string_view::npos;
  EXPECT_EQ(find_invalid_utf8(""), npos);
  EXPECT_EQ(find_invalid_utf8("abc \u00e9 \u20ac \U0001F600 \U0010FFFF"), npos);
  EXPECT_EQ(find_invalid_utf8("ab\x80"), 2u);              // stray continuation byte
  EXPECT_EQ(find_invalid_utf8("a\xC0\xAF"), 1u);           // overlong '/'
  EXPECT_EQ(find_invalid_utf8("a\xE0\x80\xAF"), 1u);       // overlong 3-byte form
  EXPECT_EQ(find_invalid_utf8("ab\xED\xA0\x80"), 2u);      // surrogate U+D800
  EXPECT_EQ(find_invalid_utf8("\xF4\x90\x80\x80"), 0u);    // above U+10FFFF
  EXPECT_EQ(find_invalid_utf8("xyz\xE2\x82"), 3u);         // truncated
  EXPECT_EQ(find_invalid_utf8("\xF8\x88\x80\x80\x80"), 0u);  // 5-byte form
}

TEST(Utf8Test, EncodesEveryLength) {
  std::u32string cps = {U'a', 0x7F, 0x80, 0x7FF, 0x800, 0xFFFF, 0x10000, 0x10FFFF};
  std::string utf8 = encode_utf8(cps);
  EXPECT_EQ(utf8, "a\x7F\xC2\x80\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF\xF0\x90\x80\x80\xF4\x8F\xBF\xBF");
  EXPECT_EQ(decode_utf8_lossy(utf8), cps);
}

TEST(Utf8Test, ReplacesMaximalSubparts) {
  // "\xE2\x82" (truncated euro sign) is one maximal subpart; "\xC0" and "\x80" are two.
  EXPECT_EQ(decode_utf8_lossy("a\xE2\x82z"), (std::u32string{U'a', kReplacementChar, U'z'}));
  EXPECT_EQ(decode_utf8_lossy("\xC0\x80"), (std::u32string{kReplacementChar, kReplacementChar}));
}

TEST(PythonLowerTest, LowersAsciiAndKeepsLength) {
  EXPECT_EQ(python_lower(U"ABC xyz 123"), U"abc xyz 123");
  EXPECT_EQ(python_lower(U"\u00c9T\u00c9"), U"\u00e9t\u00e9");
  EXPECT_EQ(python_lower(U"I\u0130"), U"ii\u0307");  // no Turkish locale rules
}

}  // namespace
}  // namespace quiver::text
