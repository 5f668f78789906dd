// UTF-8 coding and Python-compatible lower-casing for the Keras tokenizer.
//
// Everything here is a pure function of its arguments (thread-safe). Code points are
// char32_t; strings of code points are std::u32string.
#ifndef QUIVER_TEXT_UNICODE_H_
#define QUIVER_TEXT_UNICODE_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace quiver::text {

inline constexpr char32_t kReplacementChar = 0xFFFD;

// Byte offset of the first ill-formed UTF-8 sequence in `s` (overlong forms, surrogates,
// code points above U+10FFFF and truncated sequences are ill-formed), or npos if `s` is
// well-formed UTF-8.
size_t find_invalid_utf8(std::string_view s);

// Decodes UTF-8, replacing each maximal ill-formed subpart with U+FFFD: the same result as
// Python's bytes.decode("utf-8", errors="replace") (Unicode "best practice" replacement).
std::u32string decode_utf8_lossy(std::string_view s);

// Appends the UTF-8 encoding of code point `c` (must be a Unicode scalar value).
void append_utf8(char32_t c, std::string* out);
std::string encode_utf8(std::u32string_view s);

// Python 3.11's str.lower(): full lower-case mapping (U+0130 -> "i\u0307") and the
// Final_Sigma rule for U+03A3, with Python's Unicode 14.0 character database. Code points
// that ICU knows but Unicode 14.0 did not assign are left unchanged and treated as
// uncased, as Python does.
std::u32string python_lower(std::u32string_view s);

}  // namespace quiver::text

#endif  // QUIVER_TEXT_UNICODE_H_
