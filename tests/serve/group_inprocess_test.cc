// Group switching and shadow comparisons in one process (CTest label `tsan`: CI runs it
// under ThreadSanitizer). Fake models (fake_predictor.h) behind one shared tokenizer: the
// members a, b, c and a multi-label model ml whose labels are a, b, c. Client threads
// classify through the group while another thread switches it between its sides (admin
// switch and config reloads); every answer must be complete, 200, and equal to one side's.
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "fake_predictor.h"
#include "http_client.h"
#include "quiver/tokenizer.h"
#include "serve/server.h"
#include "testutil.h"

namespace quiver::serve {
namespace {

using quiver::testing::HttpClient;

const std::vector<std::string> kTexts = {"red green blue", "green green", "blue sky red",
                                         "sky", "red red red blue green sky"};

class GroupInProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Tokenizer tokenizer;
    ASSERT_OK(tokenizer.fit_on_texts(kTexts));
    write("tok.json", tokenizer.to_json());
    write("a.model", "0.1 2");
    write("b.model", "0.2 2");
    write("c.model", "0.3 2");
    write("ml.model", "0.4 3");
    ServerDeps deps;
    deps.loader = testing::fake_loader();
    auto server = Server::start(config("members: [a, b, c]"), std::move(deps), 0);
    ASSERT_OK(server);
    server_ = std::move(server).value();
    server_->wait_loaded();  // the port opens before the models load
  }
  void write(const std::string& name, const std::string& text) {
    quiver::testing::write_text(dir_.file(name), text);
  }
  ServeConfig config(const std::string& side) {
    std::string yaml = "server: {threads: 4, max_queue: 10000}\nmodels:\n";
    for (const char* m : {"a", "b", "c"}) {
      yaml += "  - {name: " + std::string(m) + ", model: " + m + ".model, tokenizer: tok.json}\n";
    }
    yaml += "  - {name: ml, model: ml.model, tokenizer: tok.json, labels: [a, b, c], "
            "thresholds: [0.5, 0.6, 0.7]}\n";
    const bool members = side.rfind("members", 0) == 0;
    yaml += "groups:\n  - {name: g, " + side + (members ? ", shadow: ml}\n" : "}\n");
    auto c = parse_config_text(yaml, "g.yaml", dir_.path());
    EXPECT_TRUE(c.ok()) << c.status().to_string();
    return std::move(c).value();
  }
  nlohmann::json results(HttpClient& client) {
    auto r = client.post("/v1/classify", nlohmann::json{{"sentences", kTexts}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return nlohmann::json::parse(r.body)["results"];
  }

  testutil::TempDir dir_;
  std::unique_ptr<Server> server_;
};

TEST_F(GroupInProcessTest, SwitchesUnderConcurrentRequestsNeverMixSides) {
  HttpClient client(server_->port());
  const nlohmann::json members = results(client);
  ASSERT_OK(server_->registry().switch_group("g", GroupSide{{}, "ml"}));
  const nlohmann::json model = results(client);
  ASSERT_NE(members, model);
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0}, mixed{0}, answers{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&] {
      HttpClient c(server_->port());
      const std::string body = nlohmann::json{{"sentences", kTexts}}.dump();
      for (int i = 0; i < 40; ++i) {
        auto r = c.post("/v1/classify", body);
        if (r.status != 200) {
          errors++;
          continue;
        }
        auto got = nlohmann::json::parse(r.body)["results"];
        if (got != members && got != model) mixed++;
        answers++;
      }
    });
  }
  std::thread control([&] {
    for (int round = 0; !stop; ++round) {
      EXPECT_TRUE(server_->registry()
                      .switch_group("g", round % 2 ? GroupSide{{"a", "b", "c"}, ""}
                                                   : GroupSide{{}, "ml"})
                      .ok());
      EXPECT_TRUE(server_->registry()
                      .apply_config(config(round % 2 ? "model: ml" : "members: [a, b, c]"))
                      .ok());
    }
  });
  for (auto& t : clients) t.join();
  stop = true;
  control.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(mixed.load(), 0);
  EXPECT_EQ(answers.load(), 8 * 40);
}

TEST_F(GroupInProcessTest, ShadowComparesEveryRowOfEveryCategory) {
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      HttpClient c(server_->port());
      for (int i = 0; i < 10; ++i) results(c);
    });
  }
  for (auto& t : clients) t.join();
  HttpClient client(server_->port());
  std::string metrics;
  const std::string want = "quiver_shadow_compared_total{group=\"g\",category=\"c\"} 200\n";
  for (int i = 0; i < 200 && metrics.find(want) == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    metrics = client.get("/metrics").body;
  }
  // 40 requests of 5 sentences, unless the shadow's queue (64) was ever full.
  const bool dropped = metrics.find("quiver_shadow_dropped_total{group=\"g\"} 0\n") ==
                       std::string::npos;
  if (!dropped) {
    EXPECT_NE(metrics.find(want), std::string::npos) << metrics;
  }
  EXPECT_NE(metrics.find("quiver_group_requests_total{group=\"g\"} 40\n"), std::string::npos);
}

TEST_F(GroupInProcessTest, AConfigReloadToASideThatFailsToLoadKeepsTheOldSide) {
  HttpClient client(server_->port());
  const nlohmann::json members = results(client);
  // A new model that fails its first load: the reload is refused as a whole (all or
  // nothing), so the group does not switch.
  write("fresh.model", "bad");
  auto with_fresh = [&] {
    auto c = parse_config_text(
        "models:\n  - {name: a, model: a.model, tokenizer: tok.json}\n"
        "  - {name: b, model: b.model, tokenizer: tok.json}\n"
        "  - {name: c, model: c.model, tokenizer: tok.json}\n"
        "  - {name: fresh, model: fresh.model, tokenizer: tok.json, labels: [a, b, c]}\n"
        "groups: [{name: g, model: fresh}]\n",
        "g.yaml", dir_.path());
    EXPECT_TRUE(c.ok()) << c.status().to_string();
    return std::move(c).value();
  };
  EXPECT_STATUS(server_->registry().apply_config(with_fresh()), kInvalidArgument,
                "config reload refused, nothing changed: model 'fresh': ");
  auto groups = server_->registry().group_statuses();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].side.members, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(groups[0].switches, 0u);
  EXPECT_EQ(groups[0].generation, 1);
  EXPECT_EQ(server_->registry().config().find("fresh"), nullptr);  // the old config stays
  EXPECT_EQ(results(client), members);
  write("fresh.model", "0.4 3");
  ASSERT_OK(server_->registry().apply_config(with_fresh()));  // now it serves: the group moves
  EXPECT_EQ(server_->registry().group_statuses()[0].side.model, "fresh");
  EXPECT_NE(results(client), members);
}

}  // namespace
}  // namespace quiver::serve
