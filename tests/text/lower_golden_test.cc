// Python 3's str.lower() against quiver's python_lower on every Unicode scalar value, and on
// the Final_Sigma contexts c+Σ, "a"+c+Σ and "a"+Σ+c for every c (which exercise the
// Cased / Case_Ignorable properties of c). Reference: /usr/bin/python3.
#include <gtest/gtest.h>

#include <string>

#include "python_reference.h"
#include "text/unicode.h"

namespace quiver::text {
namespace {

using testutil::TempDir;

constexpr char32_t kSigma = 0x3A3, kFinal = 0x3C2;

std::string lower_utf8(char32_t c) { return encode_utf8(python_lower(std::u32string(1, c))); }

int flags_of(char32_t c) {
  int flags = 0;
  if (python_lower(std::u32string{c, kSigma}).back() == kFinal) flags |= 1;
  if (python_lower(std::u32string{U'a', c, kSigma}).back() == kFinal) flags |= 2;
  if (python_lower(std::u32string{U'a', kSigma, c})[1] == kFinal) flags |= 4;
  return flags;
}

TEST(PythonLowerTest, EqualsPythonOnEveryCodePointAndSigmaContext) {
  TempDir dir;
  std::string path = dir.file("lower.bin");
  int rc = testutil::run_reference("lower " + testutil::sh_quote(path));
  if (rc == testutil::kSkipExit || rc == -1) GTEST_SKIP() << "/usr/bin/python3 not available";
  ASSERT_EQ(rc, 0);
  std::string data = testutil::read_text_file(path);
  size_t pos = 0, mismatches = 0, checked = 0;
  for (char32_t c = 0; c < 0x110000; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    ASSERT_LT(pos, data.size());
    int flags = static_cast<unsigned char>(data[pos++]);
    size_t end = data.find('\xFF', pos);
    ASSERT_NE(end, std::string::npos);
    std::string expected = data.substr(pos, end - pos);
    pos = end + 1;
    ++checked;
    if (lower_utf8(c) != expected || flags_of(c) != flags) {
      if (++mismatches <= 20) {
        ADD_FAILURE() << "U+" << std::hex << static_cast<uint32_t>(c) << ": lower "
                      << (lower_utf8(c) == expected ? "ok" : "differs") << ", sigma flags "
                      << flags_of(c) << " vs python " << flags;
      }
    }
  }
  EXPECT_EQ(pos, data.size());
  EXPECT_EQ(checked, 0x110000u - 0x800u);
  EXPECT_EQ(mismatches, 0u);
}

TEST(PythonLowerTest, SpecialCases) {
  EXPECT_EQ(encode_utf8(python_lower(U"\u0130")), "i\u0307");
  EXPECT_EQ(encode_utf8(python_lower(U"ΟΔΟΣ ΟΔΟΣ.")), "οδο\u03c2 οδο\u03c2.");
  EXPECT_EQ(encode_utf8(python_lower(U"Σ")), "σ");  // no cased letter before
  EXPECT_EQ(encode_utf8(python_lower(U"ΑΣ'Α")), "ασ'α");  // ' is case-ignorable
  EXPECT_EQ(encode_utf8(python_lower(U"ΑΣ'")), "ας'");
  EXPECT_EQ(encode_utf8(python_lower(U"ẞ DŽ Dž")), "ß dž dž");
}

}  // namespace
}  // namespace quiver::text
