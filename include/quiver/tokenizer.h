// Keras text preprocessing in C++: Tokenizer (keras_preprocessing 1.1.2 semantics),
// its JSON form (to_json / tokenizer_from_json) and pad_sequences.
//
// Thread-safety: a Tokenizer is thread-compatible: const methods may run concurrently;
// fit_on_texts needs exclusive access. Serving uses fitted tokenizers as immutable values.
#ifndef QUIVER_TOKENIZER_H_
#define QUIVER_TOKENIZER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "quiver/status.h"

namespace quiver {

inline constexpr std::string_view kKerasDefaultFilters = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n";

struct TokenizerConfig {
  std::optional<int64_t> num_words;  // keep ids 1..num_words-1; nullopt keeps all
  std::string filters{kKerasDefaultFilters};
  bool lower = true;
  std::string split = " ";
  bool char_level = false;
  std::optional<std::string> oov_token;
};

class Tokenizer {
 public:
  Tokenizer() = default;
  explicit Tokenizer(TokenizerConfig config);

  const TokenizerConfig& config() const;

  // Keras text_to_word_sequence / char-level split of one text (UTF-8 in and out).
  std::vector<std::string> split_text(std::string_view text) const;

  // Tokenizer.fit_on_texts. Invalid UTF-8 is an InvalidArgument error.
  Status fit_on_texts(const std::vector<std::string>& texts);

  // Tokenizer.texts_to_sequences for one text (unpadded).
  std::vector<int32_t> text_to_sequence(std::string_view text) const;

  // Keras word_index (never truncated by num_words).
  const std::unordered_map<std::string, int32_t>& word_index() const;
  int64_t document_count() const;

  // Tokenizer.to_json(): {"class_name":"Tokenizer","config":{...}} with the inner maps
  // JSON-encoded as strings, exactly as keras_preprocessing writes them.
  std::string to_json() const;

  // tokenizer_from_json(); also accepts the double- and triple-encoded files people save.
  static Result<Tokenizer> from_json(std::string_view json);

  struct State;  // defined in src/text
 private:
  std::shared_ptr<State> state_;
};

enum class PadMode { kPre, kPost };

// pad_sequences(seqs, maxlen, padding, truncating, value) for one sequence -> exactly
// maxlen ids.
std::vector<int32_t> pad_sequence(const std::vector<int32_t>& seq, int64_t maxlen,
                                  PadMode padding = PadMode::kPre,
                                  PadMode truncating = PadMode::kPre, int32_t value = 0);

}  // namespace quiver

#endif  // QUIVER_TOKENIZER_H_
