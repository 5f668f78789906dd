// The fitted state behind quiver::Tokenizer, shared by tokenizer.cc (fitting, sequences)
// and tokenizer_json.cc (to_json / from_json). Immutable once published in a Tokenizer.
#ifndef QUIVER_TEXT_TOKENIZER_STATE_H_
#define QUIVER_TEXT_TOKENIZER_STATE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "quiver/tokenizer.h"
#include "text/ordered_map.h"
#include "text/text_split.h"

namespace quiver {

struct Tokenizer::State {
  explicit State(TokenizerConfig c) : config(std::move(c)), splitter(config) {}

  TokenizerConfig config;
  text::TextSplitter splitter;
  int64_t document_count = 0;
  text::OrderedMap<std::string, int64_t> word_counts;  // first-occurrence order
  text::OrderedMap<std::string, int64_t> word_docs;
  text::OrderedMap<int64_t, int64_t> index_docs;
  std::unordered_map<std::string, int32_t> word_index;
  std::vector<std::pair<std::string, int32_t>> word_index_items;  // dict order
  std::vector<std::pair<int64_t, std::string>> index_word;        // dict order
  std::optional<int32_t> oov_index;  // word_index[oov_token], if both exist
  int32_t max_id = 0;                // see Tokenizer::max_sequence_id

  // Installs word_index (in dict order, later duplicates overwrite earlier values in
  // place, as a Python dict does) and derives oov_index and max_id.
  void set_word_index(const std::vector<std::pair<std::string, int32_t>>& items);
  // Keras' fit_on_texts tail: word_index from word_counts (stable sort by count, oov
  // first), index_word from word_index, index_docs updated from word_docs.
  // ResourceExhausted if an id would exceed INT32_MAX.
  Status rebuild_index(bool update_index_docs);
  // index_word = dict((c, w) for w, c in word_index.items()): for duplicate ids (possible
  // in loaded files) the later word wins at the earlier position, as in a Python dict.
  void derive_index_word();
  // for w, c in word_docs.items(): index_docs[word_index[w]] = c
  void update_index_docs();
};

}  // namespace quiver

#endif  // QUIVER_TEXT_TOKENIZER_STATE_H_
