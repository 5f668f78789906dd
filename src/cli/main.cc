// quiver: load, train and serve Keras text classifiers. main() only wires things up.
#include <cstdio>
#include <exception>

#include "cli/commands.h"
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
    case StatusCode::kUnavailable: return 8;
    default: return 1;
  }
}

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
  add_validate_model_command(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "quiver: %s\n", e.what());
    return 1;
  }
  if (!ctx.status.ok()) {
    std::fprintf(stderr, "quiver %s: %s\n", ctx.command.c_str(), ctx.status.to_string().c_str());
    return exit_code_for(ctx.status);
  }
  return 0;
}
