// TextVectorization: Keras' text-to-ids/vector layer (keras.layers.TextVectorization), as
// TensorFlow executes it, so a model that starts with it can take raw strings.
//
// Every rule cites keras@3422977 (Keras 3.x HEAD; tf.keras 2.13-2.15 has the same code in
// keras/layers/preprocessing/) — see docs/nn.md "TextVectorization":
//  * standardize (text_vectorization.py::_preprocess, lines 596-609): "lower" is
//    tf.strings.lower with its default encoding "", which lowers ASCII A-Z only
//    ("CAFÉ" -> "cafÉ"); "strip_punctuation" is regex_replace of
//    [!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\'] — the 32 ASCII punctuation characters,
//    so curly quotes and other Unicode punctuation stay.
//  * split (lines 629-636): "whitespace" is tf.strings.split(x) (sep=None): runs of the six
//    ASCII whitespace bytes " \t\n\v\f\r" separate tokens, no empty tokens (a no-break space
//    does not split); "character" is tf.strings.unicode_split(x, "UTF-8"): one token per
//    code point, ill-formed bytes each replaced by U+FFFD; null: the whole string is one
//    token.
//  * ngrams (lines 329-332, 641-644): an int n means widths (1..n); a list its widths;
//    tf.strings.ngrams(separator=" ") emits, per text, all n-grams of the first width, then
//    of the next, ... (a text shorter than a width gives none of it).
//  * lookup (index_lookup.py): int mode reserves 0 for the mask token "" and 1 for the OOV
//    token "[UNK]"; vocabulary terms start at 2 (_oov_start_index / _token_start_index,
//    lines 1019-1027). Other modes have no mask index: OOV is 0, terms start at 1, and a ""
//    token maps to int64 max, which the bincount drops (lines 262-268).
//  * int output (text_vectorization.py::call, lines 657-684): the ragged ids padded with 0
//    at the end / cut at the end to output_sequence_length.
//  * multi_hot / count / tf_idf (index_lookup.py::call, lines 826-857): a vector of
//    `depth` = vocabulary size (max_tokens with pad_to_max_tokens): 1 per present index,
//    the count, or count * idf_weights[index] (float32).
//
// Immutable after create(); every method is const and thread-safe.
#ifndef QUIVER_TEXT_TEXT_VECTORIZATION_H_
#define QUIVER_TEXT_TEXT_VECTORIZATION_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "quiver/status.h"

namespace quiver::text {

struct TextVectorizationConfig {
  enum class Standardize { kNone, kLower, kStripPunctuation, kLowerAndStripPunctuation };
  enum class Split { kNone, kWhitespace, kCharacter };
  enum class OutputMode { kInt, kMultiHot, kCount, kTfIdf };

  Standardize standardize = Standardize::kLowerAndStripPunctuation;
  Split split = Split::kWhitespace;
  // A Python callable's C++ implementation (registered by name: include/quiver/
  // layer_registry.h), used instead of `standardize` / `split` when set. Pure, thread-safe.
  std::function<std::string(std::string_view)> custom_standardize;
  std::function<std::vector<std::string>(std::string_view)> custom_split;
  // ragged=True (int mode, no output_sequence_length): each text keeps its own length in
  // Keras too (a RaggedTensor), so no batch padding exists.
  bool ragged = false;
  std::vector<int> ngrams;  // widths; empty = no n-grams (the tokens as split)
  OutputMode output_mode = OutputMode::kInt;
  int64_t output_sequence_length = -1;  // int mode; -1 = None (each text its own length)
  int64_t max_tokens = -1;              // -1 = None
  bool pad_to_max_tokens = false;
  // The vocabulary as Keras' set_vocabulary receives it: with or without the leading
  // special tokens ("" and "[UNK]" in int mode, "[UNK]" otherwise).
  std::vector<std::string> vocabulary;
  // tf_idf: one weight per vocabulary entry as given (front-padded with their mean when
  // the vocabulary came without special tokens, as set_vocabulary does).
  std::vector<double> idf_weights;
};

class TextVectorizer {
 public:
  // Validates as index_lookup.py::set_vocabulary does (empty vocabulary, repeated terms,
  // special tokens elsewhere than first, more terms than max_tokens, idf length).
  // InvalidArgument names the problem.
  static Result<TextVectorizer> create(TextVectorizationConfig config);

  // vocabulary.txt of a .keras archive as load_assets reads it: text-mode universal
  // newlines ("\r\n" and "\r" become "\n"), then Keras 3 (keras_major >= 3) splits with
  // str.splitlines() and drops trailing empty lines (index_lookup.py lines 954-958);
  // tf.keras 2.13-2.15 splits on "\n" only.
  static std::vector<std::string> parse_vocabulary_file(std::string_view bytes, int keras_major);

  const TextVectorizationConfig& config() const { return config_; }
  bool int_output() const { return config_.output_mode == TextVectorizationConfig::OutputMode::kInt; }
  // Output width: output_sequence_length (int mode; -1 when None) or the vector depth.
  int64_t output_width() const;
  // Vocabulary size including the special tokens (get_vocabulary() length).
  int64_t vocabulary_size() const { return static_cast<int64_t>(terms_.size()) + token_start(); }

  // Standardize + split + ngrams: the tokens Keras looks up.
  std::vector<std::string> tokens(std::string_view text) const;
  // Int mode: the ids of the text, not padded (output_sequence_length applied when set).
  std::vector<int32_t> ids(std::string_view text) const;
  // Other modes: writes output_width() floats.
  void encode(std::string_view text, float* out) const;
  // The tokens of `text` the vocabulary knows (neither the mask nor an OOV index), as the
  // model sees them: in int mode within output_sequence_length, otherwise those inside the
  // output depth.
  int64_t known_tokens(std::string_view text) const;

 private:
  explicit TextVectorizer(TextVectorizationConfig config) : config_(std::move(config)) {}
  int64_t token_start() const { return int_output() ? 2 : 1; }
  // The index of one token (mask -> 0 in int mode, -1 (dropped) otherwise).
  int64_t lookup(const std::string& token) const;

  TextVectorizationConfig config_;
  std::vector<std::string> terms_;  // vocabulary without special tokens
  std::unordered_map<std::string, int64_t> index_;
  std::vector<float> idf_;  // depth weights (tf_idf)
};

}  // namespace quiver::text

#endif  // QUIVER_TEXT_TEXT_VECTORIZATION_H_
