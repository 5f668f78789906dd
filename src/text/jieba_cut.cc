// Tokenizer.cut / __cut_DAG / __cut_DAG_NO_HMM / calc / cut_for_search and finalseg.cut of
// Python jieba 0.42.1 (jieba/__init__.py, jieba/finalseg/__init__.py).
#include "text/jieba_cut.h"

namespace quiver::text {
namespace {

// One block of re_han_default characters: its DAG and best route (Tokenizer.calc).
class BlockCutter {
 public:
  BlockCutter(const JiebaDictionary& dict, std::string_view text, const Runes& runes,
              std::vector<Span>* out)
      : dict_(dict), text_(text), runes_(runes), out_(out) {}

  // route[idx] = max((log_p + route[x+1].prob, x) for x in DAG[idx]): on equal
  // probabilities the later x (the longer word) wins, as in Python's tuple comparison.
  void calc(Span block) {
    dict_.dag(runes_, block, &dag_);
    const uint32_t n = block.size();
    prob_.assign(n + 1, 0.0);
    end_.assign(n + 1, 0);
    for (uint32_t k = n; k-- > 0;) {
      double best = 0;
      uint32_t best_end = 0;
      for (uint32_t i = dag_.first[k]; i < dag_.first[k + 1]; ++i) {
        const auto& edge = dag_.edges[i];
        double p = edge.log_p + prob_[edge.end - block.begin];
        if (best_end == 0 || p >= best) best = p, best_end = edge.end;
      }
      prob_[k] = best;
      end_[k] = best_end;
    }
    base_ = block.begin;
  }
  uint32_t route_end(uint32_t x) const { return end_[x - base_]; }

  // Tokenizer.__cut_DAG: single characters are gathered into buf; a buf that is no word
  // goes to the HMM.
  void cut_hmm(Span block) {
    calc(block);
    uint32_t buf = block.begin;  // buf is runes[buf, x)
    uint32_t x = block.begin;
    while (x < block.end) {
      uint32_t y = route_end(x);
      if (y - x != 1) {
        flush_hmm({buf, x});
        out_->push_back({x, y});
        buf = y;
      }
      x = y;
    }
    flush_hmm({buf, x});
  }

  // Tokenizer.__cut_DAG_NO_HMM: runs of single ASCII letters/digits become one token.
  void cut_no_hmm(Span block) {
    calc(block);
    uint32_t buf = block.begin;
    uint32_t x = block.begin;
    while (x < block.end) {
      uint32_t y = route_end(x);
      if (y - x == 1 && is_ascii_alnum(runes_[x].rune)) {
        x = y;
        continue;
      }
      if (buf < x) out_->push_back({buf, x});
      out_->push_back({x, y});
      buf = x = y;
    }
    if (buf < x) out_->push_back({buf, x});
  }

 private:
  void flush_hmm(Span buf) {
    if (buf.size() == 0) return;
    if (buf.size() == 1) {
      out_->push_back(buf);
    } else if (!dict_.is_word(runes_, buf)) {
      finalseg_cut(buf);
    } else {
      for (uint32_t i = buf.begin; i < buf.end; ++i) out_->push_back({i, i + 1});
    }
  }

  // finalseg.cut: Han runs through the HMM (words in Force_Split_Words split into
  // characters); the rest split by re_skip = ([a-zA-Z0-9]+(?:\.\d+)?%?).
  void finalseg_cut(Span s) {
    uint32_t i = s.begin;
    while (i < s.end) {
      uint32_t j = i;
      bool han = is_han(runes_[i].rune);
      while (j < s.end && is_han(runes_[j].rune) == han) ++j;
      if (han) {
        hmm_cut({i, j});
      } else {
        skip_split({i, j});
      }
      i = j;
    }
  }

  void hmm_cut(Span s) {
    words_.clear();
    dict_.hmm().cut(runes_, s, &words_);
    for (Span w : words_) {
      if (!dict_.force_split(span_text(text_, runes_, w))) {
        out_->push_back(w);
      } else {
        for (uint32_t i = w.begin; i < w.end; ++i) out_->push_back({i, i + 1});
      }
    }
  }

  void skip_split(Span s) {
    auto digit = [&](uint32_t k) { return runes_[k].rune >= '0' && runes_[k].rune <= '9'; };
    uint32_t piece = s.begin, p = s.begin;
    while (p < s.end) {
      if (!is_ascii_alnum(runes_[p].rune)) {
        ++p;
        continue;
      }
      if (piece < p) out_->push_back({piece, p});
      uint32_t q = p;
      while (q < s.end && is_ascii_alnum(runes_[q].rune)) ++q;
      if (q + 1 < s.end && runes_[q].rune == '.' && digit(q + 1)) {
        q += 2;
        while (q < s.end && digit(q)) ++q;
      }
      if (q < s.end && runes_[q].rune == '%') ++q;
      out_->push_back({p, q});
      piece = p = q;
    }
    if (piece < s.end) out_->push_back({piece, s.end});
  }

  const JiebaDictionary& dict_;
  std::string_view text_;
  const Runes& runes_;
  std::vector<Span>* out_;
  JiebaDictionary::Dag dag_;
  std::vector<double> prob_;
  std::vector<uint32_t> end_;
  uint32_t base_ = 0;
  std::vector<Span> words_;
};

}  // namespace

void jieba_cut(const JiebaDictionary& dict, std::string_view text, const Runes& runes,
               bool hmm, std::vector<Span>* out) {
  BlockCutter cutter(dict, text, runes, out);
  const uint32_t n = static_cast<uint32_t>(runes.size());
  uint32_t i = 0;
  while (i < n) {
    if (is_han_default(runes[i].rune)) {  // re_han_default block
      uint32_t j = i + 1;
      while (j < n && is_han_default(runes[j].rune)) ++j;
      if (hmm) {
        cutter.cut_hmm({i, j});
      } else {
        cutter.cut_no_hmm({i, j});
      }
      i = j;
    } else {  // re_skip_default: "\r\n" or one character
      uint32_t len = runes[i].rune == '\r' && i + 1 < n && runes[i + 1].rune == '\n' ? 2 : 1;
      out->push_back({i, i + len});
      i += len;
    }
  }
}

void jieba_cut_for_search(const JiebaDictionary& dict, std::string_view text,
                          const Runes& runes, bool hmm, std::vector<Span>* out) {
  std::vector<Span> words;
  jieba_cut(dict, text, runes, hmm, &words);
  for (Span w : words) {
    for (uint32_t gram = 2; gram <= 3; ++gram) {
      if (w.size() <= gram) continue;
      for (uint32_t i = w.begin; i + gram <= w.end; ++i) {
        if (dict.is_word(runes, {i, i + gram})) out->push_back({i, i + gram});
      }
    }
    out->push_back(w);
  }
}

}  // namespace quiver::text
