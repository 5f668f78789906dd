// jieba's finalseg HMM: the B/M/E/S character-position model for words the dictionary does
// not know, with the probability tables of Python jieba 0.42.1 (finalseg/prob_*.py).
//
// cppjieba ships its own HMM (HMMModel / HMMSegment), but its Viterbi breaks ties between
// equal scores differently from Python's max() over (score, state) tuples, and ties are
// common: a character the tables never saw scores -3.14e100 in every state, which swamps
// the other terms. So quiver runs Python's Viterbi step for step here.
//
// Thread-safety: immutable after load(); cut() is const and may run concurrently.
#ifndef QUIVER_TEXT_JIEBA_HMM_H_
#define QUIVER_TEXT_JIEBA_HMM_H_

#include <array>
#include <string>
#include <unordered_map>
#include <vector>

#include "quiver/status.h"
#include "text/jieba_text.h"

namespace quiver::text {

class JiebaHmm {
 public:
  // States in jieba's order of comparison ('B' < 'E' < 'M' < 'S').
  enum State { kB = 0, kE = 1, kM = 2, kS = 3 };
  static constexpr double kMinFloat = -3.14e100;  // finalseg.MIN_FLOAT

  // Reads <finalseg_dir>/prob_start.py, prob_trans.py, prob_emit.py (Python literals
  // "P={...}"). Errors: NotFound / IOError for a file, Corruption "file: offset N: ..." for
  // a malformed table.
  static Result<JiebaHmm> load(const std::string& finalseg_dir);

  // finalseg.__cut on runes[span] (all Han characters): appends the words to *out.
  void cut(const Runes& runes, Span span, std::vector<Span>* out) const;

 private:
  using Emit = std::array<double, 4>;  // per state; kMinFloat where the table has none

  std::array<double, 4> start_{};
  std::array<std::array<double, 4>, 4> trans_{};  // [from][to]
  std::unordered_map<Rune, Emit> emit_;
};

}  // namespace quiver::text

#endif  // QUIVER_TEXT_JIEBA_HMM_H_
