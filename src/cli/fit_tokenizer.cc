// quiver fit-tokenizer --data FILE.csv [--text-column text] [--num-words N] [--oov-token S]
//                      [--char-level] [--no-lower] [--tokenizer-filters S] [--split S]
//                      [--skip-bad-rows] [--allow-empty-text] --out FILE.json
// Fits a Keras Tokenizer on one column of an RFC 4180 CSV file (UTF-8, optional BOM) and
// writes Tokenizer.to_json() atomically; Keras' tokenizer_from_json reads the file.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "base/file.h"
#include "cli/commands.h"
#include "quiver/tokenizer.h"
#include "quiver/train.h"

namespace quiver::cli {
namespace {

struct FitTokenizerArgs {
  std::string data;
  std::string text_column = "text";
  std::optional<int64_t> num_words;
  std::optional<std::string> oov_token;
  bool char_level = false;
  bool no_lower = false;
  std::string filters{kKerasDefaultFilters};
  std::string split = " ";
  std::string out;
  CsvRowOptions rows;
};

Status run_fit_tokenizer(const FitTokenizerArgs& args) {
  if (args.num_words && *args.num_words < 0) {
    return invalid_argument("--num-words: must be >= 0, got " + std::to_string(*args.num_words));
  }
  QUIVER_RETURN_IF_ERROR(base::check_output_path(args.out));  // before reading the data
  TokenizerConfig config;
  config.num_words = args.num_words;
  config.oov_token = args.oov_token;
  config.char_level = args.char_level;
  config.lower = !args.no_lower;
  config.filters = args.filters;
  config.split = args.split;
  int64_t skipped = 0;
  QUIVER_ASSIGN_OR_RETURN(Tokenizer tokenizer,
                          fit_tokenizer_on_csv(args.data, args.text_column, std::move(config),
                                               nullptr, args.rows, &skipped));
  if (skipped > 0) {
    std::fprintf(stderr, "quiver fit-tokenizer: %s: skipped bad rows: %lld\n", args.data.c_str(),
                 static_cast<long long>(skipped));
  }
  return base::write_file_atomic(args.out, tokenizer.to_json());
}

}  // namespace

void add_fit_tokenizer_command(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<FitTokenizerArgs>();
  CLI::App* cmd = app.add_subcommand(
      "fit-tokenizer", "Fit a Keras Tokenizer on a CSV text column and write its JSON");
  cmd->add_option("--data", args->data, "CSV file with a header row (RFC 4180, UTF-8)")->required();
  cmd->add_option("--text-column", args->text_column, "column holding the texts")
      ->default_val("text");
  cmd->add_option("--num-words", args->num_words, "keep ids 1..N-1 in sequences (Keras num_words)");
  cmd->add_option("--oov-token", args->oov_token, "token for unknown words (index 1)");
  cmd->add_flag("--char-level", args->char_level, "one token per character");
  cmd->add_flag("--no-lower", args->no_lower, "do not lower-case the texts");
  // --tokenizer-filters as in `quiver train` (where --filters is the cnn's); --filters
  // stays as this command's older spelling.
  cmd->add_option("--tokenizer-filters,--filters", args->filters,
                  "characters replaced by the separator")
      ->default_str("Keras' punctuation, tab and newline");
  cmd->add_option("--split", args->split, "word separator")->default_str("\" \"");
  cmd->add_option("--out", args->out, "tokenizer JSON to write")->required();
  cmd->add_flag("--skip-bad-rows", args->rows.skip_bad_rows,
                "skip (and count, on stderr) rows with a wrong column count or an empty text "
                "instead of failing");
  cmd->add_flag("--allow-empty-text", args->rows.allow_empty_text,
                "fit on empty texts too (Keras counts them as documents)");
  cmd->callback([&ctx, args] {
    run_command(ctx, "fit-tokenizer", [&] { return run_fit_tokenizer(*args); });
  });
}

}  // namespace quiver::cli
