// TextSplitter: Keras' text_to_word_sequence and the char-level split, on decoded text.
// Immutable after construction; thread-safe.
#ifndef QUIVER_TEXT_TEXT_SPLIT_H_
#define QUIVER_TEXT_TEXT_SPLIT_H_

#include <bitset>
#include <string>
#include <string_view>
#include <vector>

#include "quiver/tokenizer.h"

namespace quiver::text {

class TextSplitter {
 public:
  explicit TextSplitter(const TokenizerConfig& config);

  // Appends the tokens of `text` (code points) to *tokens, as UTF-8 strings.
  // Word level (keras_preprocessing.text.text_to_word_sequence):
  //   text.lower() if lower; every code point of `filters` -> `split`
  //   (str.translate); str.split(split), dropping empty strings.
  // Char level (Tokenizer with char_level=True): one token per code point of text.lower()
  //   (or text); filters are not applied and `split` is not used.
  // An empty `split` (which Python refuses with ValueError; validate_tokenizer_config
  // rejects it) leaves the filtered text as a single token.
  void split(std::u32string_view text, std::vector<std::string>* tokens) const;

 private:
  bool is_filter(char32_t c) const;

  std::bitset<128> ascii_filters_;
  std::u32string other_filters_;  // sorted, non-ASCII
  std::string split_;
  bool lower_;
  bool char_level_;
};

}  // namespace quiver::text

#endif  // QUIVER_TEXT_TEXT_SPLIT_H_
