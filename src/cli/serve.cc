// quiver serve --config FILE [--port N]: serves the configured models over HTTP until
// SIGTERM. With --port 0 the first line of stdout names the port that was picked. The port
// opens before the models load (readiness tells when they serve); a taken port exits 6.
#include <optional>
#include <string>

#include "cli/commands.h"
#include "cli/usage_errors.h"
#include "serve/server.h"
#include "serve/training_hooks.h"

namespace quiver::cli {

void add_serve_command(CLI::App& app, CommandContext& ctx) {
  struct Options {
    std::string config;
    std::optional<int> port;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve the models of a config file over HTTP");
  cmd->add_option("--config", options->config, "YAML config file (see README, Serving)")
      ->required();
  cmd->add_option("--port", options->port, "Port to listen on (0: any free port)")
      ->check(int_range(0, 65535));
  cmd->callback([&ctx, options] {
    run_command(ctx, "serve", [&] {
      serve::ServerDeps deps;
      deps.training = std::make_shared<serve::TrainingMonitor>();
      deps.hooks = serve::training_hooks(deps.training);
      deps.validator = "/proc/self/exe";  // `quiver validate-model` (serve/model_sandbox.h)
      return serve::run_serve(options->config, options->port, std::move(deps));
    });
  });
}

}  // namespace quiver::cli
