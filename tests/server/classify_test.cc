// Black-box tests of POST /v1/classify against the real binary and a Keras model (the
// suite's BiLSTM with the tokenizer.json keras_preprocessing fitted, tests/suite_models.h).
// Token ids come from Keras' own keras_preprocessing (python3) as an independent reference
// for the text path.
#include <cstdio>

#include "server_fixture.h"

namespace quiver::testing {
namespace {

const std::vector<std::string> kSentences = {
    "vaksin covid aman untuk semua orang", "Pemerintah gagal menangani pandemi!!",
    "vaksin sinovac halal dan efektif", "hoax tentang vaksin menyebar di media sosial",
    "saya takut disuntik vaksin"};

// Keras' tokenizer_from_json + texts_to_sequences + pad_sequences(maxlen=80), in python3.
std::vector<std::vector<int>> keras_ids(const std::string& tokenizer,
                                        const std::vector<std::string>& texts) {
  nlohmann::json j = texts;
  std::string script =
      "import json,sys\n"
      "from keras_preprocessing.text import tokenizer_from_json\n"
      "from keras_preprocessing.sequence import pad_sequences\n"
      "raw=open(sys.argv[1]).read()\n"
      "while isinstance(raw,str) and not raw.lstrip().startswith('{\"class_name'):\n"
      "  raw=json.loads(raw)\n"
      "t=tokenizer_from_json(raw if isinstance(raw,str) else json.dumps(raw))\n"
      "print(json.dumps(pad_sequences(t.texts_to_sequences(json.loads(sys.argv[2])),maxlen=80)."
      "tolist()))\n";
  testutil::TempDir dir;
  write_text(dir.file("k.py"), script);
  write_text(dir.file("t.json"), j.dump());
  std::string cmd = "/usr/bin/python3 " + dir.file("k.py") + " " + tokenizer + " \"$(cat " +
                    dir.file("t.json") + ")\" 2>&1";
  auto parsed = nlohmann::json::parse(testutil::shell(cmd).out, nullptr, false);
  if (parsed.is_discarded()) return {};
  return parsed.get<std::vector<std::vector<int>>>();
}

class ClassifyTest : public ServerTest {};

TEST_F(ClassifyTest, AnswersOneLabelAndScoresPerSentence) {
  QUIVER_REQUIRE_MODELS(kTextModel);
  ASSERT_TRUE(start(model_entry("B", kTextModel, "    labels: [negatif, positif]\n")));
  nlohmann::json req = {{"category", "B"}, {"sentences", kSentences}};
  auto r = client().post("/v1/classify", req.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  auto j = json_of(r);
  EXPECT_EQ(j["category"], "B");
  EXPECT_EQ(j["version"], 1);
  ASSERT_EQ(j["results"].size(), kSentences.size());
  for (const auto& res : j["results"]) {
    double neg = res["scores"]["negatif"], pos = res["scores"]["positif"];
    EXPECT_NEAR(neg + pos, 1.0, 1e-6);
    EXPECT_EQ(res["label"], pos > neg ? "positif" : "negatif");
    EXPECT_FALSE(res.contains("labels"));
  }
}

TEST_F(ClassifyTest, TextPathMatchesKerasTokenizationThroughTheModel) {
  QUIVER_REQUIRE_MODELS(kTextModel);
  ASSERT_TRUE(start(model_entry("B", kTextModel)));
  auto ids = keras_ids(model_dir(kTextModel) + "/tokenizer.json", kSentences);
  ASSERT_EQ(ids.size(), kSentences.size()) << "python3 keras_preprocessing failed";
  auto by_text = json_of(client().post(
      "/v1/classify", nlohmann::json{{"category", "B"}, {"sentences", kSentences}}.dump()));
  auto by_ids =
      json_of(client().post("/v1/models/B:predict",
                            nlohmann::json{{"signature_name", "ids"}, {"instances", ids}}.dump()));
  ASSERT_EQ(by_ids["predictions"].size(), kSentences.size()) << by_ids.dump();
  for (size_t i = 0; i < kSentences.size(); ++i) {
    // Same float, so the same %.9g text: compare the parsed doubles exactly.
    EXPECT_EQ(by_text["results"][i]["scores"]["1"].get<double>(),
              by_ids["predictions"][i][0].get<double>())
        << kSentences[i];
  }
}

TEST_F(ClassifyTest, ASentenceGetsTheSameBytesAloneOrInABatch) {
  QUIVER_REQUIRE_MODELS(kTextModel);
  ASSERT_TRUE(start(model_entry("B", kTextModel)));
  auto all = json_of(client().post(
      "/v1/classify", nlohmann::json{{"category", "B"}, {"sentences", kSentences}}.dump()));
  for (size_t i = 0; i < kSentences.size(); ++i) {
    auto one = json_of(client().post(
        "/v1/classify", nlohmann::json{{"category", "B"}, {"sentences", {kSentences[i]}}}.dump()));
    EXPECT_EQ(one["results"][0].dump(), all["results"][i].dump());
  }
}

TEST_F(ClassifyTest, MultiLabelModelsListEveryLabelAboveItsThreshold) {
  QUIVER_REQUIRE_MODELS(kMultiLabelModel);
  ASSERT_TRUE(
      start(model_entry("tags", kMultiLabelModel, "    labels: [a, b, c, d, e]\n    threshold: 0.5\n")));
  auto rows = read_jsonl(model_dir(kMultiLabelModel) + "/inputs.jsonl");
  auto r = client().post("/v1/models/tags:predict", nlohmann::json{{"instances", rows}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  // Texts need a tokenizer; this model has none, so /v1/classify refuses clearly.
  auto c = client().post("/v1/classify", R"({"category":"tags","sentences":["x"]})");
  EXPECT_EQ(c.status, 400);
  EXPECT_EQ(json_of(c)["error"], "model 'tags' has no tokenizer: send id lists, not texts");
  // :classify shows every label with its score.
  auto cls = json_of(
      client().post("/v1/models/tags:classify",
                    nlohmann::json{{"examples", {{{"input_ids", rows[0]}}}}}.dump()));
  ASSERT_EQ(cls["result"][0].size(), 5u) << cls.dump();
  EXPECT_EQ(cls["result"][0][0][0], "a");
}

TEST_F(ClassifyTest, ReducedWeightModesServeCloseToFp32AndPassTheGoldenCheck) {
  QUIVER_REQUIRE_MODELS(kIdsModel);  // its folder has inputs.jsonl + expected.jsonl (golden)
  ASSERT_TRUE(start(model_entry("f32", kIdsModel) + model_entry("b16", kIdsModel) +
                    "    weights: bf16\n" + model_entry("i8", kIdsModel) + "    weights: int8\n"));
  auto rows = read_jsonl(model_dir(kIdsModel) + "/inputs.jsonl");
  const std::string body = nlohmann::json{{"instances", rows}}.dump();
  auto exact = json_of(client().post("/v1/models/f32:predict", body))["predictions"];
  ASSERT_EQ(exact.size(), rows.size());
  for (const char* name : {"b16", "i8"}) {
    auto reduced = json_of(client().post(std::string("/v1/models/") + name + ":predict", body));
    ASSERT_EQ(reduced["predictions"].size(), rows.size()) << reduced.dump();
    bool any_different = false;
    for (size_t i = 0; i < rows.size(); ++i) {
      const double a = exact[i][0], b = reduced["predictions"][i][0];
      EXPECT_NEAR(a, b, 0.05) << name << " row " << i;
      any_different |= a != b;
    }
    EXPECT_TRUE(any_different) << name << ": the weight mode did not reach the model";
  }
}

}  // namespace
}  // namespace quiver::testing
