// Keras text preprocessing in C++: Tokenizer (keras_preprocessing 1.1.x semantics),
// its JSON form (to_json / tokenizer_from_json) and pad_sequences.
//
// Lower-casing equals Python 3.11's str.lower() on any Unicode text (full mapping and the
// Final_Sigma rule), and splitting equals str.translate + str.split(sep), so word_index,
// word_counts and sequences are identical to Keras' for the same texts.
//
// Thread-safety: a Tokenizer is thread-compatible: const methods may run concurrently;
// fit_on_texts needs exclusive access. Copies are cheap (the fitted state is shared,
// copy-on-write), so serving can hold fitted tokenizers as immutable values.
#ifndef QUIVER_TOKENIZER_H_
#define QUIVER_TOKENIZER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "quiver/status.h"

namespace quiver {

inline constexpr std::string_view kKerasDefaultFilters = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n";

struct TokenizerConfig {
  std::optional<int64_t> num_words;  // keep ids 1..num_words-1; nullopt (or 0) keeps all
  std::string filters{kKerasDefaultFilters};  // UTF-8; each code point is a filter
  bool lower = true;
  std::string split = " ";  // UTF-8, possibly several code points
  bool char_level = false;
  std::optional<std::string> oov_token;
};

// InvalidArgument if filters / split / oov_token are not valid UTF-8, or split is empty
// while char_level is false (Python's str.split raises ValueError then).
Status validate_tokenizer_config(const TokenizerConfig& config);

// True if `text` is well-formed UTF-8 (what fit_on_texts requires).
bool is_valid_utf8(std::string_view text);

class Tokenizer {
 public:
  Tokenizer();  // default config, nothing fitted
  // Does not validate; fit_on_texts reports an invalid config. Prefer create().
  explicit Tokenizer(TokenizerConfig config);
  static Result<Tokenizer> create(TokenizerConfig config);

  const TokenizerConfig& config() const;

  // Keras text_to_word_sequence / char-level split of one text (UTF-8 in and out).
  // Ill-formed UTF-8 is decoded with U+FFFD replacement (see text_to_sequence).
  std::vector<std::string> split_text(std::string_view text) const;

  // Tokenizer.fit_on_texts; may be called repeatedly (counts accumulate, as in Keras).
  // Errors (the tokenizer is then unchanged): InvalidArgument for ill-formed UTF-8 (naming
  // the text and byte offset) or an invalid config; ResourceExhausted if the vocabulary
  // would need ids above INT32_MAX.
  Status fit_on_texts(const std::vector<std::string>& texts);

  // Tokenizer.texts_to_sequences for one text (unpadded): known words keep their index,
  // words with index >= num_words become the oov index (or are dropped), unknown words
  // become the oov index (or are dropped). Never fails: ill-formed UTF-8 is replaced by
  // U+FFFD per maximal subpart, exactly like Python's bytes.decode("utf-8", "replace")
  // followed by texts_to_sequences. Callers that must reject such input check
  // is_valid_utf8() first (the serving layer does).
  std::vector<int32_t> text_to_sequence(std::string_view text) const;

  // Keras word_index (never truncated by num_words).
  const std::unordered_map<std::string, int32_t>& word_index() const;
  int64_t document_count() const;
  // The index texts_to_sequences uses for unknown words: word_index[oov_token], if any.
  std::optional<int32_t> oov_token_index() const;
  // The largest id text_to_sequence can return (0 when it can only return empty
  // sequences); an Embedding needs input_dim > this.
  int32_t max_sequence_id() const;

  // The other Keras attributes, in Python's dict order (what to_json writes).
  const std::vector<std::pair<std::string, int64_t>>& word_counts() const;
  const std::vector<std::pair<std::string, int64_t>>& word_docs() const;
  const std::vector<std::pair<int64_t, int64_t>>& index_docs() const;
  const std::vector<std::pair<int64_t, std::string>>& index_word() const;
  // word_index in Python's dict order.
  const std::vector<std::pair<std::string, int32_t>>& word_index_items() const;

  // Tokenizer.to_json(): {"class_name": "Tokenizer", "config": {...}} with the inner maps
  // JSON-encoded as strings, written byte for byte as Python's json.dumps writes them
  // (", " / ": " separators, ensure_ascii \uXXXX escapes with surrogate pairs). word_docs
  // is in first-occurrence order (Python's follows set() iteration order, which varies).
  std::string to_json() const;

  // tokenizer_from_json(); also accepts the double- and triple-encoded files people save
  // (a JSON string holding the JSON), a bare get_config() object, and inner maps stored as
  // objects instead of strings. word_index is rebuilt from word_counts as Keras would when
  // it is missing. Errors: Corruption (malformed JSON, wrong field types, ids outside
  // 0..INT32_MAX) naming the field; ResourceExhausted for inputs above 1 GiB or nested
  // deeper than 64 levels.
  static Result<Tokenizer> from_json(std::string_view json);

  // A pickled Keras Tokenizer (pickle.dump(tokenizer, f), protocols 2-5), read by a
  // restricted unpickler that builds only plain data (dict, OrderedDict, defaultdict, list,
  // tuple, str, int, ...) and the Tokenizer class under its known module paths
  // (keras_preprocessing.text, keras.preprocessing.text, tensorflow.keras /
  // tensorflow.python.keras .preprocessing.text, keras.src.preprocessing.text,
  // keras.src.legacy.preprocessing.text, tf_keras); nothing in the file is executed. Also a
  // pickled to_json() string or a pickled word_index dict. Errors: Corruption (not a
  // pickle, truncated, malformed, wrong attribute types), Unimplemented (any other global,
  // call or opcode: named; a custom analyzer), ResourceExhausted (over 1 GiB, more than
  // 2^25 entries, more than 64 nested MARKs).
  static Result<Tokenizer> from_pickle(std::string_view bytes);
  // True when `bytes` start with a pickle protocol 2-5 header (0x80 0x02..0x05).
  static bool is_pickle(std::string_view bytes);
  // from_pickle when is_pickle(bytes), else from_json. The content decides, never the file
  // name.
  static Result<Tokenizer> from_bytes(std::string_view bytes);
  // Reads `path` (JSON or pickle, by content; at most 1 GiB) with from_bytes. Errors name
  // the path; NotFound / IOError from reading.
  static Result<Tokenizer> load(const std::string& path);

  struct State;  // defined in src/text/tokenizer_state.h

 private:
  explicit Tokenizer(std::shared_ptr<const State> state);
  std::shared_ptr<const State> state_;
};

enum class PadMode { kPre, kPost };

// pad_sequences(seqs, maxlen, padding, truncating, value) for one sequence -> exactly
// maxlen ids (truncating 'pre' keeps the last maxlen ids, 'post' the first; padding 'pre'
// fills on the left). maxlen <= 0 gives an empty vector.
std::vector<int32_t> pad_sequence(const std::vector<int32_t>& seq, int64_t maxlen,
                                  PadMode padding = PadMode::kPre,
                                  PadMode truncating = PadMode::kPre, int32_t value = 0);

}  // namespace quiver

#endif  // QUIVER_TOKENIZER_H_
