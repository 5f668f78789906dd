// quiver: load, train and serve Keras text classifiers. main() only wires things up.
#include <cstdio>
#include <exception>

#include "cli/commands.h"
#include "cli/usage_errors.h"
#include "quiver/version.h"

namespace quiver::cli {

int exit_code_for(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return 0;
    case StatusCode::kInvalidArgument: return 2;
    case StatusCode::kNotFound: return 3;
    case StatusCode::kCorruption: return 4;
    case StatusCode::kUnimplemented: return 5;
    case StatusCode::kIOError: return 6;
    case StatusCode::kResourceExhausted: return 7;
    default: return 1;
  }
}

namespace {

// The one error path: every failure, usage errors included, is one line on stderr.
int report(const std::string& command, const Status& status) {
  if (status.ok()) return 0;
  const std::string where = command.empty() ? "quiver" : "quiver " + command;
  std::fprintf(stderr, "%s: %s\n", where.c_str(), status.to_string().c_str());
  return exit_code_for(status);
}

}  // namespace
}  // namespace quiver::cli

int main(int argc, char** argv) {
  using namespace quiver::cli;
  CLI::App app{"quiver: load, train and serve Keras text classifiers"};
  app.set_version_flag("--version", "quiver " QUIVER_VERSION);
  app.require_subcommand(1);
  CommandContext ctx;
  // One line per subcommand (src/cli/<command>.cc).
  add_segment_command(app, ctx);
  add_bench_command(app, ctx);
  add_fit_tokenizer_command(app, ctx);
  add_tokenize_command(app, ctx);
  add_convert_tokenizer_command(app, ctx);
  add_inspect_command(app, ctx);
  add_predict_command(app, ctx);
  add_train_command(app, ctx);
  add_evaluate_command(app, ctx);
  add_serve_command(app, ctx);
  add_train_multilabel_command(app, ctx);
  add_compare_command(app, ctx);
  add_shard_command(app, ctx);
  add_validate_model_command(app, ctx);
  add_help_command(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (is_help_or_version(e)) return app.exit(e);
    std::string command;
    quiver::Status status = usage_error(app, e, &command);
    return report(command, status);
  } catch (const std::exception& e) {
    return report(ctx.command, quiver::internal_error(e.what()));
  }
  return report(ctx.command, ctx.status);
}
