// quiver shard's placement, replica configs and nginx configuration (src/deploy/shard.h).
#include "deploy/shard.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "testutil.h"

namespace quiver::deploy {
namespace {

serve::ServeConfig parse(const std::string& text) {
  auto c = serve::parse_config_text(text, "/srv/q/serve.yaml", "/srv/q");
  EXPECT_TRUE(c.ok()) << c.status().to_string();
  if (!c.ok()) return serve::ServeConfig{};
  c->path = "/srv/q/serve.yaml";
  return *c;
}

// Six independent models of the given sizes (bytes).
std::string six_models() {
  std::string yaml = "server: {port: 9000}\nmodels:\n";
  for (const char* n : {"a", "b", "c", "d", "e", "f"}) {
    yaml += std::string("  - {name: ") + n + ", model: m/" + n + ".h5}\n";
  }
  return yaml;
}

const std::map<std::string, int64_t> kSizes = {{"a", 9000}, {"b", 8000}, {"c", 1000},
                                               {"d", 1000}, {"e", 1000}, {"f", 1000}};

std::vector<int> replicas_of(const ShardPlan& plan, const std::string& model) {
  for (const auto& u : plan.units) {
    if (std::count(u.models.begin(), u.models.end(), model)) return u.replicas;
  }
  return {};
}

// plan_shards over six_models() with these sizes.
ShardPlan plan_of(int replicas, int copies, const std::map<std::string, int64_t>& sizes) {
  ShardOptions o;
  o.replicas = replicas;
  o.copies = copies;
  auto plan = plan_shards(parse(six_models()), o, sizes);
  EXPECT_TRUE(plan.ok()) << plan.status().to_string();
  return plan.ok() ? *plan : ShardPlan{};
}

TEST(ShardPlanTest, EveryModelLivesOnCopiesDistinctReplicas) {
  ShardPlan plan = plan_of(3, 2, kSizes);
  for (const auto& m : parse(six_models()).models) {
    auto r = replicas_of(plan, m.name);
    ASSERT_EQ(r.size(), 2u) << m.name;
    EXPECT_NE(r[0], r[1]) << m.name;
  }
}

TEST(ShardPlanTest, ReplicasAreBalancedByModelBytes) {
  // One big model and five small ones on 3 replicas, one copy each: the big one's replica
  // holds nothing else. Two models per replica (balancing by count) would give it 10,000.
  const std::map<std::string, int64_t> sizes = {{"a", 9000}, {"b", 1000}, {"c", 1000},
                                                {"d", 1000}, {"e", 1000}, {"f", 1000}};
  ShardPlan plan = plan_of(3, 1, sizes);
  const int big = replicas_of(plan, "a").at(0);
  EXPECT_EQ(plan.models_of(big), (std::vector<std::string>{"a"}));
  EXPECT_EQ(plan.replica_bytes[big], 9000);
  // Two copies of 21,000 bytes on 4 replicas: 10,500 each is the ideal.
  plan = plan_of(4, 2, kSizes);
  int64_t total = 0;
  for (int64_t b : plan.replica_bytes) {
    total += b;
    EXPECT_GE(b, 10000);
    EXPECT_LE(b, 11000);
  }
  EXPECT_EQ(total, 2 * 21000);
  // Every replica's bytes are the sum of the models it holds.
  for (int r = 0; r < 4; ++r) {
    int64_t sum = 0;
    for (const auto& m : plan.models_of(r)) sum += kSizes.at(m);
    EXPECT_EQ(sum, plan.replica_bytes[r]);
  }
}

TEST(ShardPlanTest, AGroupAndEveryModelItNamesShareReplicas) {
  auto config = parse(
      "models:\n"
      "  - {name: a, model: a.h5}\n  - {name: b, model: b.h5}\n  - {name: c, model: c.h5}\n"
      "  - {name: d, model: d.h5}\n  - {name: e, model: e.h5}\n  - {name: f, model: f.h5}\n"
      "groups:\n"
      "  - {name: g1, members: [a, b], shadow: c}\n"
      "  - {name: g2, members: [c, d]}\n");
  ShardOptions o;
  o.replicas = 4;
  auto plan = plan_shards(config, o, {{"a", 10}, {"b", 10}, {"c", 10}, {"d", 10}, {"e", 10}});
  ASSERT_OK(plan.status());
  const auto r = replicas_of(*plan, "a");
  for (const char* m : {"b", "c", "d"}) EXPECT_EQ(replicas_of(*plan, m), r) << m;
  ASSERT_EQ(plan->units.size(), 3u);  // {a,b,c,d}, {e}, {f}
  EXPECT_EQ(plan->units[0].groups, (std::vector<std::string>{"g1", "g2"}));
  // f has no file yet: its size is estimated from the others (10 bytes each).
  EXPECT_TRUE(plan->units[2].estimated);
  EXPECT_EQ(plan->units[2].bytes, 10);
  EXPECT_FALSE(plan->units[1].estimated);
}

TEST(ShardPlanTest, RefusesMoreCopiesThanReplicas) {
  auto config = parse(six_models());
  ShardOptions o;
  o.replicas = 2;
  o.copies = 3;
  EXPECT_STATUS(plan_shards(config, o, kSizes).status(), kInvalidArgument,
                "--copies: expected 1..2 (at most --replicas), got 3");
}

TEST(ShardPlanTest, DefaultAddressesFollowTheConfigsPort) {
  ShardPlan plan = plan_of(3, 2, kSizes);
  EXPECT_EQ(plan.listen.to_string(), "127.0.0.1:9000");
  ASSERT_EQ(plan.addresses.size(), 3u);
  EXPECT_EQ(plan.addresses[0].to_string(), "127.0.0.1:9001");
  EXPECT_EQ(plan.addresses[2].to_string(), "127.0.0.1:9003");
}

TEST(ShardPlanTest, RefusesAnAddressCountOtherThanReplicasAndReusedAddresses) {
  auto config = parse(six_models());
  ShardOptions o;
  o.replicas = 2;
  o.addresses = {{"10.0.0.1", 8500}};
  EXPECT_STATUS(plan_shards(config, o, kSizes).status(), kInvalidArgument,
                "--addresses: expected 2 addresses (one per replica), got 1");
  o.addresses = {{"10.0.0.1", 8500}, {"10.0.0.1", 8500}};
  EXPECT_STATUS(plan_shards(config, o, kSizes).status(), kInvalidArgument,
                "10.0.0.1:8500 is used twice");
}

TEST(ShardAddressTest, ParsesHostPortAndRefusesNginxSyntax) {
  auto a = parse_address("quiver-0.quiver:8500", "--addresses");
  ASSERT_OK(a.status());
  EXPECT_EQ(a->host, "quiver-0.quiver");
  EXPECT_EQ(a->port, 8500);
  ASSERT_OK(parse_address("[::1]:8500", "--listen").status());
  EXPECT_STATUS(parse_address("10.0.0.1", "--addresses").status(), kInvalidArgument,
                "--addresses: expected HOST:PORT, got '10.0.0.1'");
  EXPECT_STATUS(parse_address("a;b:80", "--listen").status(), kInvalidArgument, "bad host");
  EXPECT_STATUS(parse_address("a:99999", "--listen").status(), kInvalidArgument, "port");
}

TEST(ShardReplicaConfigTest, HoldsItsModelsAndGroupsWithAbsolutePaths) {
  const std::string text =
      "server:\n  host: 127.0.0.1\n  port: 9000\n  admin_token: t0k\n"
      "models:\n"
      "  - name: a\n    model: m/a.h5\n    tokenizer: m/a.tokenizer.json\n"
      "    train_data: d/a.csv\n    train_if_missing: true\n    labels: [no, yes]\n"
      "  - {name: b, model: /abs/b.h5}\n"
      "  - {name: c, model: m/c.h5, user_dict: zh.dict, segmenter: jieba}\n"
      "groups:\n  - {name: g, members: [a], default: true}\n";
  auto config = parse(text);
  ShardOptions o;
  o.replicas = 3;
  o.copies = 1;
  o.addresses = {{"10.0.0.5", 8501}, {"10.0.0.6", 8502}, {"10.0.0.7", 8503}};
  auto plan = plan_shards(config, o, {{"a", 300}, {"b", 200}, {"c", 100}});
  ASSERT_OK(plan.status());
  ASSERT_EQ(replicas_of(*plan, "a"), (std::vector<int>{0}));  // largest first, on replica 0
  auto yaml = replica_config(text, config, *plan, 0);
  ASSERT_OK(yaml.status());
  // The replica config is itself a valid serve config, parsed from another folder.
  auto replica = serve::parse_config_text(*yaml, "replica-0.yaml", "/elsewhere");
  ASSERT_OK(replica.status());
  EXPECT_EQ(replica->server.host, "10.0.0.5");
  EXPECT_EQ(replica->server.port, 8501);
  EXPECT_EQ(replica->server.admin_token, "t0k");
  ASSERT_EQ(replica->models.size(), 1u);
  const auto& a = replica->models[0];
  EXPECT_EQ(a.model_path, "/srv/q/m/a.h5");
  EXPECT_EQ(a.tokenizer_path, "/srv/q/m/a.tokenizer.json");
  EXPECT_EQ(a.train_data_path, "/srv/q/d/a.csv");
  EXPECT_TRUE(a.train_if_missing);
  EXPECT_EQ(a.labels, (std::vector<std::string>{"no", "yes"}));
  ASSERT_EQ(replica->groups.size(), 1u);
  EXPECT_TRUE(replica->groups[0].is_default);
  auto c_yaml = replica_config(text, config, *plan, 2);
  ASSERT_OK(c_yaml.status());
  auto c = serve::parse_config_text(*c_yaml, "replica-2.yaml", "/elsewhere");
  ASSERT_OK(c.status());
  ASSERT_EQ(c->models.size(), 1u);
  EXPECT_EQ(c->models[0].name, "c");
  EXPECT_EQ(c->models[0].user_dict_path, "/srv/q/zh.dict");
  EXPECT_TRUE(c->groups.empty());
}

TEST(ShardNginxTest, RoutesEveryModelToItsReplicasAndNginxAcceptsIt) {
  auto config = parse(six_models() + "groups:\n  - {name: g, members: [e, f], default: true}\n");
  ShardOptions o;
  o.replicas = 3;
  auto plan = plan_shards(config, o, kSizes);
  ASSERT_OK(plan.status());
  const std::string conf = nginx_config(config, *plan, "/x/quiver_classify.js");
  const std::string js = classify_js(config, *plan);
  for (const auto& u : plan->units) {
    const std::string up = plan->upstream_of(u);
    std::string block = "upstream " + up + " {\n";
    for (int r : u.replicas) {
      block += "  server " + plan->addresses[r].to_string() + " max_fails=1 fail_timeout=2s;\n";
    }
    EXPECT_NE(conf.find(block), std::string::npos) << block << "\n" << conf;
    for (const auto& m : u.models) {
      EXPECT_NE(conf.find("  \"" + m + "\" " + up + ";\n"), std::string::npos) << m;
      EXPECT_NE(js.find("\"" + m + "\": \"" + up + "\""), std::string::npos) << m;
    }
  }
  EXPECT_NE(js.find("\"g\": \"" + plan->upstream_of(plan->units.back()) + "\""), std::string::npos)
      << js;
  EXPECT_NE(js.find("const DEFAULT_GROUP = \"g\";"), std::string::npos);
  EXPECT_NE(conf.find("non_idempotent"), std::string::npos);

  // Debian's nginx with the njs module parses it (nginx -t), inside a minimal main config.
  const char* nginx = "/usr/sbin/nginx";
  const char* module = "/usr/lib/nginx/modules/ngx_http_js_module.so";
  if (!std::filesystem::exists(nginx) || !std::filesystem::exists(module)) {
    GTEST_SKIP() << "nginx -t skipped: needs Debian's nginx and libnginx-mod-http-js "
                    "(scripts/install-deps.sh test)";
  }
  testutil::TempDir dir;
  const std::string js_path = dir.path() + "/quiver_classify.js";
  std::ofstream(js_path) << js;
  std::ofstream(dir.path() + "/quiver.conf") << nginx_config(config, *plan, js_path);
  std::ofstream(dir.path() + "/main.conf")
      << "load_module " << module << ";\npid " << dir.path() << "/nginx.pid;\n"
      << "error_log stderr;\nevents {}\nhttp {\n  include " << dir.path() << "/quiver.conf;\n}\n";
  const std::string cmd = std::string(nginx) + " -t -q -p " + dir.path() + " -e stderr -c " +
                          dir.path() + "/main.conf > " + dir.path() + "/t.log 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << testutil::read_text_file(dir.path() + "/t.log");
}

}  // namespace
}  // namespace quiver::deploy
