// TextVectorization (see the header for the Keras rules and their source lines).
#include "text/text_vectorization.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "text/unicode.h"

namespace quiver::text {
namespace {

using Config = TextVectorizationConfig;

constexpr char kOovToken[] = "[UNK]";

// keras text_vectorization.py line 607: r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'
// (",-\." is the range , - .): exactly the 32 ASCII punctuation characters. ASCII bytes
// never occur inside a multi-byte UTF-8 sequence, so removing them byte-wise is what RE2
// does.
bool is_ascii_punctuation(unsigned char c) {
  return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
         (c >= 0x7B && c <= 0x7E);
}

// tf.strings.split with sep=None splits on absl::ascii_isspace: " \t\n\v\f\r".
bool is_ascii_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

std::string standardize(std::string_view text, Config::Standardize mode) {
  const bool lower =
      mode == Config::Standardize::kLower || mode == Config::Standardize::kLowerAndStripPunctuation;
  const bool strip = mode == Config::Standardize::kStripPunctuation ||
                     mode == Config::Standardize::kLowerAndStripPunctuation;
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (strip && is_ascii_punctuation(c)) continue;
    // tf.strings.lower(encoding="") is absl::AsciiStrToLower: A-Z only.
    if (lower && c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
    out.push_back(static_cast<char>(c));
  }
  return out;
}

std::vector<std::string> split(const std::string& text, Config::Split mode) {
  std::vector<std::string> out;
  if (mode == Config::Split::kNone) {
    out.push_back(text);
  } else if (mode == Config::Split::kCharacter) {
    for (char32_t c : decode_utf8_lossy(text)) {
      std::string s;
      append_utf8(c, &s);
      out.push_back(std::move(s));
    }
  } else {
    size_t i = 0;
    while (i < text.size()) {
      while (i < text.size() && is_ascii_space(static_cast<unsigned char>(text[i]))) ++i;
      size_t start = i;
      while (i < text.size() && !is_ascii_space(static_cast<unsigned char>(text[i]))) ++i;
      if (i > start) out.emplace_back(text.substr(start, i - start));
    }
  }
  return out;
}

std::vector<std::string> ngrams(const std::vector<std::string>& tokens,
                                const std::vector<int>& widths) {
  if (widths.empty()) return tokens;
  std::vector<std::string> out;
  for (int width : widths) {
    const size_t w = static_cast<size_t>(width);
    for (size_t start = 0; start + w <= tokens.size(); ++start) {
      std::string gram = tokens[start];
      for (size_t k = 1; k < w; ++k) gram += " " + tokens[start + k];
      out.push_back(std::move(gram));
    }
  }
  return out;
}

Status bad(const std::string& message) { return invalid_argument("TextVectorization: " + message); }

}  // namespace

std::vector<std::string> TextVectorizer::parse_vocabulary_file(std::string_view bytes,
                                                               int keras_major) {
  // Text mode: universal newlines.
  std::string text;
  text.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\r') {
      text.push_back('\n');
      if (i + 1 < bytes.size() && bytes[i + 1] == '\n') ++i;
    } else {
      text.push_back(bytes[i]);
    }
  }
  std::vector<std::string> lines;
  if (keras_major < 3) {  // tf.keras: f.read().split("\n")
    size_t start = 0;
    for (size_t i = 0; i <= text.size(); ++i) {
      if (i == text.size() || text[i] == '\n') {
        lines.push_back(text.substr(start, i - start));
        start = i + 1;
      }
    }
    return lines;
  }
  // str.splitlines(): \n \v \f \x1c \x1d \x1e, U+0085, U+2028, U+2029 end a line (\r is
  // already \n); the text after the last break is a line only when not empty.
  std::string line;
  auto flush = [&] { lines.push_back(std::move(line)); line.clear(); };
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n' || c == '\v' || c == '\f' || (c >= 0x1c && c <= 0x1e)) {
      flush();
    } else if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x85) {
      flush();
      ++i;
    } else if (c == 0xE2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
               (static_cast<unsigned char>(text[i + 2]) == 0xA8 ||
                static_cast<unsigned char>(text[i + 2]) == 0xA9)) {
      flush();
      i += 2;
    } else {
      line.push_back(text[i]);
    }
  }
  if (!line.empty()) flush();
  while (!lines.empty() && lines.back().empty()) lines.pop_back();  // lines 957-958
  return lines;
}

Result<TextVectorizer> TextVectorizer::create(TextVectorizationConfig config) {
  TextVectorizer v(std::move(config));
  const Config& c = v.config_;
  for (int w : c.ngrams) {
    if (w < 1 || w > 64) return bad("ngrams width " + std::to_string(w) + " is not in [1, 64]");
  }
  if (c.vocabulary.empty()) {
    return bad("the vocabulary is empty (no vocabulary in the config and no "
               "assets/.../vocabulary.txt in the archive)");
  }
  // set_vocabulary (index_lookup.py lines 498-508): strip the special tokens when the
  // vocabulary starts with exactly them.
  std::vector<std::string> special;
  if (v.int_output()) special.push_back("");
  special.push_back(kOovToken);
  const bool found_special =
      c.vocabulary.size() >= special.size() &&
      std::equal(special.begin(), special.end(), c.vocabulary.begin());
  v.terms_.assign(c.vocabulary.begin() + (found_special ? special.size() : 0), c.vocabulary.end());
  for (size_t i = 0; i < v.terms_.size(); ++i) {
    const std::string& t = v.terms_[i];
    if (t.empty()) return bad("the mask token \"\" is in the vocabulary at index " + std::to_string(i));
    if (t == kOovToken) return bad("the OOV token [UNK] is in the vocabulary at index " + std::to_string(i));
    if (!v.index_.emplace(t, static_cast<int64_t>(i) + v.token_start()).second) {
      return bad("the vocabulary repeats the term '" + t + "'");
    }
  }
  if (c.max_tokens > 0 && v.vocabulary_size() > c.max_tokens) {
    return bad("the vocabulary has " + std::to_string(v.vocabulary_size()) +
               " entries, more than max_tokens " + std::to_string(c.max_tokens));
  }
  if (c.output_mode == Config::OutputMode::kTfIdf) {
    // set_vocabulary lines 558-603: front-pad with the mean when the vocabulary had no
    // special tokens; back-pad with 0 to max_tokens under pad_to_max_tokens.
    std::vector<double> w = c.idf_weights;
    if (w.size() != c.vocabulary.size() &&
        static_cast<int64_t>(w.size()) != v.output_width()) {
      return bad("idf_weights has " + std::to_string(w.size()) + " entries for a vocabulary of " +
                 std::to_string(c.vocabulary.size()));
    }
    if (!found_special && w.size() == c.vocabulary.size()) {
      double mean = std::accumulate(w.begin(), w.end(), 0.0) / static_cast<double>(w.size());
      w.insert(w.begin(), static_cast<size_t>(v.token_start()), mean);
    }
    w.resize(static_cast<size_t>(v.output_width()), 0.0);
    for (double x : w) v.idf_.push_back(static_cast<float>(x));
  }
  if (!v.int_output() && c.pad_to_max_tokens && c.max_tokens <= 0) {
    return bad("pad_to_max_tokens needs max_tokens");
  }
  return v;
}

int64_t TextVectorizer::output_width() const {
  if (int_output()) return config_.output_sequence_length;
  return config_.pad_to_max_tokens && config_.max_tokens > 0 ? config_.max_tokens
                                                             : vocabulary_size();
}

std::vector<std::string> TextVectorizer::tokens(std::string_view text) const {
  // _preprocess (text_vectorization.py lines 596-644): standardize, split, ngrams; a
  // callable replaces the built-in step it stands for.
  const std::string standardized = config_.custom_standardize
                                       ? config_.custom_standardize(text)
                                       : standardize(text, config_.standardize);
  return ngrams(config_.custom_split ? config_.custom_split(standardized)
                                     : split(standardized, config_.split),
                config_.ngrams);
}

int64_t TextVectorizer::lookup(const std::string& token) const {
  if (token.empty()) return int_output() ? 0 : -1;
  auto it = index_.find(token);
  if (it != index_.end()) return it->second;
  return int_output() ? 1 : 0;
}

std::vector<int32_t> TextVectorizer::ids(std::string_view text) const {
  std::vector<int32_t> out;
  for (const std::string& t : tokens(text)) {
    if (config_.output_sequence_length >= 0 &&
        static_cast<int64_t>(out.size()) >= config_.output_sequence_length) {
      break;
    }
    out.push_back(static_cast<int32_t>(lookup(t)));
  }
  if (config_.output_sequence_length >= 0) {
    out.resize(static_cast<size_t>(config_.output_sequence_length), 0);
  }
  return out;
}

void TextVectorizer::encode(std::string_view text, float* out) const {
  const int64_t depth = output_width();
  std::fill(out, out + depth, 0.0f);
  for (const std::string& t : tokens(text)) {
    int64_t j = lookup(t);
    if (j < 0 || j >= depth) continue;
    if (config_.output_mode == Config::OutputMode::kMultiHot) {
      out[j] = 1.0f;
    } else {
      out[j] += 1.0f;
    }
  }
  if (config_.output_mode == Config::OutputMode::kTfIdf) {
    for (int64_t j = 0; j < depth; ++j) out[j] *= idf_[static_cast<size_t>(j)];
  }
}

int64_t TextVectorizer::known_tokens(std::string_view text) const {
  int64_t known = 0;
  if (int_output()) {
    for (int32_t id : ids(text)) known += id >= token_start() ? 1 : 0;
    return known;
  }
  const int64_t depth = output_width();
  for (const std::string& t : tokens(text)) {
    const int64_t j = lookup(t);
    known += j >= token_start() && j < depth ? 1 : 0;
  }
  return known;
}

}  // namespace quiver::text
