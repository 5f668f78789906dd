// Loading Python jieba's dictionary (Tokenizer.gen_pfdict, load_userdict, add_word,
// suggest_freq of jieba 0.42.1) and the DAG lookup (Tokenizer.get_DAG).
#include "text/jieba_dict.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "base/file.h"
#include "text/jieba_cut.h"

namespace quiver::text {
namespace {

constexpr int64_t kMaxFreq = int64_t{1} << 50;  // far above any real count; keeps sums exact

// Python's bytes.strip(): ASCII whitespace.
std::string_view strip_ascii(std::string_view s) {
  constexpr std::string_view kWs = " \t\n\r\v\f";
  size_t b = s.find_first_not_of(kWs);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kWs) - b + 1);
}

// Calls fn(line_number, line) for each '\n'-separated line (Python's iteration over a
// binary file), stopping at the first error.
template <typename F>
Status for_each_line(std::string_view text, F&& fn) {
  size_t line_no = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    QUIVER_RETURN_IF_ERROR(fn(++line_no, text.substr(pos, end - pos)));
    pos = end;
  }
  return Status();
}

// A non-negative decimal frequency.
bool parse_freq(std::string_view s, int64_t* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size() && *out >= 0 && *out <= kMaxFreq;
}

// jieba's re_userdict '^(.+?)( [0-9]+)?( [a-z]+)?$' on a stripped line: the shortest
// non-empty word such that the rest is [" " digits][" " lowercase letters].
struct UserEntry {
  std::string_view word;
  std::string_view freq;  // empty: none
};

UserEntry match_userdict(std::string_view line) {
  auto run = [&](size_t at, bool (*cls)(char)) {
    size_t e = at;
    while (e < line.size() && cls(line[e])) ++e;
    return e;
  };
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  auto is_lower = [](char c) { return c >= 'a' && c <= 'z'; };
  for (size_t len = 1; len < line.size(); ++len) {
    if (line[len] != ' ') continue;
    size_t pos = len;
    std::string_view freq;
    size_t e = run(pos + 1, is_digit);
    if (e > pos + 1) {
      freq = line.substr(pos + 1, e - pos - 1);
      pos = e;
    }
    if (pos < line.size() && line[pos] == ' ') {
      e = run(pos + 1, is_lower);
      if (e > pos + 1) pos = e;
    }
    if (pos == line.size()) return {line.substr(0, len), freq};
  }
  return {line, {}};
}

}  // namespace

// Builds a JiebaDictionary. Keeps Python's FREQ map (words and their prefixes) only while
// a user dictionary is applied, for suggest_freq's FREQ.get(x, 1) lookups.
class JiebaDictionary::Loader {
 public:
  explicit Loader(JiebaDictionary* dict) : dict_(dict) {}

  Status load_main(const std::string& path, bool keep_freq) {
    QUIVER_ASSIGN_OR_RETURN(std::string text, base::read_file(path));
    keep_freq_ = keep_freq;
    int64_t total = 0;
    QUIVER_RETURN_IF_ERROR(for_each_line(text, [&](size_t line_no, std::string_view raw) {
      std::string_view line = strip_ascii(raw);
      auto where = [&] { return path + ":" + std::to_string(line_no) + ": "; };
      size_t sp = line.find(' ');
      if (sp == std::string_view::npos) return corruption(where() + "expected 'word freq [tag]'");
      std::string_view word = line.substr(0, sp);
      std::string_view rest = line.substr(sp + 1);
      int64_t freq;
      if (!parse_freq(rest.substr(0, rest.find(' ')), &freq))
        return corruption(where() + "bad frequency");
      QUIVER_RETURN_IF_ERROR(put(word, freq).with_context(where()));
      total += freq;
      return Status();
    }));
    if (total <= 0) return corruption(path + ": no word has a frequency");
    dict_->add_to_total(total);
    return Status();
  }

  // `text`: the dictionary; `path` names it in messages.
  Status load_user(const std::string& path, const std::string& text) {
    return for_each_line(text, [&](size_t line_no, std::string_view raw) {
      auto where = [&] { return path + ":" + std::to_string(line_no) + ": "; };
      std::string_view line = strip_ascii(raw);
      Runes check;
      if (!decode_runes(line, &check).ok())
        return invalid_argument(where() + "dictionary file must be UTF-8");
      while (line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);  // lstrip('\ufeff')
      if (line.empty()) return Status();
      UserEntry e = match_userdict(line);
      int64_t freq;
      if (e.freq.empty()) {
        freq = suggest_freq(e.word);
      } else if (!parse_freq(e.freq, &freq)) {
        return invalid_argument(where() + "frequency too large");
      }
      QUIVER_RETURN_IF_ERROR(put(e.word, freq).with_context(where()));
      dict_->add_to_total(freq);
      if (freq == 0) dict_->force_split_.emplace(e.word);
      return Status();
    });
  }

 private:
  // FREQ[word] = freq, and FREQ[prefix] = 0 for its new prefixes.
  Status put(std::string_view word, int64_t freq) {
    Runes runes;
    if (!decode_runes(word, &runes).ok()) return corruption("word is not UTF-8");
    cppjieba::Unicode unicode;
    for (const auto& r : runes) unicode.push_back(r.rune);
    dict_->set_word(unicode, freq);
    if (!keep_freq_) return Status();
    freq_[std::string(word)] = freq;
    for (size_t i = 1; i < runes.size(); ++i)
      freq_.try_emplace(std::string(word.substr(0, runes[i].offset)), 0);
    return Status();
  }

  // FREQ.get(s, 1)
  int64_t get(std::string_view s) const {
    auto it = freq_.find(std::string(s));
    return it == freq_.end() ? 1 : it->second;
  }

  // Tokenizer.suggest_freq(word, tune=False).
  int64_t suggest_freq(std::string_view word) const {
    const double ftotal = static_cast<double>(dict_->total_);
    double freq = 1;
    Runes runes;
    std::vector<Span> segs;
    if (decode_runes(word, &runes).ok()) jieba_cut(*dict_, word, runes, /*hmm=*/false, &segs);
    for (Span seg : segs) freq *= static_cast<double>(get(span_text(word, runes, seg))) / ftotal;
    return std::max(static_cast<int64_t>(freq * ftotal) + 1, get(word));
  }

  JiebaDictionary* dict_;
  bool keep_freq_ = false;
  std::unordered_map<std::string, int64_t> freq_;
};

JiebaDictionary::JiebaDictionary(JiebaHmm hmm)
    : hmm_(std::move(hmm)), trie_(std::vector<cppjieba::Unicode>(),
                                  std::vector<const cppjieba::DictUnit*>()) {}

Result<std::shared_ptr<const JiebaDictionary>> JiebaDictionary::load(
    const std::string& jieba_dir, const std::string& user_dict,
    const std::string& user_dict_text) {
  QUIVER_ASSIGN_OR_RETURN(JiebaHmm hmm, JiebaHmm::load(jieba_dir + "/finalseg"));
  std::shared_ptr<JiebaDictionary> dict(new JiebaDictionary(std::move(hmm)));
  Loader loader(dict.get());
  const bool user = !user_dict.empty() || !user_dict_text.empty();
  QUIVER_RETURN_IF_ERROR(loader.load_main(jieba_dir + "/dict.txt", user));
  if (!user_dict_text.empty()) {
    dict->user_text_ = user_dict_text;
  } else if (!user_dict.empty()) {
    QUIVER_ASSIGN_OR_RETURN(dict->user_text_, base::read_file(user_dict));
  }
  if (user) {
    const std::string name = user_dict.empty() ? "recorded user dictionary" : user_dict;
    QUIVER_RETURN_IF_ERROR(loader.load_user(name, dict->user_text_));
  }
  return std::shared_ptr<const JiebaDictionary>(std::move(dict));
}

void JiebaDictionary::set_word(const cppjieba::Unicode& word, int64_t freq) {
  if (freq == 0) {  // FREQ[word] = 0: a prefix, not a word
    trie_.InsertNode(word, nullptr);
    return;
  }
  units_.push_back(cppjieba::DictUnit{{}, std::log(static_cast<double>(freq)), {}});
  trie_.InsertNode(word, &units_.back());
}

void JiebaDictionary::add_to_total(int64_t freq) {
  total_ += freq;
  log_total_ = std::log(static_cast<double>(total_));
}

bool JiebaDictionary::is_word(const Runes& runes, Span span) const {
  return trie_.Find(runes.begin() + span.begin, runes.begin() + span.end) != nullptr;
}

void JiebaDictionary::dag(const Runes& runes, Span block, Dag* dag) const {
  std::vector<cppjieba::Dag> found;  // cppjieba's Trie walk
  trie_.Find(runes.begin() + block.begin, runes.begin() + block.end, found,
             std::numeric_limits<size_t>::max());
  dag->first.clear();
  dag->edges.clear();
  const double unknown = 0.0 - log_total_;  // log(FREQ.get(w) or 1) - logtotal with 1
  for (uint32_t k = 0; k < block.size(); ++k) {
    dag->first.push_back(static_cast<uint32_t>(dag->edges.size()));
    for (const auto& [j, unit] : found[k].nexts) {
      if (unit == nullptr) continue;  // the single character, when it is no word
      dag->edges.push_back({block.begin + static_cast<uint32_t>(j) + 1, unit->weight - log_total_});
    }
    if (dag->edges.size() == dag->first.back())
      dag->edges.push_back({block.begin + k + 1, unknown});
  }
  dag->first.push_back(static_cast<uint32_t>(dag->edges.size()));
}

}  // namespace quiver::text
