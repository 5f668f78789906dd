// quiver help options [--markdown]: the training options, one table for the CLI flags and
// the serve config's `training:` keys (src/train/option_table.h). docs/training.md carries
// the --markdown output; tests/cli/options_test.cc checks that it is current.
#include <cstdio>

#include "cli/commands.h"
#include "train/option_table.h"

namespace quiver::cli {
namespace {

std::string plain_table() {
  std::string out =
      "Training options of quiver train / train-multilabel / predict --train-data; the same\n"
      "names (dashes -> underscores), defaults and checks apply to the serve config's\n"
      "`training:` keys. Older spellings in parentheses still work.\n\n";
  char line[512];
  for (const auto& o : train::training_options()) {
    std::string flags = o.flag();
    for (const auto& a : o.cli_aliases) flags += " (" + a + ")";
    std::string key = o.name;
    for (const auto& a : o.yaml_aliases) key += " (" + a + ")";
    std::string def = o.name == "tokenizer_filters" ? "Keras' punctuation" : o.default_text();
    if (def == " ") def = "\" \"";
    std::snprintf(line, sizeof line, "  %-32s %-28s %-10s %s\n", flags.c_str(), key.c_str(),
                  def.empty() ? "\"\"" : def.c_str(), o.help.c_str());
    out += line;
  }
  return out;
}

}  // namespace

void add_help_command(CLI::App& app, CommandContext& ctx) {
  CLI::App* help = app.add_subcommand("help", "Reference tables (quiver help options)");
  help->require_subcommand(1);
  CLI::App* options = help->add_subcommand(
      "options", "The training options: CLI flags and serve-config training: keys");
  auto markdown = std::make_shared<bool>(false);
  options->add_flag("--markdown", *markdown, "print the Markdown table of docs/training.md");
  options->callback([&ctx, markdown] {
    run_command(ctx, "help options", [&] {
      const std::string text = *markdown ? train::training_options_markdown() : plain_table();
      std::fwrite(text.data(), 1, text.size(), stdout);
      return Status();
    });
  });
}

}  // namespace quiver::cli
