// JiebaDictionary: Python jieba 0.42.1's prefix dictionary (Tokenizer.FREQ / total) over
// cppjieba's Trie, plus the HMM tables, loaded from Python jieba's own data files.
//
// Why not cppjieba's DictTrie: it normalises weights by the main dictionary's total only,
// scores characters missing from the dictionary with the smallest word weight (Python:
// frequency 1), gives user words without a frequency the median weight (Python:
// suggest_freq), and aborts the process on a malformed line. quiver reads the files itself
// and keeps cppjieba's Trie for the DAG lookups.
//
// Thread-safety: immutable after load(); all const methods may run concurrently.
#ifndef QUIVER_TEXT_JIEBA_DICT_H_
#define QUIVER_TEXT_JIEBA_DICT_H_

#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cppjieba/Trie.hpp"
#include "quiver/status.h"
#include "text/jieba_hmm.h"
#include "text/jieba_text.h"

namespace quiver::text {

class JiebaDictionary {
 public:
  // Loads <jieba_dir>/dict.txt, <jieba_dir>/finalseg/prob_*.py and, if user_dict or
  // user_dict_text is not empty, applies the user dictionary (user_dict_text, else the file
  // user_dict) with load_userdict's rules. Errors name the file (or user_dict as the
  // recorded dictionary's name) and line.
  static Result<std::shared_ptr<const JiebaDictionary>> load(const std::string& jieba_dir,
                                                             const std::string& user_dict,
                                                             const std::string& user_dict_text = "");

  // The user dictionary's contents ("" without one).
  const std::string& user_text() const { return user_text_; }

  JiebaDictionary(const JiebaDictionary&) = delete;
  JiebaDictionary& operator=(const JiebaDictionary&) = delete;

  // get_DAG for the block runes[block]: the words starting at each position k of the
  // block, as edges (end, log(FREQ[word]) - log(total)), `end` absolute and exclusive,
  // ascending; a position where no word starts gets the single edge (k+1, log(1) - log(total)).
  // The edges of position k are edges[first[k]] .. edges[first[k+1]-1].
  struct Edge {
    uint32_t end;
    double log_p;
  };
  struct Dag {
    std::vector<uint32_t> first;
    std::vector<Edge> edges;
  };
  void dag(const Runes& runes, Span block, Dag* dag) const;

  // bool(FREQ.get(word)): the span is a word with a non-zero frequency.
  bool is_word(const Runes& runes, Span span) const;

  // Words a user dictionary gave frequency 0: the HMM must not produce them whole
  // (finalseg.Force_Split_Words).
  bool force_split(std::string_view word) const {
    return !force_split_.empty() && force_split_.count(std::string(word)) > 0;
  }

  const JiebaHmm& hmm() const { return hmm_; }
  int64_t total() const { return total_; }

 private:
  class Loader;
  explicit JiebaDictionary(JiebaHmm hmm);

  // Tokenizer.add_word's effect on the trie: FREQ[word] = freq.
  void set_word(const cppjieba::Unicode& word, int64_t freq);
  void add_to_total(int64_t freq);

  JiebaHmm hmm_;
  cppjieba::Trie trie_;
  std::deque<cppjieba::DictUnit> units_;  // trie values; weight = log(freq)
  int64_t total_ = 0;
  double log_total_ = 0;
  std::unordered_set<std::string> force_split_;
  std::string user_text_;
};

}  // namespace quiver::text

#endif  // QUIVER_TEXT_JIEBA_DICT_H_
