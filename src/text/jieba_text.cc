// UTF-8 decoding and character classes for the segmenters.
#include "text/jieba_text.h"

#include <unicode/uscript.h>

#include <algorithm>
#include <array>

namespace quiver::text {
namespace {

// Length of the well-formed UTF-8 sequence at s[i] (Unicode Table 3-7) and its code point,
// or 0 if ill-formed.
size_t decode_one(std::string_view s, size_t i, Rune* out) {
  auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  uint8_t c0 = b(0);
  if (c0 < 0x80) {
    *out = c0;
    return 1;
  }
  size_t n;
  uint8_t lo = 0x80, hi = 0xBF;
  if (c0 >= 0xC2 && c0 <= 0xDF) {
    n = 2;
  } else if (c0 >= 0xE0 && c0 <= 0xEF) {
    n = 3;
    if (c0 == 0xE0) lo = 0xA0;
    if (c0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (c0 >= 0xF0 && c0 <= 0xF4) {
    n = 4;
    if (c0 == 0xF0) lo = 0x90;
    if (c0 == 0xF4) hi = 0x8F;  // <= U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  Rune cp = c0 & (0xFF >> (n + 1));
  cp = (cp << 6) | (b(1) & 0x3F);
  for (size_t k = 2; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(k) & 0x3F);
  }
  *out = cp;
  return n;
}

}  // namespace

Status decode_runes(std::string_view text, Runes* runes) {
  runes->clear();
  runes->reserve(text.size());
  uint32_t index = 0;
  for (size_t i = 0; i < text.size();) {
    Rune cp;
    size_t n = decode_one(text, i, &cp);
    if (n == 0) {
      runes->clear();
      return invalid_argument("invalid UTF-8 at byte " + std::to_string(i));
    }
    runes->push_back(cppjieba::RuneStr(cp, static_cast<uint32_t>(i), static_cast<uint32_t>(n),
                                       index++, 1));
    i += n;
  }
  return Status();
}

bool is_python_space(Rune c) {
  // [c for c in range(0x110000) if re.match(r'\s', chr(c))] in Python 3.11.
  static constexpr std::array<Rune, 29> kSpaces = {
      0x9,    0xA,    0xB,    0xC,    0xD,    0x1C,   0x1D,   0x1E,   0x1F,   0x20,
      0x85,   0xA0,   0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
      0x2007, 0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000};
  if (c > 0x20 && c < 0x85) return false;  // the common case: ASCII printable
  return std::binary_search(kSpaces.begin(), kSpaces.end(), c);
}

bool is_cjk_char(Rune c) {
  if (c < 0x1100) return false;
  UErrorCode err = U_ZERO_ERROR;
  UScriptCode script = uscript_getScript(static_cast<UChar32>(c), &err);
  if (U_FAILURE(err)) return false;
  return script == USCRIPT_HAN || script == USCRIPT_HIRAGANA || script == USCRIPT_KATAKANA ||
         script == USCRIPT_HANGUL;
}

}  // namespace quiver::text
