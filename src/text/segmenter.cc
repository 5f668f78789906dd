// Segmenter modes, the factory, SegmenterCache and the join helpers (quiver/segmenter.h).
#include "quiver/segmenter.h"

#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>

#include "base/thread_annotations.h"
#include "text/jieba_cut.h"
#include "text/jieba_dict.h"
#include "text/jieba_text.h"

namespace quiver {
namespace {

using text::Runes;
using text::Span;

constexpr std::pair<std::string_view, SegmenterMode> kModes[] = {
    {"none", SegmenterMode::kNone},
    {"jieba", SegmenterMode::kJieba},
    {"jieba-nohmm", SegmenterMode::kJiebaNoHmm},
    {"jieba-search", SegmenterMode::kJiebaSearch},
    {"cjk-chars", SegmenterMode::kCjkChars},
};

bool uses_jieba(SegmenterMode mode) {
  return mode == SegmenterMode::kJieba || mode == SegmenterMode::kJiebaNoHmm ||
         mode == SegmenterMode::kJiebaSearch;
}

std::vector<std::string> span_strings(std::string_view text, const Runes& runes,
                                      const std::vector<Span>& spans) {
  std::vector<std::string> tokens;
  tokens.reserve(spans.size());
  for (Span s : spans) tokens.emplace_back(text::span_text(text, runes, s));
  return tokens;
}

// Appends the whitespace-separated runs of runes[from, to) (Python str.split()).
void split_on_space(const Runes& runes, uint32_t from, uint32_t to, std::vector<Span>* out) {
  uint32_t i = from;
  while (i < to) {
    while (i < to && text::is_python_space(runes[i].rune)) ++i;
    uint32_t j = i;
    while (j < to && !text::is_python_space(runes[j].rune)) ++j;
    if (j > i) out->push_back({i, j});
    i = j;
  }
}

// none and cjk-chars: no dictionary.
class CharClassSegmenter final : public Segmenter {
 public:
  explicit CharClassSegmenter(SegmenterMode mode) : mode_(mode) {}
  SegmenterMode mode() const override { return mode_; }
  const std::string& user_dictionary() const override {
    static const std::string none;
    return none;
  }

  Result<std::vector<std::string>> segment(std::string_view text) const override {
    Runes runes;
    QUIVER_RETURN_IF_ERROR(text::decode_runes(text, &runes));
    std::vector<Span> spans;
    const uint32_t n = static_cast<uint32_t>(runes.size());
    uint32_t run = 0;  // start of the current run of non-CJK characters
    for (uint32_t i = 0; i < n && mode_ == SegmenterMode::kCjkChars; ++i) {
      if (!text::is_cjk_char(runes[i].rune)) continue;
      split_on_space(runes, run, i, &spans);
      spans.push_back({i, i + 1});
      run = i + 1;
    }
    split_on_space(runes, run, n, &spans);
    return span_strings(text, runes, spans);
  }

 private:
  SegmenterMode mode_;
};

class JiebaSegmenter final : public Segmenter {
 public:
  JiebaSegmenter(SegmenterMode mode, std::shared_ptr<const text::JiebaDictionary> dict)
      : mode_(mode), dict_(std::move(dict)) {}
  SegmenterMode mode() const override { return mode_; }
  const std::string& user_dictionary() const override { return dict_->user_text(); }

  Result<std::vector<std::string>> segment(std::string_view text) const override {
    Runes runes;
    QUIVER_RETURN_IF_ERROR(text::decode_runes(text, &runes));
    std::vector<Span> spans;
    if (mode_ == SegmenterMode::kJiebaSearch) {
      text::jieba_cut_for_search(*dict_, text, runes, /*hmm=*/true, &spans);
    } else {
      text::jieba_cut(*dict_, text, runes, mode_ == SegmenterMode::kJieba, &spans);
    }
    return span_strings(text, runes, spans);
  }

 private:
  SegmenterMode mode_;
  std::shared_ptr<const text::JiebaDictionary> dict_;
};

Result<std::shared_ptr<const text::JiebaDictionary>> load_dictionary(
    const SegmenterOptions& options) {
  auto dict =
      text::JiebaDictionary::load(options.jieba_dir, options.user_dict, options.user_dict_text);
  if (!dict.ok()) return dict.status().with_context("jieba dictionary");
  return dict;
}

std::shared_ptr<const Segmenter> make_segmenter(
    SegmenterMode mode, std::shared_ptr<const text::JiebaDictionary> dict) {
  if (!uses_jieba(mode)) return std::make_shared<CharClassSegmenter>(mode);
  return std::make_shared<JiebaSegmenter>(mode, std::move(dict));
}

}  // namespace

Result<SegmenterMode> parse_segmenter_mode(std::string_view name) {
  for (const auto& [n, mode] : kModes) {
    if (n == name) return mode;
  }
  std::string valid;
  for (const auto& [n, mode] : kModes) valid += (valid.empty() ? "" : ", ") + std::string(n);
  return invalid_argument("unknown segmenter '" + std::string(name) + "' (valid: " + valid + ")");
}

std::string_view segmenter_mode_name(SegmenterMode mode) {
  for (const auto& [n, m] : kModes) {
    if (m == mode) return n;
  }
  return "none";
}

SegmenterOptions with_recorded_user_dict(SegmenterOptions options, std::string_view mode,
                                         const std::string& recorded) {
  auto m = parse_segmenter_mode(mode);
  if (options.user_dict.empty() && options.user_dict_text.empty() && m.ok() && uses_jieba(*m)) {
    options.user_dict_text = recorded;
  }
  return options;
}

namespace {

// The mode, after the rule every caller shares: a user dictionary only with a jieba mode.
Result<SegmenterMode> checked_mode(std::string_view mode_name, const SegmenterOptions& options) {
  QUIVER_ASSIGN_OR_RETURN(SegmenterMode mode, parse_segmenter_mode(mode_name));
  if ((!options.user_dict.empty() || !options.user_dict_text.empty()) && !uses_jieba(mode)) {
    const std::string name = options.user_dict.empty() ? "(recorded)" : options.user_dict;
    return invalid_argument("user dictionary " + name +
                            ": needs segmenter jieba, jieba-nohmm or jieba-search, not '" +
                            std::string(mode_name) + "'");
  }
  return mode;
}

}  // namespace

Result<std::shared_ptr<const Segmenter>> Segmenter::create(std::string_view mode_name,
                                                           const SegmenterOptions& options) {
  QUIVER_ASSIGN_OR_RETURN(SegmenterMode mode, checked_mode(mode_name, options));
  std::shared_ptr<const text::JiebaDictionary> dict;
  if (uses_jieba(mode)) {
    QUIVER_ASSIGN_OR_RETURN(dict, load_dictionary(options));
  }
  return make_segmenter(mode, std::move(dict));
}

std::string join_tokens(const std::vector<std::string>& tokens, std::string_view split) {
  size_t size = 0;
  for (const auto& t : tokens) size += t.size() + split.size();
  std::string out;
  out.reserve(size);
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i > 0) out += split;
    out += tokens[i];
  }
  return out;
}

Result<std::string> segment_for_tokenizer(const Segmenter& segmenter, std::string_view text,
                                          std::string_view split) {
  if (segmenter.mode() == SegmenterMode::kNone) {
    Runes runes;  // still refuse what the other modes refuse
    QUIVER_RETURN_IF_ERROR(text::decode_runes(text, &runes));
    return std::string(text);
  }
  QUIVER_ASSIGN_OR_RETURN(std::vector<std::string> tokens, segmenter.segment(text));
  return join_tokens(tokens, split);
}

struct SegmenterCache::Impl {
  base::Mutex mu;
  // (jieba_dir, user_dict, user_dict_text) -> the dictionary, while some segmenter holds it.
  std::map<std::tuple<std::string, std::string, std::string>,
           std::weak_ptr<const text::JiebaDictionary>>
      dictionaries GUARDED_BY(mu);
};

SegmenterCache::SegmenterCache() : impl_(std::make_unique<Impl>()) {}
SegmenterCache::~SegmenterCache() = default;

Result<std::shared_ptr<const Segmenter>> SegmenterCache::get(std::string_view mode_name,
                                                             const SegmenterOptions& options) {
  QUIVER_ASSIGN_OR_RETURN(SegmenterMode mode, checked_mode(mode_name, options));
  if (!uses_jieba(mode)) return make_segmenter(mode, nullptr);
  // Loading under the lock: two models asking for the same dictionary at once load it once.
  base::MutexLock lock(impl_->mu);
  auto& slot =
      impl_->dictionaries[{options.jieba_dir, options.user_dict, options.user_dict_text}];
  std::shared_ptr<const text::JiebaDictionary> dict = slot.lock();
  if (!dict) {
    QUIVER_ASSIGN_OR_RETURN(dict, load_dictionary(options));
    slot = dict;
  }
  return make_segmenter(mode, std::move(dict));
}

}  // namespace quiver
