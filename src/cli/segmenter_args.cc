#include "cli/segmenter_args.h"


namespace quiver::cli {

CLI::Option* add_segmenter_options(CLI::App* cmd, SegmenterArgs* args) {
  CLI::Option* mode = cmd->add_option("--segmenter", args->mode,
                                      "none, jieba, jieba-nohmm, jieba-search or cjk-chars");
  cmd->add_option("--user-dict", args->user_dict,
                  "jieba user dictionary (load_userdict format: word [freq] [tag])");
  cmd->add_option("--jieba-dir", args->jieba_dir,
                  "folder with jieba's dict.txt and finalseg/prob_*.py");
  return mode;
}

Result<std::shared_ptr<const Segmenter>> create_segmenter(const SegmenterArgs& args) {
  SegmenterOptions options;
  if (!args.jieba_dir.empty()) options.jieba_dir = args.jieba_dir;
  options.user_dict = args.user_dict;
  return Segmenter::create(args.mode,
                           with_recorded_user_dict(options, args.mode, args.recorded_user_dict));
}

Result<std::string> segment_line(const Segmenter& segmenter, const std::string& line,
                                 const std::string& split, size_t line_no) {
  auto text = segment_for_tokenizer(segmenter, line, split);
  if (!text.ok()) return text.status().with_context("stdin line " + std::to_string(line_no));
  return text;
}

}  // namespace quiver::cli
