// quiver segment --segmenter MODE [--user-dict FILE] [--jieba-dir DIR]
// Reads UTF-8 text lines from stdin and writes each line's tokens as one JSON array of
// strings per line (UTF-8, not \u-escaped). A line ends at "\n" or "\r\n" (the terminator
// is not part of the text, as with Python's text-mode readline + rstrip('\n')).
#include <cstdio>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "quiver/segmenter.h"

namespace quiver::cli {
namespace {

struct SegmentArgs {
  std::string mode = "none";
  SegmenterOptions options;
};

Status run_segment(const SegmentArgs& args) {
  QUIVER_ASSIGN_OR_RETURN(std::shared_ptr<const Segmenter> segmenter,
                          Segmenter::create(args.mode, args.options));
  std::string line;
  size_t line_no = 0;
  while (std::getline(std::cin, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto tokens = segmenter->segment(line);
    if (!tokens.ok()) {
      std::fflush(stdout);
      return tokens.status().with_context("stdin line " + std::to_string(line_no));
    }
    std::string out = nlohmann::json(*tokens).dump();  // valid UTF-8 in, so dump cannot throw
    out += '\n';
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
  if (std::fflush(stdout) != 0) return io_error("stdout: write failed");
  return Status();
}

}  // namespace

void add_segment_command(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<SegmentArgs>();
  CLI::App* cmd = app.add_subcommand(
      "segment", "Segment text lines from stdin; print each line's tokens as a JSON array");
  cmd->add_option("--segmenter", args->mode,
                  "none, jieba, jieba-nohmm, jieba-search or cjk-chars")
      ->default_val("none");
  cmd->add_option("--user-dict", args->options.user_dict,
                  "jieba user dictionary (load_userdict format: word [freq] [tag])");
  cmd->add_option("--jieba-dir", args->options.jieba_dir,
                  "folder with jieba's dict.txt and finalseg/prob_*.py")
      ->default_val(std::string(kDefaultJiebaDir));
  cmd->callback([&ctx, args] { run_command(ctx, "segment", [&] { return run_segment(*args); }); });
}

}  // namespace quiver::cli
