// quiver::Tokenizer: keras_preprocessing 1.1.x Tokenizer.fit_on_texts and
// texts_to_sequences (text.py), on top of TextSplitter.
#include "quiver/tokenizer.h"

#include <algorithm>
#include <limits>
#include <unordered_set>

#include "text/tokenizer_state.h"
#include "text/unicode.h"

namespace quiver {
namespace {

constexpr int64_t kMaxId = std::numeric_limits<int32_t>::max();

Status check_utf8(std::string_view s, const char* what) {
  size_t bad = text::find_invalid_utf8(s);
  if (bad == std::string_view::npos) return {};
  return invalid_argument(std::string(what) + ": ill-formed UTF-8 at byte " +
                          std::to_string(bad));
}

// Python's `if num_words and i >= num_words` (num_words=None and 0 keep everything).
bool beyond_num_words(const TokenizerConfig& config, int64_t i) {
  return config.num_words && *config.num_words != 0 && i >= *config.num_words;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
  return text::find_invalid_utf8(text) == std::string_view::npos;
}

Status validate_tokenizer_config(const TokenizerConfig& config) {
  QUIVER_RETURN_IF_ERROR(check_utf8(config.filters, "tokenizer filters"));
  QUIVER_RETURN_IF_ERROR(check_utf8(config.split, "tokenizer split"));
  if (config.oov_token) QUIVER_RETURN_IF_ERROR(check_utf8(*config.oov_token, "oov_token"));
  if (config.split.empty() && !config.char_level) {
    return invalid_argument("tokenizer split: empty separator (Python's str.split refuses it)");
  }
  return {};
}

void Tokenizer::State::set_word_index(const std::vector<std::pair<std::string, int32_t>>& items) {
  text::OrderedMap<std::string, int32_t> dict;
  dict.reserve(items.size());
  for (const auto& [word, id] : items) dict.assign(word, id);
  word_index_items = dict.items();
  word_index.clear();
  word_index.reserve(word_index_items.size());
  for (const auto& [word, id] : word_index_items) word_index.emplace(word, id);
  oov_index.reset();
  if (config.oov_token) {
    auto it = word_index.find(*config.oov_token);
    if (it != word_index.end()) oov_index = it->second;
  }
  max_id = oov_index.value_or(0);
  for (const auto& [word, id] : word_index_items) {
    if (!beyond_num_words(config, id)) max_id = std::max(max_id, id);
  }
}

Status Tokenizer::State::rebuild_index(bool update_index_docs) {
  size_t n = word_counts.size() + (config.oov_token ? 1 : 0);
  if (n > static_cast<size_t>(kMaxId)) {
    return resource_exhausted("tokenizer vocabulary of " + std::to_string(n) +
                              " words exceeds the int32 id range");
  }
  // wcounts.sort(key=count, reverse=True): Python's sort is stable, so ties keep their
  // first-occurrence order.
  std::vector<const std::pair<std::string, int64_t>*> sorted;
  sorted.reserve(word_counts.size());
  for (const auto& item : word_counts.items()) sorted.push_back(&item);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto* a, const auto* b) { return a->second > b->second; });
  std::vector<std::pair<std::string, int32_t>> items;
  items.reserve(n);
  if (config.oov_token) items.emplace_back(*config.oov_token, 1);
  for (const auto* item : sorted) {
    items.emplace_back(item->first, static_cast<int32_t>(items.size() + 1));
  }
  set_word_index(items);
  // index_word = dict((c, w) for w, c in word_index.items()): an oov_token that also
  // occurs in the texts keeps its first position with the later id, so id 1 disappears.
  derive_index_word();
  if (update_index_docs) this->update_index_docs();
  return {};
}

void Tokenizer::State::derive_index_word() {
  text::OrderedMap<int64_t, std::string> dict;
  for (const auto& [word, id] : word_index_items) dict.assign(id, word);
  index_word = dict.items();
}

void Tokenizer::State::update_index_docs() {
  for (const auto& [word, docs] : word_docs.items()) {
    auto it = word_index.find(word);
    if (it != word_index.end()) index_docs.assign(it->second, docs);
  }
}

Tokenizer::Tokenizer() : Tokenizer(TokenizerConfig{}) {}

Tokenizer::Tokenizer(TokenizerConfig config)
    : state_(std::make_shared<const State>(std::move(config))) {}

Tokenizer::Tokenizer(std::shared_ptr<const State> state) : state_(std::move(state)) {}

Result<Tokenizer> Tokenizer::create(TokenizerConfig config) {
  QUIVER_RETURN_IF_ERROR(validate_tokenizer_config(config));
  return Tokenizer(std::move(config));
}

const TokenizerConfig& Tokenizer::config() const { return state_->config; }

std::vector<std::string> Tokenizer::split_text(std::string_view text) const {
  std::vector<std::string> tokens;
  state_->splitter.split(text::decode_utf8_lossy(text), &tokens);
  return tokens;
}

Status Tokenizer::fit_on_texts(const std::vector<std::string>& texts) {
  QUIVER_RETURN_IF_ERROR(validate_tokenizer_config(state_->config));
  for (size_t t = 0; t < texts.size(); ++t) {
    QUIVER_RETURN_IF_ERROR(check_utf8(texts[t], ("text " + std::to_string(t)).c_str()));
  }
  auto next = std::make_shared<State>(*state_);  // copy-on-write: errors leave *this as is
  std::vector<std::string> tokens;
  std::unordered_set<std::string_view> seen;
  for (const std::string& text : texts) {
    ++next->document_count;
    tokens.clear();
    next->splitter.split(text::decode_utf8_lossy(text), &tokens);
    for (const std::string& w : tokens) ++next->word_counts[w];
    // word_docs[w] += 1 for w in set(seq); new words are added in first-occurrence order.
    seen.clear();
    for (const std::string& w : tokens) {
      if (seen.insert(w).second) ++next->word_docs[w];
    }
  }
  QUIVER_RETURN_IF_ERROR(next->rebuild_index(/*update_index_docs=*/true));
  state_ = std::move(next);
  return {};
}

std::vector<int32_t> Tokenizer::text_to_sequence(std::string_view text) const {
  const State& s = *state_;
  std::vector<std::string> tokens;
  s.splitter.split(text::decode_utf8_lossy(text), &tokens);
  std::vector<int32_t> ids;
  ids.reserve(tokens.size());
  for (const std::string& w : tokens) {
    auto it = s.word_index.find(w);
    if (it != s.word_index.end() && !beyond_num_words(s.config, it->second)) {
      ids.push_back(it->second);
    } else if (s.oov_index) {
      // Python appends word_index.get(oov_token); an oov_token missing from a loaded
      // word_index would append None there, here the word is dropped.
      ids.push_back(*s.oov_index);
    }
  }
  return ids;
}

const std::unordered_map<std::string, int32_t>& Tokenizer::word_index() const {
  return state_->word_index;
}
int64_t Tokenizer::document_count() const { return state_->document_count; }
std::optional<int32_t> Tokenizer::oov_token_index() const { return state_->oov_index; }
int32_t Tokenizer::max_sequence_id() const { return state_->max_id; }
const std::vector<std::pair<std::string, int64_t>>& Tokenizer::word_counts() const {
  return state_->word_counts.items();
}
const std::vector<std::pair<std::string, int64_t>>& Tokenizer::word_docs() const {
  return state_->word_docs.items();
}
const std::vector<std::pair<int64_t, int64_t>>& Tokenizer::index_docs() const {
  return state_->index_docs.items();
}
const std::vector<std::pair<int64_t, std::string>>& Tokenizer::index_word() const {
  return state_->index_word;
}
const std::vector<std::pair<std::string, int32_t>>& Tokenizer::word_index_items() const {
  return state_->word_index_items;
}

std::vector<int32_t> pad_sequence(const std::vector<int32_t>& seq, int64_t maxlen,
                                  PadMode padding, PadMode truncating, int32_t value) {
  if (maxlen <= 0) return {};
  size_t n = static_cast<size_t>(maxlen);
  size_t keep = std::min(seq.size(), n);
  // truncating 'pre' keeps s[-maxlen:], 'post' keeps s[:maxlen].
  auto first = truncating == PadMode::kPre ? seq.end() - static_cast<ptrdiff_t>(keep) : seq.begin();
  std::vector<int32_t> out(n, value);
  auto dest = padding == PadMode::kPre ? out.end() - static_cast<ptrdiff_t>(keep) : out.begin();
  std::copy(first, first + static_cast<ptrdiff_t>(keep), dest);
  return out;
}

}  // namespace quiver
