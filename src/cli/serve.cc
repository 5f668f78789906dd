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
    std::optional<std::string> memory_policy;
    std::optional<double> memory_budget_mb;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve the models of a config file over HTTP");
  cmd->add_option("--config", options->config, "YAML config file (see README, Serving)")
      ->required();
  cmd->add_option("--port", options->port, "Port to listen on (0: any free port)")
      ->check(int_range(0, 65535));
  cmd->add_option("--memory-policy", options->memory_policy,
                  "memory policy of models that set none (over server.memory_policy): auto, "
                  "fp32, bf16, lazy or none")
      ->check(one_of({"auto", "fp32", "bf16", "lazy", "none"}));
  cmd->add_option("--memory-budget-mb", options->memory_budget_mb,
                  "memory budget in MiB of each model that sets no memory_budget_mb")
      ->check(CLI::Range(0.0, 1e9));
  cmd->callback([&ctx, options] {
    run_command(ctx, "serve", [&] {
      serve::ServerDeps deps;
      deps.training = std::make_shared<serve::TrainingMonitor>();
      deps.hooks = serve::training_hooks(deps.training);
      deps.validator = "/proc/self/exe";  // `quiver validate-model` (serve/model_sandbox.h)
      if (options->memory_policy) {
        QUIVER_ASSIGN_OR_RETURN(deps.memory.policy, parse_memory_policy(*options->memory_policy));
      }
      if (options->memory_budget_mb) {
        deps.memory.budget_bytes = memory_budget_of(MemoryArgs{"auto", *options->memory_budget_mb});
      }
      return serve::run_serve(options->config, options->port, std::move(deps));
    });
  });
}

}  // namespace quiver::cli
