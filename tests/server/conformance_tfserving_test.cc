// Conformance of `quiver serve` to TensorFlow Serving's REST API as written in
// tensorflow/serving tensorflow_serving/g3doc/api_rest.md. Each test checks one
// requirement of that document against the real binary and quotes the sentence it checks.
// Models are made by the suite (conformance_models.h): `txt`, a quiver-trained text model
// (signatures serving_default {text} and ids {input_ids}), and `two`, an id-input model
// with two outputs (signature serving_default {input_ids}).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "conformance_models.h"
#include "http_client.h"
#include "testutil.h"

namespace quiver::testing {
namespace {

using nlohmann::json;

class TfServingConformance : public ConformanceSuite<TfServingConformance> {
 public:
  static std::string server_yaml() { return ""; }

 protected:
  HttpResult post(const std::string& path, const json& body) {
    return client_->post(path, body.dump());
  }
  json predictions(const json& body, const std::string& model = "txt") {
    auto r = post("/v1/models/" + model + ":predict", body);
    EXPECT_EQ(r.status, 200) << body.dump() << " -> " << r.body;
    return parse(r);
  }
};

const json kTexts = {"great food today", "awful service really"};
const std::vector<int> kIds = {0, 0, 3, 1, 4, 1, 5, 9};  // two.h5: T = 8, ids < 20

const std::vector<int> kIds2 = {2, 6, 5, 3, 5, 8, 9, 7};
// multi.h5's rows: {"ids": [8 ids], "features": [4 floats]}.
const json kMultiRows = {{{"ids", kIds}, {"features", {0.5, -1.0, 2.0, 0.25}}},
                         {{"ids", kIds2}, {"features", {1.5, 0.0, -0.5, 3.0}}}};

// "In case of error, all APIs will return a JSON object in the response body with `error`
// as key and the error message as the value"
TEST_F(TfServingConformance, ErrorsAreAnObjectWithTheErrorKey) {
  expect_error(post("/v1/models/nope:predict", {{"instances", kTexts}}), 404, "nope");
  expect_error(client_->post("/v1/models/txt:predict", "{not json"), 400);
  expect_error(client_->get("/v1/models/nope"), 404, "nope");
  expect_error(client_->get("/v1/models/nope/metadata"), 404, "nope");
}

// "If omitted status for all versions is returned in the response." (GetModelStatusResponse)
TEST_F(TfServingConformance, ModelStatusListsEveryVersion) {
  auto r = client_->get("/v1/models/txt");
  ASSERT_EQ(r.status, 200) << r.body;
  json status = parse(r)["model_version_status"];
  ASSERT_EQ(status.size(), 1u) << r.body;
  EXPECT_EQ(status[0]["version"], "1");
  EXPECT_EQ(status[0]["state"], "AVAILABLE");
  EXPECT_EQ(status[0]["status"]["error_code"], "OK");
  EXPECT_EQ(status[0]["status"]["error_message"], "");
}

// "GET http://host:port/v1/models/${MODEL_NAME}[/versions/${VERSION}|/labels/${LABEL}]"
TEST_F(TfServingConformance, ModelStatusOfOneVersionOrLabel) {
  auto one = client_->get("/v1/models/txt/versions/1");
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(parse(one)["model_version_status"][0]["version"], "1");
  expect_error(client_->get("/v1/models/txt/versions/7"), 404, "version 7");
  expect_error(client_->get("/v1/models/txt/labels/stable"), 404, "label 'stable'");
}

// "If omitted the model metadata for the latest version is returned in the response."
// (a JSON representation of GetModelMetadataResponse: model_spec + signature_def map)
TEST_F(TfServingConformance, MetadataIsAGetModelMetadataResponse) {
  auto r = client_->get("/v1/models/txt/metadata");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = parse(r);
  EXPECT_EQ(j["model_spec"]["name"], "txt");
  EXPECT_EQ(j["model_spec"]["version"], "1");
  json sigs = j["metadata"]["signature_def"]["signature_def"];
  ASSERT_EQ(sigs.size(), 2u) << r.body;
  json text = sigs["serving_default"]["inputs"];
  ASSERT_EQ(text.size(), 1u);
  EXPECT_EQ(text["text"]["dtype"], "DT_STRING");
  json ids = sigs["ids"]["inputs"];
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids["input_ids"]["dtype"], "DT_INT32");
  EXPECT_EQ(ids["input_ids"]["tensor_shape"]["dim"][1]["size"], "12");
  EXPECT_EQ(sigs["serving_default"]["outputs"]["output_0"]["dtype"], "DT_FLOAT");
  auto versioned = client_->get("/v1/models/two/versions/1/metadata");
  ASSERT_EQ(versioned.status, 200) << versioned.body;
  EXPECT_EQ(parse(versioned)["metadata"]["signature_def"]["signature_def"].size(), 1u);
}

// "(Optional) Serving signature to use. If unspecifed default serving signature is used."
// Every signature the metadata lists is accepted, with exactly its inputs.
TEST_F(TfServingConformance, EverySignatureInTheMetadataIsAccepted) {
  for (const std::string model : {"txt", "two"}) {
    json sigs = parse(client_->get("/v1/models/" + model + "/metadata"))["metadata"]
                                                                        ["signature_def"]
                                                                        ["signature_def"];
    ASSERT_FALSE(sigs.empty());
    for (const auto& [name, sig] : sigs.items()) {
      json instance = json::object();
      for (const auto& [input, info] : sig["inputs"].items()) {
        const int length = std::stoi(info["tensor_shape"]["dim"].back()["size"].get<std::string>());
        instance[input] = info["dtype"] == "DT_STRING" ? json("great food")
                                                       : json(std::vector<int>(length, 1));
      }
      json p = predictions({{"signature_name", name}, {"instances", {instance}}}, model);
      EXPECT_EQ(p["predictions"].size(), 1u) << model << " " << name;
    }
  }
  // No signature_name: serving_default.
  EXPECT_EQ(predictions({{"instances", kTexts}}),
            predictions({{"signature_name", "serving_default"}, {"instances", kTexts}}));
}

TEST_F(TfServingConformance, UnknownSignatureNameIsRefused) {
  expect_error(post("/v1/models/txt:predict", {{"signature_name", "nope"}, {"instances", kTexts}}),
               400, "no signature 'nope'");
  expect_error(post("/v1/models/txt:classify",
                    {{"signature_name", "nope"}, {"examples", {{{"text", "good"}}}}}),
               400, "no signature 'nope'");
}

// "When there is only one named input, specify the value of instances key to be the
// value of the input"
TEST_F(TfServingConformance, RowFormatWithOneInputTakesPlainValues) {
  json p = predictions({{"instances", kTexts}});
  ASSERT_EQ(p.size(), 1u) << p.dump();
  ASSERT_EQ(p["predictions"].size(), 2u);
  for (const auto& row : p["predictions"]) {
    ASSERT_EQ(row.size(), 2u);
    EXPECT_NEAR(row[0].get<double>() + row[1].get<double>(), 1.0, 1e-6);  // a softmax
  }
  json ids = predictions({{"instances", {kIds, kIds}}}, "two");
  EXPECT_EQ(ids["predictions"].size(), 2u);
}

// "For multiple named inputs, each item is expected to be an object containing input
// name/tensor value pair, one for each named input."
TEST_F(TfServingConformance, RowFormatObjectsNameEachInput) {
  json objects = {{{"text", kTexts[0]}}, {{"text", kTexts[1]}}};
  EXPECT_EQ(predictions({{"instances", objects}}), predictions({{"instances", kTexts}}));
  json ids = {{{"input_ids", kIds}}};
  EXPECT_EQ(predictions({{"instances", ids}}, "two"), predictions({{"instances", {kIds}}}, "two"));
}

// A model with several inputs: its signature lists each by name (ids DT_INT32 [-1, 8],
// features DT_FLOAT [-1, 4]); "each item is expected to be an object containing input
// name/tensor value pair, one for each named input" (row format), and "The value for
// inputs key can either a single input tensor or a map of input name to tensors"
// (columnar). Both answer what `quiver predict` answers for the same objects, bit for bit.
TEST_F(TfServingConformance, SeveralNamedInputsInRowAndColumnarFormat) {
  json meta = parse(client_->get("/v1/models/multi/metadata"));
  json sigs = meta["metadata"]["signature_def"]["signature_def"];
  ASSERT_EQ(sigs.size(), 1u) << meta.dump();
  json inputs = sigs["serving_default"]["inputs"];
  ASSERT_EQ(inputs.size(), 2u) << meta.dump();
  EXPECT_EQ(inputs["ids"]["dtype"], "DT_INT32");
  EXPECT_EQ(inputs["ids"]["tensor_shape"]["dim"][1]["size"], "8");
  EXPECT_EQ(inputs["features"]["dtype"], "DT_FLOAT");
  EXPECT_EQ(inputs["features"]["tensor_shape"]["dim"][1]["size"], "4");

  json rows = predictions({{"instances", kMultiRows}}, "multi");
  const json cli = predict_named_inputs_cli(models_ + "/multi.h5", kMultiRows);
  ASSERT_EQ(cli.size(), 2u);
  EXPECT_EQ(rows["predictions"], cli);
  json columns = {{"ids", {kIds, kIds2}},
                  {"features", {kMultiRows[0]["features"], kMultiRows[1]["features"]}}};
  auto col = post("/v1/models/multi:predict", {{"inputs", columns}});
  ASSERT_EQ(col.status, 200) << col.body;
  EXPECT_EQ(parse(col)["outputs"], cli);

  json missing = {{{"ids", kIds}}};
  expect_error(post("/v1/models/multi:predict", {{"instances", missing}}), 400,
               "missing input 'features'");
  json extra = kMultiRows;
  extra[0]["text"] = "great";
  expect_error(post("/v1/models/multi:predict", {{"instances", extra}}), 400,
               "unknown input 'text'");
  json narrow = kMultiRows;
  narrow[1]["features"] = {1.0, 2.0};
  expect_error(post("/v1/models/multi:predict", {{"instances", narrow}}), 400,
               "input 'features' is DT_FLOAT of [4] per row");
  json bad_id = kMultiRows;
  bad_id[0]["ids"][0] = 20;
  expect_error(post("/v1/models/multi:predict", {{"instances", bad_id}}), 400,
               "is not a token id in [0, 20)");
  expect_error(post("/v1/models/multi:predict", {{"instances", {kIds}}}), 400,
               "has several inputs (ids, features)");
}

// Breaking change for clients (README "Changes for clients"): id rows sent to a text
// model's default signature are refused, naming the signature that takes them.
TEST_F(TfServingConformance, IdRowsToATextModelNeedTheIdsSignature) {
  expect_error(post("/v1/models/txt:predict", {{"instances", {kIds}}}), 400,
               "send id rows as input 'input_ids' of signature 'ids'");
}

// The text and the id forms of a text model: the ids signature answers what the text
// signature answers for the same padded ids (as /v1/classify's return_ids shows them).
TEST_F(TfServingConformance, TheIdsSignatureTakesTheTextsIds) {
  auto c = post("/v1/classify", {{"category", "txt"}, {"sentences", kTexts}, {"return_ids", true}});
  ASSERT_EQ(c.status, 200) << c.body;
  json ids = {parse(c)["results"][0]["ids"], parse(c)["results"][1]["ids"]};
  json by_ids = predictions({{"signature_name", "ids"}, {"instances", ids}});
  EXPECT_EQ(by_ids, predictions({{"instances", kTexts}}));
  json named = predictions(
      {{"signature_name", "ids"}, {"instances", {{{"input_ids", ids[0]}}, {{"input_ids", ids[1]}}}}});
  EXPECT_EQ(named, by_ids);
}

// "The value for inputs key can either a single input tensor or a map of input name to
// tensors (listed in their natural nested form)."
TEST_F(TfServingConformance, ColumnarFormatTakesATensorOrAMapOfTensors) {
  json rows = predictions({{"instances", kTexts}});
  auto bare = post("/v1/models/txt:predict", {{"inputs", kTexts}});
  ASSERT_EQ(bare.status, 200) << bare.body;
  EXPECT_EQ(parse(bare)["outputs"], rows["predictions"]);
  auto map = post("/v1/models/txt:predict", {{"inputs", {{"text", kTexts}}}});
  ASSERT_EQ(map.status, 200) << map.body;
  EXPECT_EQ(parse(map)["outputs"], rows["predictions"]);
}

// "A request can have either of them but NOT both."
TEST_F(TfServingConformance, InstancesAndInputsTogetherAreRefused) {
  expect_error(post("/v1/models/txt:predict", {{"instances", kTexts}, {"inputs", kTexts}}), 400,
               "not both");
  expect_error(post("/v1/models/txt:predict", {{"signature_name", "serving_default"}}), 400,
               "instances");
}

// "one for each named input": a name the signature does not have is an error, in the row
// and in the columnar format and in classify's examples.
TEST_F(TfServingConformance, UnknownInputNamesAreRefused) {
  expect_error(post("/v1/models/txt:predict", {{"instances", {{{"text", "good"}, {"extra", "x"}}}}}),
               400, "unknown input 'extra'");
  expect_error(post("/v1/models/txt:predict", {{"instances", {{{"input_ids", kIds}}}}}), 400,
               "unknown input 'input_ids'");
  expect_error(post("/v1/models/txt:predict", {{"inputs", {{"txt", kTexts}}}}), 400,
               "unknown input 'txt'");
  expect_error(post("/v1/models/txt:classify", {{"examples", {{{"body", "good"}}}}}), 400,
               "unknown input 'body'");
}

// "one for each named input": an input the signature has may not be left out.
TEST_F(TfServingConformance, MissingInputNamesAreRefused) {
  expect_error(post("/v1/models/txt:predict", {{"instances", {json::object()}}}), 400,
               "missing input 'text'");
  expect_error(post("/v1/models/txt:predict", {{"inputs", json::object()}}), 400,
               "missing input 'text'");
  expect_error(post("/v1/models/txt:classify", {{"examples", {json::object()}}}), 400,
               "missing input 'text'");
}

// An input's value must have the input's type (JSON mapping: DT_STRING is a string,
// DT_INT32 a number).
TEST_F(TfServingConformance, ValuesOfTheWrongTypeAreRefused) {
  expect_error(post("/v1/models/txt:predict", {{"instances", {kIds}}}), 400, "DT_STRING");
  expect_error(post("/v1/models/two:predict", {{"instances", {"some text"}}}), 400, "DT_INT32");
}

// "If the output of the model contains only one named tensor, we omit the name and
// `predictions` key maps to a list of scalar or list values."
TEST_F(TfServingConformance, OneOutputOmitsItsName) {
  json p = predictions({{"instances", kTexts}});
  ASSERT_TRUE(p["predictions"].is_array());
  EXPECT_TRUE(p["predictions"][0].is_array());
}

// "If the model outputs multiple named tensors, we output a list of objects instead,
// similar to the request in row-format mentioned above."
TEST_F(TfServingConformance, SeveralOutputsInRowFormatAreOneObjectPerRow) {
  json p = predictions({{"instances", {kIds, kIds}}}, "two");
  ASSERT_EQ(p["predictions"].size(), 2u) << p.dump();
  for (const auto& row : p["predictions"]) {
    ASSERT_TRUE(row.is_object()) << p.dump();
    EXPECT_EQ(row.size(), 2u);
    EXPECT_EQ(row["output_0"].size(), 2u);
    EXPECT_EQ(row["output_1"].size(), 3u);
  }
}

// "If the model outputs multiple named tensors, we output an object instead. Each key of
// this object corresponds to a named output tensor."
TEST_F(TfServingConformance, SeveralOutputsInColumnarFormatAreAnObjectOfTensors) {
  auto r = post("/v1/models/two:predict", {{"inputs", {{"input_ids", {kIds, kIds}}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  json out = parse(r)["outputs"];
  ASSERT_TRUE(out.is_object()) << r.body;
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(out["output_0"].size(), 2u);     // two rows
  EXPECT_EQ(out["output_1"][0].size(), 3u);  // of 3 units
  json rows = predictions({{"instances", {kIds, kIds}}}, "two")["predictions"];
  EXPECT_EQ(out["output_1"][1], rows[1]["output_1"]);
}

// "you *must* Base64 encode the data and encapsulate it in a JSON object having `b64` as
// the key"
TEST_F(TfServingConformance, BinaryValuesAreBase64Objects) {
  json b64 = predictions({{"instances", {{{"text", {{"b64", "Z3JlYXQgZm9vZA=="}}}}}}});
  EXPECT_EQ(b64, predictions({{"instances", {"great food"}}}));
  expect_error(post("/v1/models/txt:predict", {{"instances", {{{"text", {{"b64", "%%%"}}}}}}}),
               400, "b64");
}

// "A `classify` request returns ... List of class label/score pairs" for each example;
// examples are objects of features.
TEST_F(TfServingConformance, ClassifyAnswersLabelScorePairsPerExample) {
  auto r = post("/v1/models/txt:classify",
                {{"examples", {{{"text", kTexts[0]}}, {{"text", kTexts[1]}}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  json result = parse(r)["result"];
  json p = predictions({{"instances", kTexts}})["predictions"];
  ASSERT_EQ(result.size(), 2u) << r.body;
  for (size_t i = 0; i < 2; ++i) {
    ASSERT_EQ(result[i].size(), 2u);
    EXPECT_EQ(result[i][0][0], "neg");  // the labels the model was trained with, sorted
    EXPECT_EQ(result[i][1][0], "pos");
    EXPECT_EQ(result[i][0][1], p[i][0]);
    EXPECT_EQ(result[i][1][1], p[i][1]);
  }
}

// "Common context shared by all examples. Features that appear here MUST NOT appear in
// examples (below)."
TEST_F(TfServingConformance, ClassifyContextIsSharedAndMayNotRepeat) {
  auto shared = post("/v1/models/txt:classify",
                     {{"context", {{"text", kTexts[0]}}}, {"examples", {json::object()}}});
  ASSERT_EQ(shared.status, 200) << shared.body;
  auto direct = post("/v1/models/txt:classify", {{"examples", {{{"text", kTexts[0]}}}}});
  EXPECT_EQ(parse(shared), parse(direct));
  expect_error(post("/v1/models/txt:classify",
                    {{"context", {{"text", "a"}}}, {"examples", {{{"text", "b"}}}}}),
               400, "also in context");
}

// ":(classify|regress)": quiver's models are classifiers; regress answers the spec's
// error form ("An incorrect request URL or body returns an HTTP error status").
TEST_F(TfServingConformance, RegressIsAnErrorForAClassifier) {
  expect_error(post("/v1/models/txt:regress", {{"examples", {{{"text", "good"}}}}}), 400,
               "no regression signature");
  expect_error(post("/v1/models/txt:explode", {{"instances", kTexts}}), 404, ":explode");
}

// "Including /versions/${VERSION} or /labels/${LABEL} is optional. If omitted the latest
// version is used."
TEST_F(TfServingConformance, PredictOnAVersionOrALabel) {
  EXPECT_EQ(predictions({{"instances", kTexts}}),
            parse(post("/v1/models/txt/versions/1:predict", {{"instances", kTexts}})));
  expect_error(post("/v1/models/txt/versions/2:predict", {{"instances", kTexts}}), 404,
               "version 2");
  expect_error(post("/v1/models/txt/labels/canary:predict", {{"instances", kTexts}}), 404,
               "label 'canary'");
}

}  // namespace
}  // namespace quiver::testing
