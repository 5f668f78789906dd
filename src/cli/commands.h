// The quiver subcommands. Each add_*_command registers one CLI11 subcommand on `app`; its
// callback stores the command's Status in `ctx`. main() prints a failed Status as one line
// on stderr ("quiver <command>: <message>") and exits with exit_code_for(status).
#ifndef QUIVER_CLI_COMMANDS_H_
#define QUIVER_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "quiver/status.h"

namespace quiver::cli {

struct CommandContext {
  Status status;
  std::string command;  // the subcommand that ran
};

// Exit codes: 0 ok, 2 invalid argument, 3 not found, 4 corruption, 5 unimplemented,
// 6 io error, 7 resource exhausted, 1 anything else (README "Commands"). Usage errors from
// CLI11 take the same path (usage_errors.h): exit 2.
int exit_code_for(const Status& status);

// Runs `body`, storing its Status in ctx; used by every subcommand's callback.
template <typename F>
void run_command(CommandContext& ctx, const char* name, F&& body) {
  ctx.command = name;
  ctx.status = body();
}

// One declaration per subcommand (src/cli/<command>.cc).
void add_segment_command(CLI::App& app, CommandContext& ctx);
void add_bench_command(CLI::App& app, CommandContext& ctx);
void add_fit_tokenizer_command(CLI::App& app, CommandContext& ctx);
void add_tokenize_command(CLI::App& app, CommandContext& ctx);
void add_convert_tokenizer_command(CLI::App& app, CommandContext& ctx);
void add_inspect_command(CLI::App& app, CommandContext& ctx);
void add_predict_command(CLI::App& app, CommandContext& ctx);
void add_train_command(CLI::App& app, CommandContext& ctx);
void add_evaluate_command(CLI::App& app, CommandContext& ctx);
void add_serve_command(CLI::App& app, CommandContext& ctx);
void add_train_multilabel_command(CLI::App& app, CommandContext& ctx);
void add_compare_command(CLI::App& app, CommandContext& ctx);
void add_shard_command(CLI::App& app, CommandContext& ctx);
void add_validate_model_command(CLI::App& app, CommandContext& ctx);  // hidden (serve's sandbox)
void add_help_command(CLI::App& app, CommandContext& ctx);

}  // namespace quiver::cli

#endif  // QUIVER_CLI_COMMANDS_H_
