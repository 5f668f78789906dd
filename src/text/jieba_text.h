// Text as jieba sees it: code points (cppjieba runes with byte offsets) and the character
// classes of jieba 0.42.1's regular expressions. Pure functions; thread-safe.
#ifndef QUIVER_TEXT_JIEBA_TEXT_H_
#define QUIVER_TEXT_JIEBA_TEXT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cppjieba/Unicode.hpp"
#include "quiver/status.h"

namespace quiver::text {

using Runes = cppjieba::RuneStrArray;  // code point, byte offset, byte length
using cppjieba::Rune;

// A token: the code points [begin, end) of a decoded text.
struct Span {
  uint32_t begin;
  uint32_t end;
  uint32_t size() const { return end - begin; }
};

// Decodes well-formed UTF-8 into *runes (Python's str of the bytes). Ill-formed input
// (overlong forms, surrogates, > U+10FFFF, truncated) is InvalidArgument
// "invalid UTF-8 at byte N". cppjieba's own decoder accepts ill-formed input, which Python
// refuses, so quiver validates here.
Status decode_runes(std::string_view text, Runes* runes);

// The bytes of span `s` of `text` (decoded into `runes`).
inline std::string_view span_text(std::string_view text, const Runes& runes, Span s) {
  size_t from = runes[s.begin].offset;
  size_t to = s.end < runes.size() ? runes[s.end].offset : text.size();
  return text.substr(from, to - from);
}

// re_han_default = [\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]: the characters of jieba's
// dictionary blocks.
inline bool is_han_default(Rune c) {
  if (c >= 0x4E00 && c <= 0x9FD5) return true;
  if (c >= 0x80) return false;
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '+' || c == '#' || c == '&' || c == '.' || c == '_' || c == '%' || c == '-';
}

// finalseg.re_han = [\u4E00-\u9FD5]: what the HMM segments.
inline bool is_han(Rune c) { return c >= 0x4E00 && c <= 0x9FD5; }

inline bool is_ascii_alnum(Rune c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Python 3's re `\s` on str (str.isspace): the 29 code points below.
bool is_python_space(Rune c);

// Han, Hiragana, Katakana or Hangul (ICU script), for the cjk-chars mode.
bool is_cjk_char(Rune c);

}  // namespace quiver::text

#endif  // QUIVER_TEXT_JIEBA_TEXT_H_
