// Keras text_to_word_sequence (keras_preprocessing 1.1.x, text.py) on code points.
// Python 3 lowers the whole text first (so the Final_Sigma context sees the filter
// characters too), then str.translate maps each filter code point to `split`, then
// str.split(split) cuts at non-overlapping occurrences from the left. Splitting the UTF-8
// bytes at the UTF-8 bytes of `split` gives the same pieces, because UTF-8 is
// self-synchronising.
#include "text/text_split.h"

#include <algorithm>

#include "text/unicode.h"

namespace quiver::text {

TextSplitter::TextSplitter(const TokenizerConfig& config)
    : split_(config.split), lower_(config.lower), char_level_(config.char_level) {
  for (char32_t c : decode_utf8_lossy(config.filters)) {
    if (c < 128) {
      ascii_filters_.set(c);
    } else {
      other_filters_.push_back(c);
    }
  }
  std::sort(other_filters_.begin(), other_filters_.end());
}

bool TextSplitter::is_filter(char32_t c) const {
  if (c < 128) return ascii_filters_.test(c);
  return std::binary_search(other_filters_.begin(), other_filters_.end(), c);
}

void TextSplitter::split(std::u32string_view text, std::vector<std::string>* tokens) const {
  std::u32string lowered;
  if (lower_) {
    lowered = python_lower(text);
    text = lowered;
  }
  if (char_level_) {
    for (char32_t c : text) {
      std::string token;
      append_utf8(c, &token);
      tokens->push_back(std::move(token));
    }
    return;
  }
  std::string translated;
  translated.reserve(text.size());
  for (char32_t c : text) {
    if (is_filter(c)) {
      translated += split_;
    } else {
      append_utf8(c, &translated);
    }
  }
  if (split_.empty()) {
    if (!translated.empty()) tokens->push_back(std::move(translated));
    return;
  }
  std::string_view rest = translated;
  while (true) {
    size_t at = rest.find(split_);
    std::string_view piece = rest.substr(0, at);
    if (!piece.empty()) tokens->emplace_back(piece);
    if (at == std::string_view::npos) break;
    rest.remove_prefix(at + split_.size());
  }
}

}  // namespace quiver::text
