// Conformance of `quiver serve` to the KServe v2 / Open Inference Protocol REST API
// (kserve docs/predict-api/v2/required_api.md, open-inference-protocol
// specification/protocol/inference_rest.md) and to the model repository extension
// (triton-inference-server/server docs/protocol/extension_model_repository.md). Each test
// checks one requirement against the real binary and quotes the sentence it checks.
// Models: `txt` (quiver-trained text model: input `text` BYTES [-1]), `two` (id input
// `input_ids` INT32 [-1, 8], outputs output_0 [-1, 2] and output_1 [-1, 3]) and `multi`
// (inputs `ids` INT32 [-1, 8] and `features` FP32 [-1, 4]).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "conformance_models.h"
#include "http_client.h"
#include "testutil.h"

namespace quiver::testing {
namespace {

using nlohmann::json;

class KServeConformance : public ConformanceSuite<KServeConformance> {
 public:
  static std::string server_yaml() { return "  admin_token: tok\n"; }

 protected:
  HttpResult post(const std::string& path, const json& body,
                  const std::map<std::string, std::string>& headers = {}) {
    return client_->post(path, body.dump(), headers);
  }
  static json text_input(const json& texts) {
    return {{"name", "text"}, {"datatype", "BYTES"}, {"shape", {texts.size()}}, {"data", texts}};
  }
  static json ids_input(const std::vector<std::vector<int>>& rows, const char* dtype = "INT32") {
    json flat = json::array();
    for (const auto& r : rows)
      for (int id : r) flat.push_back(id);
    return {{"name", "input_ids"}, {"datatype", dtype}, {"shape", {rows.size(), rows[0].size()}},
            {"data", flat}};
  }
  HttpResult infer(const std::string& model, const json& body) {
    return post("/v2/models/" + model + "/infer", body);
  }
  json infer_ok(const std::string& model, const json& body) {
    auto r = infer(model, body);
    EXPECT_EQ(r.status, 200) << body.dump() << " -> " << r.body;
    return parse(r);
  }

  const std::map<std::string, std::string> auth_ = {{"Authorization", "Bearer tok"}};
};

const json kTexts = {"great food today", "awful service really"};
const std::vector<std::vector<int>> kRows = {{0, 0, 3, 1, 4, 1, 5, 9}, {2, 6, 5, 3, 5, 8, 9, 7}};

// "The “server live” API indicates if the inference server is able to receive and
// respond to metadata and inference requests." / "A 200 status code indicates true"
TEST_F(KServeConformance, ServerLive) {
  auto r = client_->get("/v2/health/live");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(parse(r), json({{"live", true}}));
}

// "The “server ready” health API indicates if all the models are ready for inferencing."
TEST_F(KServeConformance, ServerReadyWhenEveryModelIs) {
  auto r = client_->get("/v2/health/ready");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(parse(r), json({{"ready", true}}));
}

// "The “model ready” health API indicates if a specific model is ready for inferencing.
// The model name and (optionally) version must be available in the URL."
TEST_F(KServeConformance, ModelReady) {
  auto r = client_->get("/v2/models/txt/ready");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(parse(r), json({{"name", "txt"}, {"ready", true}}));
  EXPECT_EQ(client_->get("/v2/models/two/versions/1/ready").status, 200);
  // "a 4xx status code indicates false"
  const int missing = client_->get("/v2/models/nope/ready").status;
  EXPECT_TRUE(missing >= 400 && missing < 500) << missing;
}

// "$metadata_server_response = { "name" : $string, "version" : $string, "extensions" :
// [ $string, ... ] }"
TEST_F(KServeConformance, ServerMetadata) {
  auto r = client_->get("/v2");
  ASSERT_EQ(r.status, 200);
  json j = parse(r);
  EXPECT_TRUE(j["name"].is_string());
  EXPECT_TRUE(j["version"].is_string());
  EXPECT_EQ(j["extensions"], json({"model_repository"}));  // the extension below
}

// "“inputs” : The inputs required by the model." / "Variable-size dimensions are
// specified as -1."
TEST_F(KServeConformance, ModelMetadataListsTheRequiredInputs) {
  auto r = client_->get("/v2/models/txt");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = parse(r);
  EXPECT_EQ(j["name"], "txt");
  EXPECT_EQ(j["versions"], json({"1"}));
  EXPECT_EQ(j["platform"], "keras_h5");
  EXPECT_EQ(j["inputs"], json::parse(R"([{"name":"text","datatype":"BYTES","shape":[-1]}])"));
  EXPECT_EQ(j["outputs"],
            json::parse(R"([{"name":"output_0","datatype":"FP32","shape":[-1,2]}])"));
  json two = parse(client_->get("/v2/models/two/versions/1"));
  EXPECT_EQ(two["inputs"],
            json::parse(R"([{"name":"input_ids","datatype":"INT32","shape":[-1,8]}])"));
  EXPECT_EQ(two["outputs"].size(), 2u);
  expect_error(client_->get("/v2/models/nope"), 404, "nope");
}

// A request made of exactly the metadata's inputs is answered, for every model.
TEST_F(KServeConformance, TheMetadataInputsAreWhatARequestSends) {
  for (const std::string model : {"txt", "two"}) {
    json inputs = json::array();
    const json metadata = parse(client_->get("/v2/models/" + model));
    for (const auto& m : metadata["inputs"]) {
      json shape = m["shape"];
      json data = json::array();
      shape[0] = 1;
      int64_t n = 1;
      for (auto& d : shape) n *= d.get<int64_t>();
      for (int64_t i = 0; i < n; ++i) data.push_back(m["datatype"] == "BYTES" ? json("good") : json(1));
      inputs.push_back({{"name", m["name"]}, {"datatype", m["datatype"]}, {"shape", shape},
                        {"data", data}});
    }
    infer_ok(model, {{"inputs", inputs}});
  }
}

// "$inference_response = { "model_name" : $string, "model_version" : $string #optional,
// "id" : $string, "parameters" : $parameters #optional, "outputs" : [ $response_output,
// ... ] }" with "If the output is batched, the shape and data represents the full shape
// of the entire batch."
TEST_F(KServeConformance, InferenceResponseCarriesTheWholeBatch) {
  json j = infer_ok("two", {{"inputs", {ids_input(kRows)}}});
  EXPECT_EQ(j["model_name"], "two");
  EXPECT_EQ(j["model_version"], "1");
  ASSERT_EQ(j["outputs"].size(), 2u) << j.dump();
  EXPECT_EQ(j["outputs"][0]["name"], "output_0");
  EXPECT_EQ(j["outputs"][0]["datatype"], "FP32");
  EXPECT_EQ(j["outputs"][0]["shape"], json({2, 2}));
  EXPECT_EQ(j["outputs"][0]["data"].size(), 4u);
  EXPECT_EQ(j["outputs"][1]["shape"], json({2, 3}));
  EXPECT_EQ(j["outputs"][1]["data"].size(), 6u);
  // The same rows as TF Serving's row format answers them (row-major).
  auto tf = parse(client_->post("/v1/models/two:predict", json({{"instances", kRows}}).dump()));
  EXPECT_EQ(j["outputs"][1]["data"][3], tf["predictions"][1]["output_1"][0]);
}

// "id" : "An identifier for this request. Optional, but if specified this identifier must
// be returned in the response."
TEST_F(KServeConformance, IdIsEchoed) {
  json j = infer_ok("txt", {{"id", "42"}, {"inputs", {text_input(kTexts)}}});
  EXPECT_EQ(j["id"], "42");
  EXPECT_FALSE(infer_ok("txt", {{"inputs", {text_input(kTexts)}}}).contains("id"));
  expect_error(infer("txt", {{"id", 42}, {"inputs", {text_input(kTexts)}}}), 400, "id");
}

// "outputs" : "The output tensors requested for this inference." / "For the above request
// the inference server must return the “output0” output tensor."
TEST_F(KServeConformance, RequestedOutputsAreTheOnesReturned) {
  json one = infer_ok("two", {{"inputs", {ids_input(kRows)}}, {"outputs", {{{"name", "output_1"}}}}});
  ASSERT_EQ(one["outputs"].size(), 1u) << one.dump();
  EXPECT_EQ(one["outputs"][0]["name"], "output_1");
  json both = infer_ok("two", {{"inputs", {ids_input(kRows)}},
                               {"outputs", {{{"name", "output_1"}}, {{"name", "output_0"}}}}});
  ASSERT_EQ(both["outputs"].size(), 2u);
  EXPECT_EQ(both["outputs"][0]["name"], "output_1");
  EXPECT_EQ(both["outputs"][0]["data"], one["outputs"][0]["data"]);
}

TEST_F(KServeConformance, UnknownRequestedOutputsAreRefused) {
  expect_error(infer("two", {{"inputs", {ids_input(kRows)}}, {"outputs", {{{"name", "logits"}}}}}),
               400, "no output 'logits'");
}

// "parameters" : "An object containing zero or more parameters for this inference request
// expressed as key/value pairs" — on the request, an input and a requested output; each
// value "is a $string, $number, or $boolean".
TEST_F(KServeConformance, ParametersAreAccepted) {
  json input = text_input(kTexts);
  input["parameters"] = {{"content_type", "str"}};
  json j = infer_ok("txt", {{"parameters", {{"priority", 1}, {"trace", true}, {"tag", "x"}}},
                            {"inputs", {input}},
                            {"outputs", {{{"name", "output_0"}, {"parameters", {{"a", 1}}}}}}});
  EXPECT_EQ(j["outputs"], infer_ok("txt", {{"inputs", {text_input(kTexts)}}})["outputs"]);
  expect_error(infer("txt", {{"parameters", {{"nested", {{"a", 1}}}}}, {"inputs", {input}}}), 400,
               "parameters.nested");
}

// "“inputs” : The inputs required by the model." — a name the model does not have, or a
// missing one, is an error.
TEST_F(KServeConformance, UnknownOrMissingInputsAreRefused) {
  json input = text_input(kTexts);
  input["name"] = "sentence";
  expect_error(infer("txt", {{"inputs", {input}}}), 400, "unknown input 'sentence'");
  expect_error(infer("txt", {{"inputs", {text_input(kTexts), ids_input(kRows)}}}), 400,
               "unknown input 'input_ids'");
  expect_error(infer("txt", {{"inputs", json::array()}}), 400, "inputs");
  expect_error(infer("txt", {{"inputs", {text_input(kTexts), text_input(kTexts)}}}), 400,
               "twice");
}

// Several inputs: metadata "inputs" lists each input the model requires (ids INT32
// [-1, 8], features FP32 [-1, 4]); an $inference_request gives each by name, and the
// answer is `quiver predict`'s for the same rows, bit for bit. A missing one is 400.
TEST_F(KServeConformance, SeveralNamedInputs) {
  json meta = parse(client_->get("/v2/models/multi"));
  EXPECT_EQ(meta["inputs"], json::parse(R"([{"name":"ids","datatype":"INT32","shape":[-1,8]},
                                            {"name":"features","datatype":"FP32","shape":[-1,4]}])"))
      << meta.dump();
  json ids = ids_input(kRows);
  ids["name"] = "ids";
  const json features = {{"name", "features"}, {"datatype", "FP32"}, {"shape", {2, 4}},
                         {"data", {0.5, -1.0, 2.0, 0.25, 1.5, 0.0, -0.5, 3.0}}};
  json j = infer_ok("multi", {{"inputs", {features, ids}}});  // any order
  ASSERT_EQ(j["outputs"].size(), 1u) << j.dump();
  EXPECT_EQ(j["outputs"][0]["shape"], json({2, 2}));
  const json rows = {{{"ids", kRows[0]}, {"features", {0.5, -1.0, 2.0, 0.25}}},
                     {{"ids", kRows[1]}, {"features", {1.5, 0.0, -0.5, 3.0}}}};
  const json cli = predict_named_inputs_cli(models_ + "/multi.h5", rows);
  ASSERT_EQ(cli.size(), 2u);
  json flat = json::array();
  for (const auto& r : cli)
    for (const auto& v : r) flat.push_back(v);
  EXPECT_EQ(j["outputs"][0]["data"], flat);
  expect_error(infer("multi", {{"inputs", {ids}}}), 400, "missing input 'features'");
  json wide = features;
  wide["shape"] = {2, 5};
  expect_error(infer("multi", {{"inputs", {ids, wide}}}), 400, "shape");
  json as_int = features;
  as_int["datatype"] = "INT32";
  expect_error(infer("multi", {{"inputs", {ids, as_int}}}), 400, "is FP32");
}

// "datatype" : "The data-type of the input tensor elements as defined in Tensor Data
// Types" — it must be the one the metadata lists.
TEST_F(KServeConformance, AWrongDatatypeIsRefused) {
  json input = text_input(kTexts);
  input["datatype"] = "INT32";
  expect_error(infer("txt", {{"inputs", {input}}}), 400, "is BYTES");
  expect_error(infer("two", {{"inputs", {ids_input(kRows, "FP32")}}}), 400, "is INT32");
  expect_error(infer("two", {{"inputs", {ids_input(kRows, "INT64")}}}), 400, "is INT32");
}

// "If the input is batched, the shape and data must represent the full shape and
// contents of the entire batch." — a shape the metadata does not allow, or data that
// does not fill the shape, is an error.
TEST_F(KServeConformance, AWrongShapeIsRefused) {
  json input = text_input(kTexts);
  input["shape"] = {1, 2};
  expect_error(infer("txt", {{"inputs", {input}}}), 400, "shape");
  input["shape"] = {3};
  expect_error(infer("txt", {{"inputs", {input}}}), 400, "2 elements for shape [3]");
  input["shape"] = {2, 1};  // BYTES [N, 1] (README "Changes for clients"): the text input is [-1]
  expect_error(infer("txt", {{"inputs", {input}}}), 400, "has shape [-1], got [2,1]");
  json ids = ids_input(kRows);
  ids["shape"] = {4, 4};
  expect_error(infer("two", {{"inputs", {ids}}}), 400, "shape");
}

// "Tensor elements may be presented in their nature multi-dimensional representation, or
// as a flattened one-dimensional representation."
TEST_F(KServeConformance, DataMayBeNestedOrFlat) {
  json nested = ids_input(kRows);
  nested["data"] = kRows;
  EXPECT_EQ(infer_ok("two", {{"inputs", {nested}}})["outputs"],
            infer_ok("two", {{"inputs", {ids_input(kRows)}}})["outputs"]);
}

// "A server can implement server-specific parameters to provide non-standard
// capabilities." — quiver's "signature_name" selects a text model's id input.
TEST_F(KServeConformance, TheSignatureParameterSelectsTheIdInput) {
  auto c = client_->post("/v1/classify",
                         json({{"category", "txt"}, {"sentences", kTexts}, {"return_ids", true}}).dump());
  ASSERT_EQ(c.status, 200) << c.body;
  std::vector<std::vector<int>> rows = {parse(c)["results"][0]["ids"],
                                        parse(c)["results"][1]["ids"]};
  json by_ids =
      infer_ok("txt", {{"parameters", {{"signature_name", "ids"}}}, {"inputs", {ids_input(rows)}}});
  EXPECT_EQ(by_ids["outputs"], infer_ok("txt", {{"inputs", {text_input(kTexts)}}})["outputs"]);
  expect_error(infer("txt", {{"parameters", {{"signature_name", "x"}}},
                             {"inputs", {text_input(kTexts)}}}),
               400, "no signature 'x'");
}

// "The model name and (optionally) version must be available in the URL."
TEST_F(KServeConformance, InferOnAVersion) {
  EXPECT_EQ(infer_ok("txt", {{"inputs", {text_input(kTexts)}}})["outputs"],
            parse(post("/v2/models/txt/versions/1/infer", {{"inputs", {text_input(kTexts)}}}))
                ["outputs"]);
  expect_error(post("/v2/models/txt/versions/5/infer", {{"inputs", {text_input(kTexts)}}}), 404,
               "version 5");
  expect_error(infer("nope", {{"inputs", {text_input(kTexts)}}}), 404, "nope");
}

// Repository extension: "The index API returns information about every model available
// in a model repository" as [{"name", "version", "state", "reason"}]; "ready": "If true
// return only models ready for inferencing." Behind the admin token (README).
TEST_F(KServeConformance, RepositoryIndex) {
  auto r = post("/v2/repository/index", json::object(), auth_);
  ASSERT_EQ(r.status, 200) << r.body;
  json index = parse(r);
  ASSERT_EQ(index.size(), 3u) << r.body;
  for (const auto& m : index) {
    EXPECT_TRUE(m["name"] == "txt" || m["name"] == "two" || m["name"] == "multi") << r.body;
    EXPECT_EQ(m["state"], "READY");
    EXPECT_EQ(m["reason"], "");
    EXPECT_EQ(m["version"], "1");
  }
  auto ready = post("/v2/repository/index", {{"ready", true}}, auth_);
  EXPECT_EQ(parse(ready).size(), 3u);
  EXPECT_EQ(client_->post("/v2/repository/index", "").status, 401);
  expect_error(post("/v2/repository/index", {{"ready", "yes"}}, auth_), 400, "ready");
}

// "The load API requests that a model be loaded ..., or reloaded if the model is already
// loaded." / "The unload API requests that a model be unloaded" / "A successful load
// request is indicated by a 200 HTTP status." / "A failed load request must be indicated
// by an HTTP error status (typically 400)."
TEST_F(KServeConformance, RepositoryUnloadAndLoad) {
  ServerProcess own;  // its own server: the other tests see version 1 of every model
  ASSERT_TRUE(own.start(dir_->file("serve.yaml"))) << own.error();
  client_ = std::make_unique<HttpClient>(own.port());
  ASSERT_EQ(post("/v2/repository/models/two/unload", json::object(), auth_).status, 200);
  EXPECT_EQ(client_->get("/v2/models/two/ready").status, 400);
  EXPECT_EQ(client_->get("/v2/health/ready").status, 400);
  json index = parse(post("/v2/repository/index", json::object(), auth_));
  for (const auto& m : index) {
    if (m["name"] == "two") {
      EXPECT_EQ(m["state"], "UNAVAILABLE") << index.dump();
    }
  }
  EXPECT_EQ(parse(post("/v2/repository/index", {{"ready", true}}, auth_)).size(), 2u);  // txt and multi
  auto load = client_->post("/v2/repository/models/two/load", "", auth_);  // "may be empty"
  ASSERT_EQ(load.status, 200) << load.body;
  EXPECT_EQ(client_->get("/v2/models/two/ready").status, 200);
  EXPECT_EQ(client_->get("/v2/health/ready").status, 200);
  infer_ok("two", {{"inputs", {ids_input(kRows)}}});
  expect_error(post("/v2/repository/models/nope/load", json::object(), auth_), 404, "nope");
  expect_error(post("/v2/repository/models/two/load",
                    {{"parameters", {{"config", "{}"}}}}, auth_), 400, "config");
  EXPECT_EQ(client_->post("/v2/repository/models/two/load", "").status, 401);
}

}  // namespace
}  // namespace quiver::testing
