// The nginx configuration and njs handler of `quiver shard` (shard.h).
//
// nginx picks an upstream from the URL for the TF Serving / KServe routes (the model name is
// a path segment), but /v1/classify names its category in the JSON body, which nginx's
// own variables cannot see before proxy_pass picks the upstream. The njs module
// (libnginx-mod-http-js, Debian 12's njs 0.7.9) reads the body in js_content, sets
// $quiver_classify_upstream and redirects internally to a location that proxies with the
// body already read, so retries resend it.
#include <map>
#include <set>
#include <string>

#include "deploy/shard.h"

namespace quiver::deploy {
namespace {

// A JSON string literal (names are [A-Za-z0-9_.-]+, so nothing needs escaping beyond this).
std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::string upstream_block(const std::string& name, const std::vector<int>& replicas,
                           const ShardPlan& plan) {
  std::string out = "upstream " + name + " {\n";
  for (int r : replicas) {
    // One failure takes a replica out for 2 s: a killed process costs each request at
    // most one refused connect before nginx stops trying it.
    out += "  server " + plan.addresses[r].to_string() + " max_fails=1 fail_timeout=2s;\n";
  }
  return out + "  keepalive 32;\n}\n";
}

std::string proxy_settings() {
  return "  proxy_http_version 1.1;\n"
         "  proxy_set_header Connection \"\";\n"
         "  proxy_set_header Host $host;\n"
         "  # A failed copy (refused or reset connection, timeout, loading 503, full queue\n"
         "  # 429) is retried on the other copies; POST too: classification changes nothing.\n"
         "  proxy_next_upstream error timeout http_502 http_503 http_504 http_429 "
         "non_idempotent;\n"
         "  proxy_next_upstream_timeout 30s;\n"
         "  proxy_connect_timeout 2s;\n"
         "  proxy_read_timeout 60s;\n"
         "  proxy_send_timeout 60s;\n";
}

}  // namespace

std::string nginx_config(const serve::ServeConfig& config, const ShardPlan& plan,
                         const std::string& js_path) {
  std::string out =
      "# Written by `quiver shard` from " + config.path + ": " +
      std::to_string(plan.addresses.size()) +
      " replicas. Include it in nginx's http block\n"
      "# (Debian: /etc/nginx/conf.d/); the njs module must be loaded (Debian: apt-get install\n"
      "# libnginx-mod-http-js). docs/deploy.md.\n\n";
  std::set<std::string> done;
  for (const auto& u : plan.units) {
    if (done.insert(plan.upstream_of(u)).second) {
      out += upstream_block(plan.upstream_of(u), u.replicas, plan) + "\n";
    }
  }
  std::vector<int> all;
  for (int r = 0; r < static_cast<int>(plan.addresses.size()); ++r) all.push_back(r);
  out += "# Requests that name no model (health, server metadata, bad bodies): any replica.\n";
  out += upstream_block("quiver_any", all, plan) + "\n";
  out += "map $quiver_model $quiver_model_upstream {\n  default quiver_any;\n";
  for (const auto& u : plan.units) {
    for (const auto& m : u.models) out += "  " + quoted(m) + " " + plan.upstream_of(u) + ";\n";
  }
  out += "}\n\n";
  out += "js_import quiver_classify from " + js_path + ";\n";
  out += "js_var $quiver_classify_upstream quiver_any;\n\n";
  const int64_t body = config.server.limits.max_body_bytes;
  out += "server {\n  listen " + plan.listen.to_string() + ";\n";
  out += "  # Bodies up to the replicas' limit stay in memory (njs reads them); larger: 413.\n";
  out += "  client_max_body_size " + std::to_string(body) + ";\n";
  out += "  client_body_buffer_size " + std::to_string(body) + ";\n";
  out += proxy_settings();
  out += "  error_page 413 = @quiver_too_large;\n";
  out += "  error_page 502 504 = @quiver_unavailable;\n\n";
  out +=
      "  location ~ ^/v1/models/(?<quiver_model>[A-Za-z0-9_.-]+)(?:[/:]|$) {\n"
      "    proxy_pass http://$quiver_model_upstream;\n  }\n";
  out +=
      "  location ~ ^/v2/models/(?<quiver_model>[A-Za-z0-9_.-]+)(?:/|$) {\n"
      "    proxy_pass http://$quiver_model_upstream;\n  }\n";
  out +=
      "  location ~ ^/v2/repository/models/(?<quiver_model>[A-Za-z0-9_.-]+)/ {\n"
      "    proxy_pass http://$quiver_model_upstream;\n  }\n";
  out += "  location = /v1/classify {\n    js_content quiver_classify.route;\n  }\n";
  out += "  location @quiver_classify {\n    proxy_pass http://$quiver_classify_upstream;\n  }\n";
  out += "  # Admin endpoints act on one process: call each replica directly.\n";
  out +=
      "  location /admin/ {\n    default_type application/json;\n"
      "    return 404 '{\"error\": \"admin endpoints are per replica: call the replicas "
      "directly (quiver shard)\"}';\n  }\n";
  out += "  location / {\n    proxy_pass http://quiver_any;\n  }\n";
  out +=
      "  location @quiver_too_large {\n    default_type application/json;\n"
      "    return 413 '{\"error\": \"request body larger than " +
      std::to_string(body) + " bytes\"}';\n  }\n";
  out +=
      "  location @quiver_unavailable {\n    default_type application/json;\n"
      "    return 503 '{\"error\": \"no replica holding this model answered\"}';\n  }\n";
  return out + "}\n";
}

std::string classify_js(const serve::ServeConfig& config, const ShardPlan& plan) {
  std::string categories, groups;
  for (const auto& u : plan.units) {
    for (const auto& m : u.models) {
      categories +=
          (categories.empty() ? "" : ",\n  ") + quoted(m) + ": " + quoted(plan.upstream_of(u));
    }
    for (const auto& g : u.groups) {
      groups += (groups.empty() ? "" : ",\n  ") + quoted(g) + ": " + quoted(plan.upstream_of(u));
    }
  }
  const serve::GroupConfig* def = config.default_group();
  return "// Written by `quiver shard` from " + config.path +
         ": routes POST /v1/classify to the\n"
         "// replicas holding its \"category\" (a model), else its \"group\", else the default\n"
         "// group. Anything else (bad JSON, unknown names) goes to any replica, which answers\n"
         "// with quiver's own error.\n"
         "const CATEGORIES = {\n  " +
         categories +
         "\n};\n"
         "const GROUPS = {\n  " +
         groups +
         "\n};\n"
         "const DEFAULT_GROUP = " +
         (def ? quoted(def->name) : "null") +
         ";\n\n"
         "function lookup(table, name) {\n"
         "  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(table, name)\n"
         "      ? table[name] : null;\n"
         "}\n\n"
         "function upstream(text) {\n"
         "  let body;\n"
         "  try {\n"
         "    body = JSON.parse(text);\n"
         "  } catch (e) {\n"
         "    return null;\n"
         "  }\n"
         "  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;\n"
         "  if ('category' in body) return lookup(CATEGORIES, body.category);\n"
         "  return lookup(GROUPS, 'group' in body ? body.group : DEFAULT_GROUP);\n"
         "}\n\n"
         "function route(r) {\n"
         "  let text = '';\n"
         "  try {\n"
         "    text = r.requestText;\n"
         "  } catch (e) {\n"
         "  }\n"
         "  r.variables.quiver_classify_upstream = upstream(text) || 'quiver_any';\n"
         "  r.internalRedirect('@quiver_classify');\n"
         "}\n\n"
         "export default {route};\n";
}

}  // namespace quiver::deploy
