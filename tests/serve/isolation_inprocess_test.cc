// The isolation suite in one process (CTest label `tsan`: CI also runs it under
// ThreadSanitizer). The suite's Keras models (tests/suite_models.h) served by an in-process
// Server over HTTP; every row's output must equal, bit for bit, the output of a separately
// loaded instance of that model run alone — in order, reversed, interleaved, from 32 threads
// in batches of 1 to 256, while other models are reloaded, unloaded and added through the
// registry. The recurrent models are also served in the bf16 and int8 weight modes beside
// their fp32 selves (issue 19 item 7: a mode is a model property).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "http_client.h"
#include "quiver/model.h"
#include "serve/server.h"
#include "suite_models.h"
#include "testutil.h"

namespace quiver::serve {
namespace {

using quiver::testing::HttpClient;

const std::vector<std::string> kModels = {testutil::kIdsModel, testutil::kZhCnnModel,
                                          testutil::kMultiLabelModel};

std::string model_path(const std::string& m) { return testutil::suite_model_file(m); }

// The models with recurrent kernels (the ones the weight modes change): indices in kModels.
const std::vector<size_t> kRecurrent = {0, 2};

struct ModelCase {
  std::string name;
  size_t model = 0;  // index in kModels
  WeightMode weights = WeightMode::kFp32;
  std::vector<std::vector<int32_t>> rows;
  std::vector<std::vector<float>> alone;  // reference outputs, one row at a time
};

class IsolationInProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string yaml = "server: {threads: 4, max_queue: 10000}\nmodels:\n";
    std::vector<ModelCase> plan;
    for (size_t i = 0; i < kModels.size(); ++i) plan.push_back({"m" + std::to_string(i), i});
    for (size_t i : kRecurrent) {
      for (WeightMode w : {WeightMode::kBf16, WeightMode::kInt8}) {
        plan.push_back({"m" + std::to_string(i) + "_" + weight_mode_name(w), i, w});
      }
    }
    for (ModelCase& c : plan) {
      const std::string& file = kModels[c.model];
      ASSERT_TRUE(std::filesystem::exists(model_path(file)))
          << "suite model missing: see make.log in " << testutil::suite_models_dir();
      std::ifstream in(testutil::suite_models_dir() + "/" + file + "/inputs.jsonl");
      for (std::string line; std::getline(in, line);) {
        if (!line.empty())
          c.rows.push_back(nlohmann::json::parse(line).get<std::vector<int32_t>>());
      }
      LoadOptions options;
      options.weights = c.weights;
      auto model = Model::load(model_path(file), options);
      ASSERT_OK(model);
      for (const auto& row : c.rows) {
        auto out = (*model)->predict(row, 1, static_cast<int64_t>(row.size()));
        ASSERT_OK(out);
        c.alone.push_back((*out)[0].data);
      }
      yaml += "  - {name: " + c.name + ", model: " + model_path(file) + ", weights: " +
              weight_mode_name(c.weights) + "}\n";
      cases_.push_back(std::move(c));
    }
    yaml_ = yaml;
    auto config = parse_config_text(yaml, "isolation.yaml", "/");
    ASSERT_OK(config);
    auto server = Server::start(std::move(config).value(), ServerDeps{}, 0);
    ASSERT_OK(server);
    server_ = std::move(server).value();
    server_->wait_loaded();  // the port opens before the models load
  }

  // Sends rows idx of case c in one request; counts rows that differ from `alone`.
  int mismatches(HttpClient& client, const ModelCase& c, const std::vector<size_t>& idx) {
    nlohmann::json rows = nlohmann::json::array();
    for (size_t i : idx) rows.push_back(c.rows[i]);
    auto r = client.post("/v1/models/" + c.name + ":predict",
                         nlohmann::json{{"instances", rows}}.dump());
    if (r.status != 200) {
      ADD_FAILURE() << c.name << ": " << r.status << " " << r.body;
      return static_cast<int>(idx.size());
    }
    auto preds = nlohmann::json::parse(r.body)["predictions"];
    int bad = 0;
    for (size_t k = 0; k < idx.size(); ++k) {
      // %.9g round-trips float32: the parsed value converted to float is the exact float.
      if (preds[k].get<std::vector<float>>() != c.alone[idx[k]]) ++bad;
    }
    return bad;
  }

  std::vector<ModelCase> cases_;
  std::string yaml_;
  std::unique_ptr<Server> server_;
};

TEST_F(IsolationInProcessTest, OrderReverseAndInterleaved) {
  HttpClient client(server_->port());
  int bad = 0;
  for (const auto& c : cases_) {
    for (size_t i = 0; i < c.rows.size(); ++i) bad += mismatches(client, c, {i});
  }
  for (auto c = cases_.rbegin(); c != cases_.rend(); ++c) {
    for (size_t i = c->rows.size(); i-- > 0;) bad += mismatches(client, *c, {i});
  }
  for (size_t i = 0; i < cases_[0].rows.size(); ++i) {
    for (const auto& c : cases_) bad += mismatches(client, c, {i % c.rows.size()});
  }
  EXPECT_EQ(bad, 0);
}

TEST_F(IsolationInProcessTest, ThirtyTwoThreadsWhileOtherModelsReloadUnloadAndAppear) {
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::thread control([&] {
    const std::string extra = "  - {name: extra, model: " + model_path(kModels[1]) + "}\n";
    for (int round = 0; !stop; ++round) {
      EXPECT_TRUE(server_->registry().reload("m0").ok());
      auto config = parse_config_text(yaml_ + (round % 2 ? extra : ""), "isolation.yaml", "/");
      EXPECT_TRUE(server_->registry().apply_config(std::move(config).value()).ok());
      (void)server_->registry().unload("extra");
    }
  });
  std::vector<std::thread> clients;
  for (int t = 0; t < 32; ++t) {
    clients.emplace_back([&, t] {
      std::mt19937 rng(t);
      HttpClient client(server_->port());
      for (int r = 0; r < 3; ++r) {
        const ModelCase& c = cases_[rng() % cases_.size()];
        // Batches of 1..256 rows (with repeats): thread 0 sends 1, thread 1 sends 256.
        size_t n = t == 0 ? 1 : t == 1 ? 256 : 1 + rng() % 256;
        std::vector<size_t> idx(n);
        for (auto& i : idx) i = rng() % c.rows.size();
        bad += mismatches(client, c, idx);
      }
    });
  }
  for (auto& t : clients) t.join();
  stop = true;
  control.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace quiver::serve
