// Black-box tests of the KServe v2 / Triton REST protocol: health, server and model
// metadata, readiness, infer (BYTES, INT32, INT64; shape and datatype checks), the model
// repository extension.
#include "server_fixture.h"

namespace quiver::testing {
namespace {

class KServeTest : public ServerTest {
 protected:
  void SetUp() override {
    QUIVER_REQUIRE_MODELS(kTextModel, kIdsModel);
    ASSERT_TRUE(start(model_entry("B", kTextModel) + model_entry("a", kIdsModel),
                      "  admin_token: s3cret\n"));
  }
  nlohmann::json ids_input(const std::string& datatype, const nlohmann::json& rows) {
    std::vector<int> flat;
    for (const auto& r : rows) {
      for (const auto& v : r) flat.push_back(v.get<int>());
    }
    return {{"inputs",
             {{{"name", "input_ids"},
               {"datatype", datatype},
               {"shape", {rows.size(), rows[0].size()}},
               {"data", flat}}}}};
  }
};

TEST_F(KServeTest, HealthAndServerMetadata) {
  auto live = client().get("/v2/health/live");
  EXPECT_EQ(live.status, 200);
  EXPECT_EQ(json_of(live)["live"], true);
  EXPECT_EQ(client().get("/v2/health/ready").status, 200);
  auto meta = json_of(client().get("/v2"));
  EXPECT_EQ(meta["name"], "quiver");
  EXPECT_EQ(meta["extensions"][0], "model_repository");
}

TEST_F(KServeTest, ModelMetadataAndReadiness) {
  auto m = client().get("/v2/models/B");
  ASSERT_EQ(m.status, 200) << m.body;
  auto j = json_of(m);
  EXPECT_EQ(j["name"], "B");
  EXPECT_EQ(j["versions"][0], "1");
  ASSERT_EQ(j["inputs"].size(), 1u);  // the text model's serving_default: `text` only
  EXPECT_EQ(j["inputs"][0]["name"], "text");
  EXPECT_EQ(j["inputs"][0]["datatype"], "BYTES");
  EXPECT_EQ(j["inputs"][0]["shape"], nlohmann::json::parse("[-1]"));
  EXPECT_EQ(json_of(client().get("/v2/models/a"))["inputs"][0]["shape"],
            nlohmann::json::parse("[-1, -1]"));  // any length
  EXPECT_EQ(j["outputs"][0]["datatype"], "FP32");
  EXPECT_EQ(client().get("/v2/models/B/ready").status, 200);
  EXPECT_EQ(client().get("/v2/models/B/versions/1/ready").status, 200);
  EXPECT_EQ(client().get("/v2/models/nope/ready").status, 404);
}

TEST_F(KServeTest, InferWithIdsMatchesKerasAndTfServing) {
  auto rows = read_jsonl(model_dir(kIdsModel) + "/inputs.jsonl");
  auto expected = read_jsonl(model_dir(kIdsModel) + "/expected.jsonl");
  for (const char* dt : {"INT32"}) {
    nlohmann::json req = ids_input(dt, rows);
    req["id"] = "req-1";
    auto r = client().post("/v2/models/a/infer", req.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = json_of(r);
    EXPECT_EQ(j["model_name"], "a");
    EXPECT_EQ(j["model_version"], "1");
    EXPECT_EQ(j["id"], "req-1");
    auto out = j["outputs"][0];
    EXPECT_EQ(out["datatype"], "FP32");
    EXPECT_EQ(out["shape"], nlohmann::json({rows.size(), 1}));
    for (size_t i = 0; i < rows.size(); ++i) {
      EXPECT_NEAR(out["data"][i].get<double>(), expected[i][0].get<double>(), 1e-5);
    }
  }
  EXPECT_EQ(client().post("/v2/models/a/infer", ids_input("INT64", rows).dump()).status, 400);
  auto tf =
      json_of(client().post("/v1/models/a:predict", nlohmann::json{{"instances", rows}}.dump()));
  auto kv = json_of(client().post("/v2/models/a/infer", ids_input("INT32", rows).dump()));
  for (size_t i = 0; i < rows.size(); ++i)
    EXPECT_EQ(tf["predictions"][i][0], kv["outputs"][0]["data"][i]);
}

TEST_F(KServeTest, InferWithBytesUsesTheTokenizer) {
  nlohmann::json req = {{"inputs",
                         {{{"name", "text"},
                           {"datatype", "BYTES"},
                           {"shape", {2}},
                           {"data", {"vaksin aman", "hoax vaksin"}}}}}};
  auto r = client().post("/v2/models/B/infer", req.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  auto out = json_of(r)["outputs"][0];
  EXPECT_EQ(out["shape"], nlohmann::json({2, 1}));
  auto c = json_of(client().post("/v1/classify",
                                 R"({"category":"B","sentences":["vaksin aman","hoax vaksin"]})"));
  EXPECT_EQ(out["data"][0].get<double>(), c["results"][0]["scores"]["1"].get<double>());
  EXPECT_EQ(out["data"][1].get<double>(), c["results"][1]["scores"]["1"].get<double>());
}

TEST_F(KServeTest, ShapeAndDatatypeAreChecked) {
  auto post = [&](const std::string& body) { return client().post("/v2/models/a/infer", body); };
  auto err = [&](const HttpResult& r) { return json_of(r)["error"].get<std::string>(); };
  auto r =
      post(R"({"inputs":[{"name":"input_ids","datatype":"FP32","shape":[1,40],"data":[]}]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(err(r), "inputs[0]: input 'input_ids' is INT32, got datatype 'FP32'");
  r = post(R"({"inputs":[{"name":"input_ids","datatype":"INT32","shape":[2,40],"data":[1,2,3]}]})");
  EXPECT_EQ(err(r), "inputs[0].data: 3 elements for shape [2,40]");
  r = post(R"({"inputs":[{"name":"input_ids","datatype":"INT32","shape":[3],"data":[1,2,3]}]})");
  EXPECT_EQ(err(r), "inputs[0]: input 'input_ids' has shape [-1,-1], got [3]");
  r = post(
      R"({"inputs":[{"name":"text","datatype":"BYTES","shape":[2,2],"data":["a","b","c","d"]}]})");
  EXPECT_EQ(err(r), "inputs[0]: unknown input 'text' (signature 'serving_default' has: input_ids)");
  r = post(R"({"inputs":[]})");
  EXPECT_EQ(err(r), "inputs: expected a list of input tensors (model 'a' takes: input_ids)");
  r = post(R"({"inputs":[{"name":"input_ids","datatype":"INT32","data":[1]}]})");
  EXPECT_EQ(err(r), "inputs[0].shape: missing");
  EXPECT_EQ(client().post("/v2/models/zz/infer", "{}").status, 404);
}

TEST_F(KServeTest, RepositoryIndexLoadAndUnload) {
  const std::map<std::string, std::string> auth = {{"Authorization", "Bearer s3cret"}};
  EXPECT_EQ(client().post("/v2/repository/index", "{}").status, 401);
  auto idx = client().post("/v2/repository/index", "{}", auth);
  ASSERT_EQ(idx.status, 200) << idx.body;
  auto j = json_of(idx);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["state"], "READY");
  EXPECT_EQ(client().post("/v2/repository/models/a/unload", "").status, 401);
  EXPECT_EQ(client().post("/v2/repository/models/a/unload", "", auth).status, 200);
  EXPECT_EQ(client().get("/v2/models/a/ready").status, 400);  // 4xx: false
  EXPECT_EQ(client().get("/v2/health/ready").status, 400);
  auto load = client().post("/v2/repository/models/a/load", "", auth);
  ASSERT_EQ(load.status, 200) << load.body;
  EXPECT_EQ(json_of(load)["serving_version"], 2);
  EXPECT_EQ(client().get("/v2/models/a/ready").status, 200);
  EXPECT_EQ(client().post("/v2/repository/models/zz/load", "", auth).status, 404);
}

}  // namespace
}  // namespace quiver::testing
