// Black-box tests of groups (issue 7) against the real binary: /v1/classify without a
// category answers every category of the default group, or a subset; a group of binary
// members answers exactly what each member answers alone; a multi-label group decides by
// the thresholds stored in the model file; switching a group (admin endpoint or config
// reload) under concurrent load fails no request and every response comes entirely from
// one side; a shadow model's disagreements are counted per category in /metrics, and
// dropped (and counted) when its queue is full.
#include <atomic>
#include <cstdio>
#include <set>
#include <thread>

#include "group_models.h"
#include "server_fixture.h"

namespace quiver::testing {
namespace {

const std::map<std::string, std::string> kAuth = {{"Authorization", "Bearer tok"}};

class GroupTest : public ServerTest {
 protected:
  void SetUp() override {
    models_ = group_models_dir();
    ASSERT_FALSE(models_.empty()) << "training the group models failed";
    sentences_ = weather_data(12, 99).texts;
  }
  // The config's models plus `groups_yaml`, served with admin token "tok".
  bool start_groups(const std::string& groups_yaml, const std::string& model_extra = "") {
    return start(group_model_entries(models_, false) + model_extra + groups_yaml,
                 "  admin_token: tok\n");
  }
  nlohmann::json classify(const nlohmann::json& body) {
    auto r = client().post("/v1/classify", body.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return json_of(r);
  }
  // What model `name` answers alone for sentences_, one result per sentence.
  nlohmann::json alone(const std::string& name) {
    return classify({{"category", name}, {"sentences", sentences_}})["results"];
  }
  double metric(const std::string& series) { return metric_value(client(), series); }

  std::string models_;
  std::vector<std::string> sentences_;
};

const char* kMembersGroup =
    "groups:\n  - name: weather\n    members: [A, B, C]\n    default: true\n";

TEST_F(GroupTest, DefaultGroupAnswersEveryCategoryAsEachMemberAlone) {
  ASSERT_TRUE(start_groups(kMembersGroup));
  auto j = classify({{"sentences", sentences_}});
  EXPECT_EQ(j["group"], "weather");
  EXPECT_EQ(j["served_by"], nlohmann::json({"A@1", "B@1", "C@1"}));
  ASSERT_EQ(j["results"].size(), sentences_.size());
  for (const auto& c : kGroupCategories) {
    auto own = alone(c);
    for (size_t i = 0; i < sentences_.size(); ++i) {
      EXPECT_EQ(j["results"][i]["categories"][c], own[i]) << c << ": " << sentences_[i];
    }
  }
}

TEST_F(GroupTest, CategoriesSelectASubsetInTheirOrder) {
  ASSERT_TRUE(start_groups(kMembersGroup));
  auto j = classify({{"group", "weather"}, {"categories", {"C", "A"}}, {"sentences", sentences_}});
  EXPECT_EQ(j["served_by"], nlohmann::json({"C@1", "A@1"}));
  auto first = j["results"][0]["categories"];
  ASSERT_EQ(first.size(), 2u);
  EXPECT_TRUE(first.contains("C") && first.contains("A"));
  auto bad = client().post("/v1/classify",
                           R"({"group":"weather","categories":["A","Z"],"sentences":["x"]})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json_of(bad)["error"],
            "categories: 'Z' is not a category of group 'weather' (categories: A, B, C)");
  auto twice = client().post("/v1/classify",
                             R"({"group":"weather","categories":["A","A"],"sentences":["x"]})");
  EXPECT_EQ(twice.status, 400);
  EXPECT_EQ(json_of(twice)["error"], "categories: 'A' given twice");
  auto unknown = client().post("/v1/classify", R"({"group":"nope","sentences":["x"]})");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(json_of(unknown)["error"], "group 'nope' not found");
  auto both = client().post("/v1/classify", R"({"group":"weather","category":"A","sentences":["x"]})");
  EXPECT_EQ(both.status, 400);
  auto blank = client().post("/v1/classify", R"({"sentences":["  "]})");
  EXPECT_EQ(blank.status, 400);
  EXPECT_EQ(json_of(blank)["error"], "sentences[0]: empty or whitespace-only text");
}

TEST_F(GroupTest, MultiLabelGroupDecidesByTheThresholdsInTheModelFile) {
  // A copy of ml.h5 with quiver_thresholds written by h5py (as train-multilabel does); an
  // edit by hand drops quiver_checksum, or the changed file is refused as damaged.
  const std::string ml_t = dir_.file("ml_t.h5");
  std::filesystem::copy_file(models_ + "/ml.h5", ml_t);
  const std::string py = "/usr/bin/python3 -c \"import h5py; f=h5py.File('" + ml_t +
                         "','a'); f.attrs['quiver_thresholds']='[0.3, 0.6, 0.999]'; "
                         "f.attrs.pop('quiver_checksum', None)\"";
  ASSERT_EQ(std::system(py.c_str()), 0);
  ASSERT_TRUE(start_groups(
      "groups:\n  - name: tags\n    model: ml_t\n    labels: [absent, present]\n",
      "  - name: ml_t\n    model: " + ml_t + "\n"));
  auto j = classify({{"sentences", sentences_}, {"return_ids", true}});
  EXPECT_EQ(j["served_by"], nlohmann::json({"ml_t@1"}));
  auto ids = nlohmann::json::array();
  for (const auto& r : j["results"]) ids.push_back(r["categories"]["A"]["ids"]);
  auto raw = json_of(client().post("/v1/models/ml_t:predict",
                                   nlohmann::json{{"signature_name", "ids"}, {"instances", ids}}
                                       .dump()))["predictions"];
  const std::vector<double> thresholds = {0.3, 0.6, 0.999};
  for (size_t i = 0; i < sentences_.size(); ++i) {
    for (size_t c = 0; c < 3; ++c) {
      auto cat = j["results"][i]["categories"][kGroupCategories[c]];
      const float p = raw[i][c].get<float>();
      EXPECT_EQ(cat["scores"]["present"].get<float>(), p);
      EXPECT_EQ(cat["scores"]["absent"].get<float>(), 1.0f - p);
      EXPECT_EQ(cat["label"], p > thresholds[c] ? "present" : "absent") << p;
    }
  }
}

// Both sides' answers for sentences_, then many clients classify while the group switches
// back and forth (admin endpoint and config reload): every response is 200 and equals one
// side's answer exactly, with served_by naming that side.
TEST_F(GroupTest, SwitchUnderLoadFailsNothingAndNeverMixesSides) {
  ASSERT_TRUE(start_groups(kMembersGroup));
  const nlohmann::json request = {{"sentences", sentences_}};
  auto members = classify(request)["results"];
  ASSERT_EQ(client().post("/admin/groups/weather", R"({"model":"ml"})", kAuth).status, 200);
  auto model = classify(request)["results"];
  ASSERT_NE(members, model);
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0}, mixed{0}, from_members{0}, from_model{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&] {
      HttpClient c(server_.port());
      while (!stop) {
        auto r = c.post("/v1/classify", request.dump());
        if (r.status != 200) {
          errors++;
          continue;
        }
        auto j = nlohmann::json::parse(r.body);
        const bool by_model = j["served_by"].size() == 1;
        if (j["results"] == (by_model ? model : members)) {
          (by_model ? from_model : from_members)++;
        } else {
          mixed++;
        }
      }
    });
  }
  HttpClient admin(server_.port());
  for (int i = 0; i < 6; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    auto body = i % 2 ? R"({"model":"ml"})" : R"({"members":["A","B","C"]})";
    EXPECT_EQ(admin.post("/admin/groups/weather", body, kAuth).status, 200);
  }
  // And by config reload: back to the config's side (members) from the model.
  write_text(config_path_, "server:\n  host: 127.0.0.1\n  admin_token: tok\nmodels:\n" +
                               group_model_entries(models_, false) + kMembersGroup);
  EXPECT_EQ(admin.post("/admin/reload", "", kAuth).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(mixed.load(), 0);
  EXPECT_GT(from_members.load(), 0);
  EXPECT_GT(from_model.load(), 0);
  auto groups = json_of(admin.get("/admin/groups", kAuth));
  EXPECT_EQ(groups["groups"][0]["members"], nlohmann::json({"A", "B", "C"}));
  EXPECT_EQ(groups["groups"][0]["switches"], 8);  // 1 + 6 by admin, 1 by the reload
}

TEST_F(GroupTest, SwitchToAModelThatDoesNotServeIsRefused) {
  ASSERT_TRUE(start_groups(kMembersGroup));
  ASSERT_EQ(client().post("/admin/models/ml/unload", "", kAuth).status, 200);
  auto r = client().post("/admin/groups/weather", R"({"model":"ml"})", kAuth);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(json_of(r)["error"], "group 'weather': model 'ml' is unloaded");
  EXPECT_EQ(client().post("/admin/groups/weather", R"({"model":"zz"})", kAuth).status, 400);
  EXPECT_EQ(client().post("/admin/groups/nope", R"({"model":"ml"})", kAuth).status, 404);
  EXPECT_EQ(client().post("/admin/groups/weather", R"({"model":"ml"})").status, 401);
  EXPECT_EQ(classify({{"sentences", sentences_}})["served_by"].size(), 3u);
}

TEST_F(GroupTest, ShadowDisagreementsAreCountedPerCategory) {
  ASSERT_TRUE(start_groups(
      "groups:\n  - name: weather\n    members: [A, B, C]\n    shadow: ml\n"));
  auto served = classify({{"sentences", sentences_}});
  EXPECT_EQ(served["served_by"].size(), 3u);  // the answer is the members'
  // The shadow's decisions, asked directly: ml is multi-label, "labels" lists the positives.
  auto shadow = alone("ml");
  const double rows = static_cast<double>(sentences_.size());
  const std::string last = "quiver_shadow_compared_total{group=\"weather\",category=\"C\"}";
  for (int wait = 0; wait < 100 && metric(last) < rows; ++wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (const auto& c : kGroupCategories) {
    int expected = 0;
    for (size_t i = 0; i < sentences_.size(); ++i) {
      const bool member_yes = served["results"][i]["categories"][c]["label"] == "1";
      const auto& labels = shadow[i]["labels"];
      const bool shadow_yes = std::find(labels.begin(), labels.end(), c) != labels.end();
      expected += member_yes != shadow_yes;
    }
    const std::string labels = "{group=\"weather\",category=\"" + c + "\"}";
    EXPECT_EQ(metric("quiver_shadow_compared_total" + labels), rows);
    EXPECT_EQ(metric("quiver_shadow_disagreements_total" + labels), expected) << c;
  }
}

TEST_F(GroupTest, ShadowIsDroppedAndCountedWhenItsQueueIsFull) {
  // The shadow's batches wait 1 s for more rows, so its one slot stays taken.
  ASSERT_TRUE(start_groups(
      "groups:\n  - name: weather\n    members: [A, B, C]\n    shadow: ml2\n"
      "    shadow_max_queue: 1\n",
      "  - name: ml2\n    model: " + models_ + "/ml.h5\n    max_queue_delay_us: 1000000\n"
      "    max_batch_size: 100000\n"));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(classify({{"sentences", sentences_}})["served_by"].size(), 3u);
  EXPECT_EQ(metric("quiver_shadow_dropped_total{group=\"weather\"}"), 2);
}

// Issue 4: the first stdout line appears only once every model serves, trained ones too.
TEST_F(GroupTest, ListeningIsPrintedOnlyOnceTrainedModelsServe) {
  std::filesystem::copy_file(models_ + "/A.csv", dir_.file("A.csv"));
  ASSERT_TRUE(start("  - name: A\n    model: fresh/A.h5\n    train_data: A.csv\n"
                    "    train_if_missing: true\n    training: {architecture: cnn, epochs: 1, "
                    "embedding_dim: 4, units: 4, maxlen: 12}\n"));
  EXPECT_EQ(server_.first_line(), "listening on http://127.0.0.1:" + std::to_string(server_.port()));
  auto r = client().post("/v1/classify", R"({"category":"A","sentences":["sunny day"]})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(std::filesystem::exists(dir_.file("fresh/A.h5")));
}

}  // namespace
}  // namespace quiver::testing
