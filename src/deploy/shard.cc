// Placement of units on replicas and the replica configs (shard.h). yaml-cpp stays here.
#include "deploy/shard.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <set>
#include <system_error>

#include "base/file.h"

namespace quiver::deploy {
namespace {

namespace fs = std::filesystem;

bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

// Groups that name a model merge with it into one unit (union-find over model indexes).
struct Units {
  std::vector<size_t> parent;
  size_t find(size_t i) { return parent[i] == i ? i : parent[i] = find(parent[i]); }
  void join(size_t a, size_t b) { parent[find(a)] = find(b); }
};

std::vector<std::string> group_models(const serve::GroupConfig& g) {
  std::vector<std::string> names = g.members;
  if (!g.model.empty()) names.push_back(g.model);
  if (!g.shadow.empty()) names.push_back(g.shadow);
  return names;
}

std::vector<ShardUnit> make_units(const serve::ServeConfig& config) {
  const size_t n = config.models.size();
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < n; ++i) index[config.models[i].name] = i;
  Units uf{std::vector<size_t>(n)};
  std::iota(uf.parent.begin(), uf.parent.end(), 0);
  for (const auto& g : config.groups) {
    auto names = group_models(g);
    for (size_t k = 1; k < names.size(); ++k) uf.join(index.at(names[k]), index.at(names[0]));
  }
  std::map<size_t, size_t> unit_of_root;  // root model -> unit index (config order)
  std::vector<ShardUnit> units;
  for (size_t i = 0; i < n; ++i) {
    auto [it, added] = unit_of_root.emplace(uf.find(i), units.size());
    if (added) units.emplace_back();
    units[it->second].models.push_back(config.models[i].name);
  }
  for (const auto& g : config.groups) {
    const std::string first = group_models(g).front();
    units[unit_of_root.at(uf.find(index.at(first)))].groups.push_back(g.name);
  }
  return units;
}

void set_bytes(std::vector<ShardUnit>& units, const std::map<std::string, int64_t>& bytes) {
  int64_t known = 0, count = 0;
  for (const auto& [name, b] : bytes) known += b, ++count;
  const int64_t estimate = count > 0 ? known / count : 1;
  for (auto& u : units) {
    for (const auto& m : u.models) {
      auto it = bytes.find(m);
      u.bytes += it != bytes.end() ? it->second : estimate;
      u.estimated = u.estimated || it == bytes.end();
    }
  }
}

// Largest unit first, each on the `copies` replicas holding the fewest bytes (then units).
void place(std::vector<ShardUnit>& units, int replicas, int copies,
           std::vector<int64_t>& replica_bytes) {
  std::vector<size_t> order(units.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return units[a].bytes > units[b].bytes; });
  replica_bytes.assign(replicas, 0);
  std::vector<int> replica_units(replicas, 0);
  for (size_t u : order) {
    std::vector<int> r(replicas);
    std::iota(r.begin(), r.end(), 0);
    std::stable_sort(r.begin(), r.end(), [&](int a, int b) {
      if (replica_bytes[a] != replica_bytes[b]) return replica_bytes[a] < replica_bytes[b];
      return replica_units[a] < replica_units[b];
    });
    r.resize(copies);
    std::sort(r.begin(), r.end());
    for (int i : r) replica_bytes[i] += units[u].bytes, ++replica_units[i];
    units[u].replicas = r;
  }
}

bool is_ip_literal(const std::string& host) {
  if (!host.empty() && host.front() == '[') return true;
  return !host.empty() && std::all_of(host.begin(), host.end(),
                                      [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

// Path keys of a model entry and of its training section, set to the parsed absolute paths.
void absolute_paths(YAML::Node model, const serve::ModelConfig& m) {
  const std::pair<const char*, const std::string*> keys[] = {
      {"model", &m.model_path},
      {"architecture_file", &m.architecture_path},
      {"architecture", &m.architecture_path},
      {"tokenizer", &m.tokenizer_path},
      {"train_data", &m.train_data_path},
      {"golden", &m.golden_path},
      {"user_dict", &m.user_dict_path}};
  for (const auto& [key, path] : keys) {
    if (model[key]) model[key] = *path;
  }
  if (model["training"] && model["training"].IsMap() && model["training"]["validation"]) {
    model["training"]["validation"] = m.training.validation_path;
  }
}

std::string human_bytes(int64_t bytes) {
  char buf[32];
  const double b = static_cast<double>(bytes);
  std::snprintf(buf, sizeof buf, b < 1e6 ? "%.1f kB" : "%.1f MB", b < 1e6 ? b / 1e3 : b / 1e6);
  return buf;
}

}  // namespace

std::string Address::to_string() const { return host + ":" + std::to_string(port); }

Result<Address> parse_address(const std::string& text, const std::string& what) {
  auto bad = [&](const std::string& why) {
    return invalid_argument(what + ": expected HOST:PORT, got '" + text + "' (" + why + ")");
  };
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) return bad("no port");
  if (colon == 0) return bad("no host");
  Address a{text.substr(0, colon), 0};
  const std::string port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return bad("no port");
  }
  a.port = std::stoi(port);
  if (a.port < 1 || a.port > 65535) return bad("port outside 1..65535");
  const bool v6 = a.host.size() > 2 && a.host.front() == '[' && a.host.back() == ']' &&
                  std::all_of(a.host.begin() + 1, a.host.end() - 1, [](char c) {
                    return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
                  });
  if (!v6 && !std::all_of(a.host.begin(), a.host.end(), host_char)) return bad("bad host");
  return a;
}

std::string ShardPlan::upstream_of(const ShardUnit& unit) const {
  std::string name = "quiver";
  for (int r : unit.replicas) name += "_r" + std::to_string(r);
  return name;
}

std::vector<std::string> ShardPlan::models_of(int replica) const {
  std::vector<std::string> out;
  for (const auto& u : units) {
    if (std::count(u.replicas.begin(), u.replicas.end(), replica)) {
      out.insert(out.end(), u.models.begin(), u.models.end());
    }
  }
  return out;
}

std::map<std::string, int64_t> model_file_bytes(const serve::ServeConfig& config) {
  std::map<std::string, int64_t> out;
  for (const auto& m : config.models) {
    std::error_code ec;
    const auto size = fs::file_size(m.model_path, ec);
    if (ec) continue;
    int64_t total = static_cast<int64_t>(size);
    for (const std::string* p : {&m.architecture_path, &m.tokenizer_path}) {
      if (p->empty()) continue;
      const auto s = fs::file_size(*p, ec);
      if (!ec) total += static_cast<int64_t>(s);
    }
    out[m.name] = total;
  }
  return out;
}

Result<ShardPlan> plan_shards(const serve::ServeConfig& config, const ShardOptions& options,
                              const std::map<std::string, int64_t>& bytes) {
  if (options.replicas < 1) {
    return invalid_argument("--replicas: expected at least 1, got " +
                            std::to_string(options.replicas));
  }
  if (options.copies < 1 || options.copies > options.replicas) {
    return invalid_argument("--copies: expected 1.." + std::to_string(options.replicas) +
                            " (at most --replicas), got " + std::to_string(options.copies));
  }
  ShardPlan plan;
  plan.addresses = options.addresses;
  if (plan.addresses.empty()) {
    for (int i = 0; i < options.replicas; ++i) {
      plan.addresses.push_back({config.server.host, config.server.port + 1 + i});
      if (plan.addresses.back().port > 65535) {
        return invalid_argument("--replicas: ports past 65535 from server.port " +
                                std::to_string(config.server.port) + "; give --addresses");
      }
    }
  }
  if (static_cast<int>(plan.addresses.size()) != options.replicas) {
    return invalid_argument("--addresses: expected " + std::to_string(options.replicas) +
                            " addresses (one per replica), got " +
                            std::to_string(plan.addresses.size()));
  }
  plan.listen = options.listen.value_or(Address{config.server.host, config.server.port});
  std::set<std::string> seen = {plan.listen.to_string()};
  for (const auto& a : plan.addresses) {
    if (!seen.insert(a.to_string()).second) {
      return invalid_argument("--addresses: " + a.to_string() +
                              " is used twice (replicas and nginx each need their own)");
    }
  }
  plan.units = make_units(config);
  set_bytes(plan.units, bytes);
  place(plan.units, options.replicas, options.copies, plan.replica_bytes);
  return plan;
}

Result<std::string> replica_config(const std::string& source_text, const serve::ServeConfig& config,
                                   const ShardPlan& plan, int replica) {
  YAML::Node root;
  try {
    root = YAML::Load(source_text);
  } catch (const YAML::Exception& e) {
    return invalid_argument(config.path + ": " + e.what());
  }
  const auto models = plan.models_of(replica);
  const std::set<std::string> here(models.begin(), models.end());
  const Address& a = plan.addresses[replica];
  root["server"]["port"] = a.port;
  if (is_ip_literal(a.host)) root["server"]["host"] = a.host;
  YAML::Node kept_models(YAML::NodeType::Sequence);
  for (const auto& node : root["models"]) {
    const auto name = node["name"].as<std::string>();
    if (!here.count(name)) continue;
    absolute_paths(node, *config.find(name));
    kept_models.push_back(node);
  }
  root["models"] = kept_models;
  if (root["groups"]) {
    YAML::Node kept_groups(YAML::NodeType::Sequence);
    for (const auto& node : root["groups"]) {
      if (here.count(group_models(*config.find_group(node["name"].as<std::string>())).front())) {
        kept_groups.push_back(node);
      }
    }
    root["groups"] = kept_groups;
  }
  YAML::Emitter out;
  out << root;
  return "# Written by `quiver shard` from " + config.path + ": replica " +
         std::to_string(replica) + " of " + std::to_string(plan.addresses.size()) + " (" +
         a.to_string() + ").\n" + out.c_str() + "\n";
}

Status write_shards(const std::string& config_path, const ShardOptions& options,
                    const std::string& out_dir, std::string* summary) {
  QUIVER_ASSIGN_OR_RETURN(serve::ServeConfig config, serve::load_config(config_path));
  QUIVER_ASSIGN_OR_RETURN(std::string text, base::read_file(config_path, size_t{64} << 20));
  QUIVER_ASSIGN_OR_RETURN(ShardPlan plan, plan_shards(config, options, model_file_bytes(config)));
  std::error_code ec;
  const fs::path out = fs::absolute(out_dir, ec);
  fs::create_directories(out / "nginx", ec);
  if (ec) return io_error(out_dir + "/nginx: cannot create: " + ec.message());
  for (int r = 0; r < options.replicas; ++r) {
    QUIVER_ASSIGN_OR_RETURN(std::string yaml, replica_config(text, config, plan, r));
    const std::string file = "replica-" + std::to_string(r) + ".yaml";
    QUIVER_RETURN_IF_ERROR(base::write_file_atomic((out / file).string(), yaml));
    const auto models = plan.models_of(r);
    std::string names;
    for (const auto& m : models) names += (names.empty() ? "" : ", ") + m;
    *summary += file + "  " + plan.addresses[r].to_string() + "  " + std::to_string(models.size()) +
                (models.size() == 1 ? " model, " : " models, ") +
                human_bytes(plan.replica_bytes[r]) + (names.empty() ? "" : ": " + names) + "\n";
  }
  const std::string js = (out / "nginx" / "quiver_classify.js").string();
  QUIVER_RETURN_IF_ERROR(base::write_file_atomic(js, classify_js(config, plan)));
  QUIVER_RETURN_IF_ERROR(base::write_file_atomic((out / "nginx" / "quiver.conf").string(),
                                                 nginx_config(config, plan, js)));
  *summary += "nginx/quiver.conf  listen " + plan.listen.to_string() +
              "  (include it in nginx's http block; needs libnginx-mod-http-js)\n";
  for (const auto& u : plan.units) {
    if (u.estimated) {
      *summary += "note: sizes of models without a file yet (train_if_missing) are estimated\n";
      break;
    }
  }
  return Status();
}

}  // namespace quiver::deploy
