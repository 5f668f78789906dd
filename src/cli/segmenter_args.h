// The segmenter in front of the Tokenizer for `quiver predict` and `quiver tokenize`:
// --segmenter MODE, --user-dict FILE, --jieba-dir DIR (see docs/chinese.md).
#ifndef QUIVER_CLI_SEGMENTER_ARGS_H_
#define QUIVER_CLI_SEGMENTER_ARGS_H_

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "quiver/segmenter.h"

namespace quiver::cli {

struct SegmenterArgs {
  std::string mode = "none";
  std::string user_dict;  // "" = none
  std::string jieba_dir;  // "" = kDefaultJiebaDir
  std::string recorded_user_dict;  // a model's quiver_user_dict (see with_recorded_user_dict)
};

// Registers --segmenter, --user-dict and --jieba-dir on `cmd`; returns the --segmenter
// option (its count() says whether the user gave it).
CLI::Option* add_segmenter_options(CLI::App* cmd, SegmenterArgs* args);

// The segmenter for `args` (mode none included: it passes text through unchanged).
// InvalidArgument for an unknown mode or a user dictionary without a jieba mode; the
// segmenter's own load errors otherwise.
Result<std::shared_ptr<const Segmenter>> create_segmenter(const SegmenterArgs& args);

// The string the Tokenizer sees for stdin line `line_no`: Python's split.join(tokens).
// Errors (ill-formed UTF-8) name the line.
Result<std::string> segment_line(const Segmenter& segmenter, const std::string& line,
                                 const std::string& split, size_t line_no);

}  // namespace quiver::cli

#endif  // QUIVER_CLI_SEGMENTER_ARGS_H_
