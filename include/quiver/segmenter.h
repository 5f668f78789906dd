// Word segmentation in front of the Keras Tokenizer, for text without spaces between words
// (Chinese). A model trained in Python on `" ".join(jieba.cut(text))` needs the same
// segmentation at serving time; quiver reproduces Python jieba 0.42.1 token for token.
//
// Modes (the names are what configs and the CLI use):
//   none          no segmentation: the text goes to the Tokenizer unchanged (Keras' split).
//                 segment() returns the text's whitespace-separated runs (Python str.split()).
//   jieba         jieba.cut(text, HMM=True): dictionary DAG, maximum-probability route, HMM
//                 (Viterbi) for runs of characters the dictionary does not know.
//   jieba-nohmm   jieba.cut(text, HMM=False).
//   jieba-search  jieba.cut_for_search(text, HMM=True): every dictionary 2-gram and 3-gram
//                 inside a longer word, then the word.
//   cjk-chars     each Han, Hiragana, Katakana or Hangul character is a token; the other runs
//                 are split on whitespace and left for the Tokenizer's own filters/split.
// jieba tokens keep everything Python jieba keeps, whitespace and punctuation included, so
// joining them with " " gives exactly the Python pipeline's string.
//
// Data: the jieba modes read Python jieba's own files from SegmenterOptions::jieba_dir
// (Debian's python3-jieba: dict.txt and finalseg/prob_{start,trans,emit}.py). Each
// Segmenter loads them once when created; SegmenterCache shares one loaded dictionary
// between segmenters (models) with the same jieba_dir and user dictionary.
//
// Thread-safety: a Segmenter is immutable after create(); segment() may run concurrently
// from any number of threads. SegmenterCache is thread-safe.
#ifndef QUIVER_SEGMENTER_H_
#define QUIVER_SEGMENTER_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "quiver/status.h"

namespace quiver {

enum class SegmenterMode { kNone, kJieba, kJiebaNoHmm, kJiebaSearch, kCjkChars };

// "none", "jieba", "jieba-nohmm", "jieba-search", "cjk-chars" <-> SegmenterMode.
// An unknown name is InvalidArgument, and the message lists the valid names.
Result<SegmenterMode> parse_segmenter_mode(std::string_view name);
std::string_view segmenter_mode_name(SegmenterMode mode);

// Where Debian's python3-jieba installs jieba's data.
inline constexpr std::string_view kDefaultJiebaDir = "/usr/lib/python3/dist-packages/jieba";

struct SegmenterOptions {
  // Folder with dict.txt and finalseg/prob_{start,trans,emit}.py (jieba 0.42.1 layout).
  std::string jieba_dir{kDefaultJiebaDir};
  // Optional user dictionary in jieba.load_userdict's format: one entry a line,
  // "word [freq] [tag]" (UTF-8; a missing freq gets jieba's suggest_freq value; freq 0
  // removes a word and forces the HMM to split it). Empty: none.
  std::string user_dict;
  // The user dictionary's contents, used instead of reading `user_dict` when not empty (a
  // dictionary recorded in a model file: quiver_user_dict); `user_dict` then only names it
  // in messages.
  std::string user_dict_text;
};

// `options` with a model's recorded user dictionary (quiver_user_dict, `recorded`) as
// user_dict_text when `options` names no user dictionary itself and `mode` is a jieba mode:
// how predict, evaluate and serve segment as the model's training did. An explicit
// dictionary wins; other modes (and an unknown mode, which create() reports) get none.
SegmenterOptions with_recorded_user_dict(SegmenterOptions options, std::string_view mode,
                                         const std::string& recorded);

class Segmenter {
 public:
  virtual ~Segmenter() = default;

  virtual SegmenterMode mode() const = 0;

  // The tokens of one UTF-8 text, in order; their concatenation is the text (except in
  // the none and cjk-chars modes, which drop whitespace, and jieba-search, which adds the
  // n-grams). Invalid UTF-8 is InvalidArgument ("invalid UTF-8 at byte N"); nothing else
  // fails.
  virtual Result<std::vector<std::string>> segment(std::string_view text) const = 0;

  // The contents of the user dictionary this segmenter applies ("" without one): what
  // `quiver train` records in the model (quiver_user_dict).
  virtual const std::string& user_dictionary() const = 0;

  // Creates the segmenter for `mode` (a name as above). Errors: InvalidArgument for an
  // unknown mode or a malformed user dictionary (message "file:line: ..."), NotFound /
  // IOError for missing or unreadable files, Corruption for malformed jieba data files.
  static Result<std::shared_ptr<const Segmenter>> create(std::string_view mode,
                                                         const SegmenterOptions& options = {});
};

// tokens joined by `split`: Python's split.join(tokens).
std::string join_tokens(const std::vector<std::string>& tokens, std::string_view split);

// The string the Tokenizer sees for `text`, as in the Python pipeline
// `split.join(jieba.cut(text))`: the text unchanged in mode none, else its tokens joined
// by the Tokenizer's split string. Errors as for Segmenter::segment.
Result<std::string> segment_for_tokenizer(const Segmenter& segmenter, std::string_view text,
                                          std::string_view split);

// Creates segmenters, sharing the loaded jieba dictionary (0.2-0.5 s of CPU to load; a
// process holding one peaks at about 120 MB) between all live segmenters with the same
// jieba_dir and user_dict, whatever their mode. A dictionary is freed when the last
// segmenter using it goes; the cache keeps only weak references, so a changed user
// dictionary file is read again only once no segmenter holds the old one. Loads happen
// under the cache's lock. Thread-safe; one cache per owner (e.g. a model registry), no
// globals.
class SegmenterCache {
 public:
  SegmenterCache();
  ~SegmenterCache();
  SegmenterCache(const SegmenterCache&) = delete;
  SegmenterCache& operator=(const SegmenterCache&) = delete;

  // As Segmenter::create.
  Result<std::shared_ptr<const Segmenter>> get(std::string_view mode,
                                               const SegmenterOptions& options = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace quiver

#endif  // QUIVER_SEGMENTER_H_
