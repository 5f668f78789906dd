// quiver serve --config FILE [--port N] [--memory-policy P] [--memory-budget-mb N]: serves the configured models over HTTP until
// SIGTERM. With --port 0 the first line of stdout names the port that was picked. The port
// opens before the models load (readiness tells when they serve); a taken port exits 6.
#include <optional>
#include <string>

#include "cli/commands.h"
#include "cli/model_args.h"
#include "cli/usage_errors.h"
#include "serve/server.h"
#include "serve/training_hooks.h"

namespace quiver::cli {

void add_serve_command(CLI::App& app, CommandContext& ctx) {
  struct Options {
    std::string config;
    std::optional<int> port;
    MemoryArgs memory;  // applied only when given on the command line
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve the models of a config file over HTTP");
  cmd->add_option("--config", options->config, "YAML config file (see README, Serving)")
      ->required();
  cmd->add_option("--port", options->port, "Port to listen on (0: any free port)")
      ->check(int_range(0, 65535));
  add_memory_options(cmd, &options->memory,
                     "memory policy of models that set none (over server.memory_policy): auto, "
                     "fp32, bf16, lazy or none",
                     "memory budget in MiB of each model that sets no memory_budget_mb");
  cmd->callback([&ctx, cmd, options] {
    run_command(ctx, "serve", [&] {
      serve::ServerDeps deps;
      deps.training = std::make_shared<serve::TrainingMonitor>();
      deps.hooks = serve::training_hooks(deps.training);
      deps.validator = "/proc/self/exe";  // `quiver validate-model` (serve/model_sandbox.h)
      if (cmd->count("--memory-policy") > 0) {
        QUIVER_ASSIGN_OR_RETURN(deps.memory.policy, memory_policy_of(options->memory));
      }
      if (cmd->count("--memory-budget-mb") > 0) {
        deps.memory.budget_bytes = memory_budget_of(options->memory);
      }
      return serve::run_serve(options->config, options->port, std::move(deps));
    });
  });
}

}  // namespace quiver::cli
