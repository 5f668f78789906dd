// Black-box tests of TensorFlow Serving's REST API: predict (row and columnar), classify,
// model status and metadata, versions. Numbers are checked against the Keras reference
// outputs made with each suite model (expected.jsonl, within 1e-5).
#include <cmath>

#include "server_fixture.h"

namespace quiver::testing {
namespace {

class TfServingTest : public ServerTest {
 protected:
  void expect_matches_keras(const nlohmann::json& predictions, const std::string& shared) {
    auto expected = read_jsonl(model_dir(shared) + "/expected.jsonl");
    ASSERT_EQ(predictions.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      ASSERT_EQ(predictions[i].size(), expected[i].size()) << "row " << i;
      for (size_t k = 0; k < expected[i].size(); ++k) {
        EXPECT_NEAR(predictions[i][k].get<double>(), expected[i][k].get<double>(), 1e-5)
            << shared << " row " << i << " unit " << k;
      }
    }
  }
};

TEST_F(TfServingTest, PredictInstancesMatchesKeras) {
  QUIVER_REQUIRE_MODELS(kIdsModel, kMultiLabelModel);
  ASSERT_TRUE(start(model_entry("a", kIdsModel) + model_entry("n", kMultiLabelModel)));
  for (auto [name, shared] : {std::pair{"a", kIdsModel}, std::pair{"n", kMultiLabelModel}}) {
    auto rows = read_jsonl(model_dir(shared) + "/inputs.jsonl");
    auto r = client().post(std::string("/v1/models/") + name + ":predict",
                           nlohmann::json{{"instances", rows}}.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    expect_matches_keras(json_of(r)["predictions"], shared);
  }
}

TEST_F(TfServingTest, ColumnarInputsAndVersionedPaths) {
  QUIVER_REQUIRE_MODELS(kIdsModel);
  ASSERT_TRUE(start(model_entry("a", kIdsModel)));
  auto rows = read_jsonl(model_dir(kIdsModel) + "/inputs.jsonl");
  auto r =
      client().post("/v1/models/a/versions/1:predict", nlohmann::json{{"inputs", rows}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  expect_matches_keras(json_of(r)["outputs"], kIdsModel);
  auto named = client().post("/v1/models/a:predict",
                             nlohmann::json{{"inputs", {{"input_ids", rows}}}}.dump());
  ASSERT_EQ(named.status, 200) << named.body;
  EXPECT_EQ(json_of(named)["outputs"], json_of(r)["outputs"]);
  auto wrong =
      client().post("/v1/models/a/versions/2:predict", nlohmann::json{{"inputs", rows}}.dump());
  EXPECT_EQ(wrong.status, 404);
  EXPECT_EQ(json_of(wrong)["error"], "model 'a' has no available version 2 (serving version 1)");
}

TEST_F(TfServingTest, TextInstancesUseTheModelsTokenizer) {
  QUIVER_REQUIRE_MODELS(kTextModel);
  ASSERT_TRUE(start(model_entry("B", kTextModel, "    labels: [neg, pos]\n")));
  auto p = client().post("/v1/models/B:predict", R"({"instances": ["vaksin aman"]})");
  ASSERT_EQ(p.status, 200) << p.body;
  auto named = client().post("/v1/models/B:predict", R"({"instances": [{"text": "vaksin aman"}]})");
  ASSERT_EQ(named.status, 200) << named.body;
  auto preds = json_of(p)["predictions"];
  ASSERT_EQ(preds.size(), 1u);
  EXPECT_EQ(preds, json_of(named)["predictions"]);
  auto c = client().post("/v1/models/B:classify", R"({"examples": [{"text": "vaksin aman"}]})");
  ASSERT_EQ(c.status, 200) << c.body;
  auto result = json_of(c)["result"];
  ASSERT_EQ(result[0].size(), 2u);
  EXPECT_EQ(result[0][0][0], "neg");
  EXPECT_EQ(result[0][1][0], "pos");
  EXPECT_EQ(result[0][1][1].get<double>(), preds[0][0].get<double>());
  EXPECT_NEAR(result[0][0][1].get<double>(), 1 - preds[0][0].get<double>(), 1e-7);
}

TEST_F(TfServingTest, ModelStatusAndMetadata) {
  QUIVER_REQUIRE_MODELS(kIdsModel);
  ASSERT_TRUE(start(model_entry("a", kIdsModel)));
  auto s = client().get("/v1/models/a");
  ASSERT_EQ(s.status, 200) << s.body;
  EXPECT_EQ(json_of(s), nlohmann::json::parse(R"({"model_version_status":[{"version":"1",
      "state":"AVAILABLE","status":{"error_code":"OK","error_message":""}}]})"));
  EXPECT_EQ(client().get("/v1/models/a/versions/1").status, 200);
  EXPECT_EQ(client().get("/v1/models/a/versions/9").status, 404);
  EXPECT_EQ(client().get("/v1/models/zz").status, 404);
  auto m = client().get("/v1/models/a/metadata");
  ASSERT_EQ(m.status, 200) << m.body;
  auto sig = json_of(m)["metadata"]["signature_def"]["signature_def"]["serving_default"];
  EXPECT_EQ(json_of(m)["model_spec"]["version"], "1");
  EXPECT_EQ(sig["inputs"]["input_ids"]["dtype"], "DT_INT32");
  EXPECT_EQ(sig["inputs"]["input_ids"]["tensor_shape"]["dim"][1]["size"], "-1");  // any length
  EXPECT_EQ(sig["outputs"]["output_0"]["dtype"], "DT_FLOAT");
}

TEST_F(TfServingTest, UnsupportedVerbsAndMethods) {
  QUIVER_REQUIRE_MODELS(kIdsModel);
  ASSERT_TRUE(start(model_entry("a", kIdsModel)));
  EXPECT_EQ(client().post("/v1/models/a:regress", "{}").status, 400);
  EXPECT_EQ(client().post("/v1/models/a:explain", "{}").status, 404);
  EXPECT_EQ(client().get("/v1/models/a:predict").status, 405);
  auto r = client().post("/v1/models/a:predict", R"({"signature_name": "x"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json_of(r)["error"],
            "signature_name: model 'a' has no signature 'x' (its signatures: 'serving_default')");
  r = client().post("/v1/models/a:predict", R"({"signature_name": "serving_default"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json_of(r)["error"],
            "expected \"instances\" (row format) or \"inputs\" (columnar format)");
}

}  // namespace
}  // namespace quiver::testing
