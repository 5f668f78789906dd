// quiver shard --config serve.yaml --replicas N [--copies 2] [--out DIR]
//              [--addresses HOST:PORT,...] [--listen HOST:PORT]
// Splits a serve config's categories across N replicas (each on `copies` of them, balanced
// by model bytes) and writes their configs plus an nginx configuration that routes every
// request to the replicas holding its model (src/deploy/shard.h, docs/deploy.md).
#include "deploy/shard.h"

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/usage_errors.h"

namespace quiver::cli {
namespace {

struct ShardArgs {
  std::string config, out = "shard";
  int replicas = 0, copies = 2;
  std::vector<std::string> addresses;
  std::string listen;
};

Status run_shard(const ShardArgs& a) {
  deploy::ShardOptions options;
  options.replicas = a.replicas;
  options.copies = a.copies;
  for (const auto& text : a.addresses) {
    QUIVER_ASSIGN_OR_RETURN(deploy::Address addr, deploy::parse_address(text, "--addresses"));
    options.addresses.push_back(addr);
  }
  if (!a.listen.empty()) {
    QUIVER_ASSIGN_OR_RETURN(options.listen, deploy::parse_address(a.listen, "--listen"));
  }
  std::string summary;
  QUIVER_RETURN_IF_ERROR(deploy::write_shards(a.config, options, a.out, &summary));
  std::fputs(summary.c_str(), stdout);
  return Status();
}

}  // namespace

void add_shard_command(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<ShardArgs>();
  CLI::App* cmd = app.add_subcommand(
      "shard", "Split a serve config's models across replicas and write an nginx config");
  cmd->add_option("--config", args->config, "the serve config to split")->required();
  cmd->add_option("--replicas", args->replicas, "number of replicas")
      ->required()
      ->check(int_range(1, 1000));
  cmd->add_option("--copies", args->copies, "replicas holding each model (at most --replicas)")
      ->default_val(2)
      ->check(int_range(1, 1000));
  cmd->add_option("--out", args->out, "output folder: replica-<i>.yaml, nginx/")
      ->default_val("shard");
  cmd->add_option("--addresses", args->addresses,
                  "HOST:PORT of each replica, comma-separated (default: the config's host, "
                  "ports server.port+1..+N)")
      ->delimiter(',');
  cmd->add_option("--listen", args->listen,
                  "HOST:PORT nginx listens on (default: the config's host:port)");
  cmd->callback([&ctx, args] { run_command(ctx, "shard", [&] { return run_shard(*args); }); });
}

}  // namespace quiver::cli
