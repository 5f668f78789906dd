// quiver tokenize --tokenizer FILE.json [--maxlen N --padding pre|post --truncating pre|post]
//                 [--segmenter MODE [--user-dict FILE] [--jieba-dir DIR]]
// Reads UTF-8 text lines from stdin and writes, per line, the Keras texts_to_sequences ids
// as one JSON array ("[4,1,27]"), padded to N with pad_sequences semantics when --maxlen is
// given. With a segmenter the Tokenizer sees the line's tokens joined by its split string,
// as Python's texts_to_sequences([split.join(jieba.cut(line))]). A line ends at "\n" or
// "\r\n" (the terminator is not part of the text). A line that is not well-formed UTF-8
// stops the command with an error naming the line.
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "cli/segmenter_args.h"
#include "quiver/tokenizer.h"

namespace quiver::cli {
namespace {

constexpr int64_t kMaxMaxlen = int64_t{1} << 20;

struct TokenizeArgs {
  std::string tokenizer;
  std::optional<int64_t> maxlen;
  std::string padding = "pre";
  std::string truncating = "pre";
  SegmenterArgs segmenter;
};

Result<PadMode> pad_mode(const std::string& flag, const std::string& value) {
  if (value == "pre") return PadMode::kPre;
  if (value == "post") return PadMode::kPost;
  return invalid_argument(flag + ": expected pre or post, got '" + value + "'");
}

void append_ids(const std::vector<int32_t>& ids, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out->push_back(',');
    *out += std::to_string(ids[i]);
  }
  out->append("]\n");
}

Status run_tokenize(const TokenizeArgs& args) {
  QUIVER_ASSIGN_OR_RETURN(PadMode padding, pad_mode("--padding", args.padding));
  QUIVER_ASSIGN_OR_RETURN(PadMode truncating, pad_mode("--truncating", args.truncating));
  if (args.maxlen && (*args.maxlen < 1 || *args.maxlen > kMaxMaxlen)) {
    return invalid_argument("--maxlen: must be in 1.." + std::to_string(kMaxMaxlen) + ", got " +
                            std::to_string(*args.maxlen));
  }
  QUIVER_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::load(args.tokenizer));
  QUIVER_ASSIGN_OR_RETURN(std::shared_ptr<const Segmenter> segmenter,
                          create_segmenter(args.segmenter));
  const std::string& split = tokenizer.config().split;
  std::string line, out;
  size_t line_no = 0;
  while (std::getline(std::cin, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!is_valid_utf8(line)) {
      std::fflush(stdout);
      return invalid_argument("stdin line " + std::to_string(line_no) + ": ill-formed UTF-8");
    }
    QUIVER_ASSIGN_OR_RETURN(std::string text, segment_line(*segmenter, line, split, line_no));
    std::vector<int32_t> ids = tokenizer.text_to_sequence(text);
    if (args.maxlen) ids = pad_sequence(ids, *args.maxlen, padding, truncating);
    out.clear();
    append_ids(ids, &out);
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
  if (std::fflush(stdout) != 0) return io_error("stdout: write failed");
  return Status();
}

}  // namespace

void add_tokenize_command(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<TokenizeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "tokenize", "Turn text lines from stdin into Keras id sequences, one JSON array a line");
  cmd->add_option("--tokenizer", args->tokenizer, "Keras tokenizer: JSON (Tokenizer.to_json()) or pickle")
      ->required();
  cmd->add_option("--maxlen", args->maxlen, "pad or truncate every sequence to N ids");
  cmd->add_option("--padding", args->padding, "pre or post")->default_val("pre");
  cmd->add_option("--truncating", args->truncating, "pre or post")->default_val("pre");
  add_segmenter_options(cmd, &args->segmenter);
  cmd->callback([&ctx, args] {
    run_command(ctx, "tokenize", [&] { return run_tokenize(*args); });
  });
}

}  // namespace quiver::cli
