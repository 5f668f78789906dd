// Sharding a serve config's categories across replicas behind nginx (`quiver shard`).
//
// A *unit* is what must live on one replica: a model that belongs to no group, or a group
// with every model it names (members, multi-label model, shadow; groups sharing a model
// merge into one unit), because a group request is answered by one process. Each unit is
// placed on `copies` distinct replicas, largest first, on the replicas holding the fewest
// bytes so far (ties: the lower index), so replicas end up balanced by model memory. A
// model's bytes are its files' sizes (model + architecture file + tokenizer): the weights
// dominate them; a model whose file does not exist yet (train_if_missing) counts as the
// mean of the known ones and is marked estimated.
//
// The outputs: one serve config per replica (the source config with only its models and
// groups, every path made absolute, server.host/port set to the replica's address) and an
// nginx configuration for Debian's nginx with its njs module (libnginx-mod-http-js):
// /v1/models/{name}..., /v2/models/{name}/... and /v2/repository/models/{name}/... go to
// the replicas holding {name}; POST /v1/classify goes by its body's "category" (or its
// "group", or the default group) through a small njs handler; everything else goes to any
// replica. A request that fails on one copy (connection refused or reset, timeout, 502,
// 503 while loading, 429) is retried on the other copies (proxy_next_upstream), POSTs
// included: classification has no side effects.
//
// Thread-safety: pure functions of their arguments.
#ifndef QUIVER_DEPLOY_SHARD_H_
#define QUIVER_DEPLOY_SHARD_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "quiver/status.h"
#include "serve/config.h"

namespace quiver::deploy {

struct Address {
  std::string host;
  int port = 0;
  std::string to_string() const;  // host:port ([v6]:port)
};

// "host:port" with host [A-Za-z0-9._-]+ or a bracketed IPv6 literal, port 1..65535;
// InvalidArgument naming `what` otherwise.
Result<Address> parse_address(const std::string& text, const std::string& what);

struct ShardOptions {
  int replicas = 0;
  int copies = 2;
  // One per replica; empty: the config's host with ports port+1 .. port+replicas.
  std::vector<Address> addresses;
  std::optional<Address> listen;  // nginx's listen address; default: the config's host:port
};

struct ShardUnit {
  std::vector<std::string> models;  // in config order
  std::vector<std::string> groups;
  int64_t bytes = 0;
  bool estimated = false;     // some model's size was estimated (its file does not exist)
  std::vector<int> replicas;  // ascending, `copies` of them
};

struct ShardPlan {
  std::vector<ShardUnit> units;        // in config order
  std::vector<Address> addresses;      // one per replica
  std::vector<int64_t> replica_bytes;  // sum of the units each replica holds
  Address listen;
  // The nginx upstream name of a unit's replica set: quiver_r0_r2 (replicas 0 and 2).
  std::string upstream_of(const ShardUnit& unit) const;
  std::vector<std::string> models_of(int replica) const;  // in config order
};

// Bytes of each model whose files exist (model + architecture file + tokenizer); models
// whose model file is missing are absent from the map.
std::map<std::string, int64_t> model_file_bytes(const serve::ServeConfig& config);

// Places every unit. InvalidArgument for replicas < 1, copies < 1, copies > replicas, an
// address count other than replicas, or two replicas on one address.
Result<ShardPlan> plan_shards(const serve::ServeConfig& config, const ShardOptions& options,
                              const std::map<std::string, int64_t>& bytes);

// Replica `replica`'s serve config, from the source config's text (already parsed into
// `config`): only its models and groups, absolute paths, its address.
Result<std::string> replica_config(const std::string& source_text, const serve::ServeConfig& config,
                                   const ShardPlan& plan, int replica);

// The nginx configuration: http-context directives (upstreams, maps, one server), to be
// included from nginx's http block (Debian: /etc/nginx/conf.d/). `js_path` is where the
// njs handler (classify_js) is installed.
std::string nginx_config(const serve::ServeConfig& config, const ShardPlan& plan,
                         const std::string& js_path);
// The njs module routing POST /v1/classify by category / group (quiver_classify.js).
std::string classify_js(const serve::ServeConfig& config, const ShardPlan& plan);

// `quiver shard`: reads the config, plans, writes OUT/replica-<i>.yaml,
// OUT/nginx/quiver.conf and OUT/nginx/quiver_classify.js; *summary gets one line per file.
Status write_shards(const std::string& config_path, const ShardOptions& options,
                    const std::string& out_dir, std::string* summary);

}  // namespace quiver::deploy

#endif  // QUIVER_DEPLOY_SHARD_H_
