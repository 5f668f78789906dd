// quiver convert-tokenizer TOKENIZER --out FILE.json
// Reads a Keras tokenizer — a pickle (tokenizer.pickle / .pkl, protocols 2-5, read by the
// restricted unpickler: nothing in it is executed) or any JSON form from_json accepts — and
// writes it as the JSON of Keras' Tokenizer.to_json(), which tokenizer_from_json() reads
// and every quiver command accepts. The output is written atomically.
#include <memory>
#include <string>

#include "base/file.h"
#include "cli/commands.h"
#include "quiver/tokenizer.h"

namespace quiver::cli {
namespace {

struct ConvertTokenizerArgs {
  std::string input;
  std::string out;
};

Status run_convert_tokenizer(const ConvertTokenizerArgs& args) {
  QUIVER_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::load(args.input));
  return base::write_file_atomic(args.out, tokenizer.to_json());
}

}  // namespace

void add_convert_tokenizer_command(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<ConvertTokenizerArgs>();
  CLI::App* cmd = app.add_subcommand(
      "convert-tokenizer",
      "Write a Keras tokenizer (pickle or JSON) as Tokenizer.to_json() JSON");
  cmd->add_option("tokenizer", args->input, "tokenizer.pickle / .pkl / .json")->required();
  cmd->add_option("--out", args->out, "the JSON file to write")->required();
  cmd->callback([&ctx, args] {
    run_command(ctx, "convert-tokenizer", [&] { return run_convert_tokenizer(*args); });
  });
}

}  // namespace quiver::cli
