// UTF-8 coding and Python's str.lower() on top of ICU's character properties.
//
// Python (Objects/unicodeobject.c, do_lower / lower_ucs4 / handle_capital_sigma in 3.11)
// lowers code point by code point: U+03A3 becomes U+03C2 when it is in the Final_Sigma
// context  \p{cased} \p{case-ignorable}* U+03A3 !(\p{case-ignorable}* \p{cased}),
// judged on the *original* string, and every other code point takes its full lower-case
// mapping from UnicodeData.txt + the unconditional SpecialCasing.txt entries. The only
// unconditional multi-code-point lower-case mapping is U+0130 -> U+0069 U+0307, so the
// simple mapping (u_tolower) plus that one entry is the full mapping. ICU 72 carries
// Unicode 15.0 while Python 3.11 carries 14.0: characters first assigned after 14.0 are
// unassigned for Python (no case mapping, neither cased nor case-ignorable), so they are
// treated that way here. tests/text/unicode_test.cc compares every code point with
// /usr/bin/python3.
#include "text/unicode.h"

#include <unicode/uchar.h>

namespace quiver::text {
namespace {

// The Unicode version of Python 3.11's unicodedata (unicodedata.unidata_version).
constexpr int kPythonUnicodeMajor = 14;

bool known_to_python(char32_t c) {
  UVersionInfo age;
  u_charAge(static_cast<UChar32>(c), age);
  return age[0] <= kPythonUnicodeMajor;
}

bool is_case_ignorable(char32_t c) {
  return c >= 0x80 ? known_to_python(c) && u_hasBinaryProperty(c, UCHAR_CASE_IGNORABLE)
                   : u_hasBinaryProperty(c, UCHAR_CASE_IGNORABLE);
}

bool is_cased(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  return known_to_python(c) && u_hasBinaryProperty(c, UCHAR_CASED);
}

// Python's handle_capital_sigma: case-ignorable code points are skipped on both sides.
char32_t lower_capital_sigma(std::u32string_view s, size_t i) {
  size_t j = i;
  char32_t c = 0;
  bool found = false;
  while (j > 0) {
    c = s[--j];
    if (!is_case_ignorable(c)) {
      found = true;
      break;
    }
  }
  bool final_sigma = found && is_cased(c);
  if (final_sigma) {
    for (j = i + 1; j < s.size(); ++j) {
      if (!is_case_ignorable(s[j])) break;
    }
    final_sigma = j == s.size() || !is_cased(s[j]);
  }
  return final_sigma ? 0x3C2 : 0x3C3;
}

// Expected continuation range for the second byte of a sequence led by `lead`
// (Unicode Table 3-7, well-formed UTF-8 byte sequences).
struct LeadInfo {
  int length;  // 0 = not a lead byte
  unsigned char lo, hi;
};

LeadInfo lead_info(unsigned char b) {
  if (b < 0x80) return {1, 0, 0};
  if (b < 0xC2) return {0, 0, 0};
  if (b < 0xE0) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};
  if (b < 0xF0) return {3, 0x80, 0xBF};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b < 0xF4) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

// Decodes one sequence at s[i]. Returns the number of bytes consumed (≥ 1) and sets *ok;
// on error the bytes consumed are the maximal ill-formed subpart.
size_t decode_one(std::string_view s, size_t i, char32_t* out, bool* ok) {
  auto b = static_cast<unsigned char>(s[i]);
  LeadInfo info = lead_info(b);
  *ok = false;
  if (info.length == 1) {
    *out = b;
    *ok = true;
    return 1;
  }
  if (info.length == 0) return 1;
  char32_t c = b & (0xFF >> (info.length + 1));
  size_t n = 1;
  for (; n < static_cast<size_t>(info.length); ++n) {
    if (i + n >= s.size()) return n;
    auto cb = static_cast<unsigned char>(s[i + n]);
    unsigned char lo = n == 1 ? info.lo : 0x80, hi = n == 1 ? info.hi : 0xBF;
    if (cb < lo || cb > hi) return n;
    c = (c << 6) | (cb & 0x3F);
  }
  *out = c;
  *ok = true;
  return n;
}

}  // namespace

size_t find_invalid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    char32_t c;
    bool ok;
    size_t n = decode_one(s, i, &c, &ok);
    if (!ok) return i;
    i += n;
  }
  return std::string_view::npos;
}

std::u32string decode_utf8_lossy(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    char32_t c;
    bool ok;
    i += decode_one(s, i, &c, &ok);
    out.push_back(ok ? c : kReplacementChar);
  }
  return out;
}

void append_utf8(char32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::string encode_utf8(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) append_utf8(c, &out);
  return out;
}

std::u32string python_lower(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char32_t c = s[i];
    if (c < 0x80) {
      out.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
    } else if (c == 0x3A3) {
      out.push_back(lower_capital_sigma(s, i));
    } else if (c == 0x130) {
      out.push_back(U'i');
      out.push_back(0x307);
    } else if (!known_to_python(c)) {
      out.push_back(c);
    } else {
      out.push_back(static_cast<char32_t>(u_tolower(static_cast<UChar32>(c))));
    }
  }
  return out;
}

}  // namespace quiver::text
