// The isolation suite, black-box: with several Keras models loaded in one `quiver serve`,
// every sentence's output equals, exactly, what a process that loaded only that model
// answers — in order, in reverse, interleaved across models, from 32 concurrent threads
// in batches of 1 to 256, while other models are reloaded, unloaded and added.
// Outputs are compared as the floats they encode (%.9g round-trips float32), i.e. bytes.
#include <random>
#include <thread>

#include "server_fixture.h"

namespace quiver::testing {
namespace {

struct Spec {
  std::string name;    // serving name
  std::string shared;  // the suite model (tests/suite_models.h)
  bool text = false;   // /v1/classify with sentences, else :predict with id rows
};

const std::vector<Spec> kSpecs = {
    {"B", kTextModel, true}, {"a", kIdsModel}, {"c", kZhCnnModel}, {"n", kMultiLabelModel}};

// Deterministic inputs per model: texts from a word list, or the Keras reference rows plus
// random rows within the vocabulary.
std::vector<nlohmann::json> inputs_for(const Spec& s, int count) {
  std::mt19937 rng(std::hash<std::string>{}(s.name) & 0xffff);
  std::vector<nlohmann::json> out;
  if (s.text) {
    const std::vector<std::string> words = {
        "vaksin",  "covid",     "aman",    "hoax", "pemerintah", "sinovac", "halal", "takut",
        "efektif", "indonesia", "pandemi", "obat", "virus",      "data",    "bukti", "zzzunknown"};
    for (int i = 0; i < count; ++i) {
      std::string t;
      for (int w = 0, n = 1 + static_cast<int>(rng() % 12); w < n; ++w)
        t += (w ? " " : "") + words[rng() % words.size()];
      out.push_back(t);
    }
    return out;
  }
  auto rows = read_jsonl(model_dir(s.shared) + "/inputs.jsonl");
  const size_t len = rows[0].size();
  int max_id = 0;
  for (auto& r : rows)
    for (auto& v : r) max_id = std::max(max_id, v.get<int>());
  while (static_cast<int>(rows.size()) < count) {
    std::vector<int> r(len);
    for (auto& v : r) v = static_cast<int>(rng() % (max_id + 1));
    rows.push_back(r);
  }
  return rows;
}

// Sends inputs[idx...] to one model; returns one output row (as floats) per input.
std::vector<std::vector<float>> run(HttpClient& c, const Spec& s,
                                    const std::vector<nlohmann::json>& inputs,
                                    const std::vector<size_t>& idx, int* status) {
  nlohmann::json list = nlohmann::json::array();
  for (size_t i : idx) list.push_back(inputs[i]);
  HttpResult r =
      s.text
          ? c.post("/v1/classify", nlohmann::json{{"category", s.name}, {"sentences", list}}.dump())
          : c.post("/v1/models/" + s.name + ":predict", nlohmann::json{{"instances", list}}.dump());
  *status = r.status;
  std::vector<std::vector<float>> out;
  if (r.status != 200) return out;
  auto j = nlohmann::json::parse(r.body);
  if (s.text) {
    for (auto& res : j["results"]) out.push_back({res["scores"]["1"].get<float>()});
  } else {
    for (auto& row : j["predictions"]) out.push_back(row.get<std::vector<float>>());
  }
  return out;
}

class IsolationTest : public ServerTest {
 protected:
  void SetUp() override {
    for (const auto& s : kSpecs) {
      ASSERT_TRUE(have_model(s.shared)) << "suite model missing: " << s.shared;
    }
    // Reference: one process per model, each input alone.
    for (const auto& s : kSpecs) {
      inputs_[s.name] = inputs_for(s, 40);
      testutil::TempDir dir;
      write_text(dir.file("one.yaml"), "models:\n" + model_entry(s.name, s.shared));
      ServerProcess alone;
      ASSERT_TRUE(alone.start(dir.file("one.yaml"))) << alone.error();
      HttpClient c(alone.port());
      for (size_t i = 0; i < inputs_[s.name].size(); ++i) {
        int status = 0;
        auto rows = run(c, s, inputs_[s.name], {i}, &status);
        ASSERT_EQ(status, 200);
        reference_[s.name].push_back(rows.at(0));
      }
      ASSERT_EQ(alone.terminate(), 0);
    }
    std::string models;
    for (const auto& s : kSpecs) models += model_entry(s.name, s.shared);
    ASSERT_TRUE(start(models, "  admin_token: tok\n  threads: 4\n  max_queue: 1000\n"));
  }

  // Sends `idx` of model `s` and checks every row against the reference.
  void check(HttpClient& c, const Spec& s, const std::vector<size_t>& idx,
             std::atomic<int>* mismatches) {
    int status = 0;
    auto rows = run(c, s, inputs_[s.name], idx, &status);
    if (status != 200 || rows.size() != idx.size()) {
      ++*mismatches;
      ADD_FAILURE() << s.name << ": status " << status;
      return;
    }
    for (size_t k = 0; k < idx.size(); ++k) {
      if (rows[k] != reference_[s.name][idx[k]]) {
        ++*mismatches;
        ADD_FAILURE() << s.name << " input " << idx[k] << " differs from the single-model process";
      }
    }
  }

  std::map<std::string, std::vector<nlohmann::json>> inputs_;
  std::map<std::string, std::vector<std::vector<float>>> reference_;
};

TEST_F(IsolationTest, InOrderReverseAndInterleaved) {
  std::atomic<int> mismatches{0};
  for (const auto& s : kSpecs) {
    for (size_t i = 0; i < inputs_[s.name].size(); ++i) check(client(), s, {i}, &mismatches);
  }
  for (auto s = kSpecs.rbegin(); s != kSpecs.rend(); ++s) {
    for (size_t i = inputs_[s->name].size(); i-- > 0;) check(client(), *s, {i}, &mismatches);
  }
  for (size_t i = 0; i < 40; ++i) {
    for (const auto& s : kSpecs) check(client(), s, {i}, &mismatches);
  }
  EXPECT_EQ(mismatches.load(), 0);
}

TEST_F(IsolationTest, ConcurrentBatchesWhileOtherModelsReloadUnloadAndAppear) {
  std::atomic<int> mismatches{0};
  std::atomic<bool> stop{false};
  // Control thread: reloads `a`, reloads the whole config with `x` added or removed, unloads `x`.
  std::thread control([&] {
    HttpClient admin(server_.port());
    const std::map<std::string, std::string> auth = {{"Authorization", "Bearer tok"}};
    std::string base;
    for (const auto& s : kSpecs) base += model_entry(s.name, s.shared);
    for (int round = 0; !stop; ++round) {
      EXPECT_EQ(admin.post("/admin/models/a/reload", "", auth).status, 200);
      const std::string extra = model_entry("x", kZhCnnModel);
      write_text(config_path_,
                 "server: {admin_token: tok}\nmodels:\n" + base + (round % 2 ? "" : extra));
      EXPECT_EQ(admin.post("/admin/reload", "", auth).status, 200);
      admin.post("/admin/models/x/unload", "", auth);
    }
  });
  std::vector<std::thread> clients;
  for (int t = 0; t < 32; ++t) {
    clients.emplace_back([&, t] {
      std::mt19937 rng(1000 + t);
      HttpClient c(server_.port());
      for (int r = 0; r < 4; ++r) {
        const Spec& s = kSpecs[rng() % kSpecs.size()];
        std::vector<size_t> idx(1 + rng() % (t == 0 && r == 0 ? 1 : 256));
        if (t == 1 && r == 0) idx.resize(256);
        for (auto& i : idx) i = rng() % inputs_[s.name].size();
        check(c, s, idx, &mismatches);
      }
    });
  }
  for (auto& t : clients) t.join();
  stop = true;
  control.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace quiver::testing
