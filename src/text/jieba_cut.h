// Python jieba 0.42.1's Tokenizer.cut and cut_for_search over a decoded text, on top of
// JiebaDictionary (cppjieba's Trie) and JiebaHmm.
//
// cppjieba's MixSegment / MPSegment / QuerySegment differ from Python jieba in the details
// that decide tokens: how text is cut into blocks (jieba: the regex re_han_default, with
// each other character a token of its own and "\r\n" kept together), ties in the
// maximum-probability route (Python keeps the longer word), the HMM's handling of Latin
// letters and digits inside a block (finalseg.re_skip), and the search mode's n-grams
// (Python: every dictionary 2-gram of a word longer than 2, then every 3-gram of a word
// longer than 3). These functions follow the Python source line by line.
//
// Thread-safety: pure functions of their arguments.
#ifndef QUIVER_TEXT_JIEBA_CUT_H_
#define QUIVER_TEXT_JIEBA_CUT_H_

#include <string_view>
#include <vector>

#include "text/jieba_dict.h"
#include "text/jieba_text.h"

namespace quiver::text {

// jieba.cut(text, HMM=hmm): appends the tokens of `text` (decoded into `runes`) to *out.
void jieba_cut(const JiebaDictionary& dict, std::string_view text, const Runes& runes,
               bool hmm, std::vector<Span>* out);

// jieba.cut_for_search(text, HMM=hmm).
void jieba_cut_for_search(const JiebaDictionary& dict, std::string_view text,
                          const Runes& runes, bool hmm, std::vector<Span>* out);

}  // namespace quiver::text

#endif  // QUIVER_TEXT_JIEBA_CUT_H_
