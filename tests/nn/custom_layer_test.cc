// quiver::register_layer (include/quiver/layer_registry.h): a C++ implementation of a custom
// Keras layer, registered by the embedding program, loads and runs inside a real model file.
//
// make_custom_layer_model.py writes the model (.h5 and .keras) and its float64 numpy
// outputs. The layer's math is written twice (numpy there, C++ here); what this test checks
// is quiver's part: the class is found, the factory sees the config, weights, input shapes
// and mask flags from the file, forward() gets the Embedding's values and mask, and its
// output feeds the rest of the graph.
#include <gtest/gtest.h>

#include <cmath>
#include <mutex>
#include <nlohmann/json.hpp>

#include "quiver/layer_registry.h"
#include "quiver/model.h"
#include "testutil.h"

namespace quiver {
namespace {

// e_t = tanh(x_t W + b) . u; a = softmax over unmasked steps; out = sum_t a_t x_t.
class AttentionPooling : public CustomLayer {
 public:
  AttentionPooling(int64_t d, std::vector<float> w, std::vector<float> b, std::vector<float> u)
      : d_(d), w_(std::move(w)), b_(std::move(b)), u_(std::move(u)) {}

  std::vector<std::vector<int64_t>> output_shapes() const override { return {{d_}}; }

  void forward(std::span<const CustomLayerInput> inputs,
               std::vector<Tensor>* outputs) const override {
    const Tensor& x = *inputs[0].tensor;
    const int64_t batch = x.shape[0], steps = x.shape[1];
    Tensor out;
    out.shape = {batch, d_};
    out.data.assign(static_cast<size_t>(batch * d_), 0.0f);
    for (int64_t r = 0; r < batch; ++r) {
      std::vector<double> e(static_cast<size_t>(steps), -INFINITY);
      double top = -INFINITY;
      for (int64_t t = 0; t < steps; ++t) {
        if (inputs[0].mask && !(*inputs[0].mask)[static_cast<size_t>(r * steps + t)]) continue;
        const float* xt = &x.data[static_cast<size_t>((r * steps + t) * d_)];
        double s = 0;
        for (int64_t j = 0; j < d_; ++j) {
          double h = b_[j];
          for (int64_t i = 0; i < d_; ++i) h += double(xt[i]) * w_[i * d_ + j];
          s += std::tanh(h) * u_[j];
        }
        e[t] = s;
        top = std::max(top, s);
      }
      double total = 0;
      for (double& v : e) total += (v = std::exp(v - top));
      for (int64_t t = 0; t < steps; ++t) {
        const float* xt = &x.data[static_cast<size_t>((r * steps + t) * d_)];
        for (int64_t i = 0; i < d_; ++i) out.data[r * d_ + i] += float(e[t] / total * xt[i]);
      }
    }
    outputs->push_back(std::move(out));
  }

 private:
  int64_t d_;
  std::vector<float> w_, b_, u_;
};

Result<std::unique_ptr<const CustomLayer>> make_attention(const CustomLayerConfig& c) {
  nlohmann::json config = nlohmann::json::parse(c.config_json, nullptr, false);
  if (!config.is_object() || !config.contains("units")) {
    return corruption(c.where() + ": config has no 'units'");
  }
  const int64_t d = config["units"].get<int64_t>();
  if (c.input_shapes.size() != 1 || c.input_shapes[0].size() != 2 || c.input_shapes[0][1] != d) {
    return unimplemented(c.where() + ": takes one [time, units] input");
  }
  if (c.weights.size() != 3 || c.weights[0].shape != std::vector<int64_t>{d, d} ||
      c.weights[1].shape != std::vector<int64_t>{d} ||
      c.weights[2].shape != std::vector<int64_t>{d}) {
    return corruption(c.where() + ": expected weights W [d,d], b [d], u [d]");
  }
  if (c.input_masked != std::vector<bool>{true}) {
    return internal_error(c.where() + ": the Embedding's mask_zero should reach the factory");
  }
  return std::unique_ptr<const CustomLayer>(
      new AttentionPooling(d, c.weights[0].values, c.weights[1].values, c.weights[2].values));
}

// The Keras tutorial's custom_standardization (make_custom_text_model.py), as a team
// would write it in C++: ASCII lowercase, "<br />" -> " ", Python's string.punctuation removed.
std::string custom_standardization(std::string_view text) {
  std::string lower;
  for (char c : text) lower.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  std::string no_html;
  for (size_t i = 0; i < lower.size(); ++i) {
    if (lower.compare(i, 6, "<br />") == 0) {
      no_html.push_back(' ');
      i += 5;
    } else {
      no_html.push_back(lower[i]);
    }
  }
  const std::string_view punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
  std::string out;
  for (char c : no_html) {
    if (punctuation.find(c) == std::string_view::npos) out.push_back(c);
  }
  return out;
}

// tf.strings.split(x, sep=","): every comma separates; empty tokens stay.
std::vector<std::string> comma_split(std::string_view text) {
  std::vector<std::string> out(1);
  for (char c : text) {
    if (c == ',') {
      out.emplace_back();
    } else {
      out.back().push_back(c);
    }
  }
  return out;
}

// Every test process registers the same classes once, before its first load.
void register_test_layers() {
  static std::once_flag once;
  std::call_once(once, [] {
    ASSERT_OK(register_text_standardize("custom_standardization", custom_standardization));
    ASSERT_OK(register_text_split("comma_split", comma_split));
    Status s = register_layer("AttentionLayer", make_attention);
    ASSERT_TRUE(s.ok()) << s.to_string();
    s = register_layer("RefusingLayer", [](const CustomLayerConfig& c)
                                            -> Result<std::unique_ptr<const CustomLayer>> {
      return unimplemented(c.where() + ": option 'heads' is not supported by this build");
    });
    ASSERT_TRUE(s.ok()) << s.to_string();
  });
}

// Runs tests/nn/<script> OUT_DIR (the models and their expected values).
void write_models(const std::string& script, const std::string& dir) {
  const std::string path = testutil::source_dir() + "/tests/nn/" + script;
  ASSERT_EQ(std::system(("/usr/bin/python3 " + path + " " + dir).c_str()), 0) << script;
}

class CustomLayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_test_layers();
    write_models("make_custom_layer_model.py", dir_.path());
  }

  void expect_numpy_outputs(const std::string& file) {
    auto model = Model::load(dir_.file(file));
    ASSERT_OK(model);
    auto inputs = nlohmann::json::parse(testutil::read_text_file(dir_.file("inputs.json")));
    auto expected = nlohmann::json::parse(testutil::read_text_file(dir_.file("expected.json")));
    std::vector<int32_t> ids;
    for (const auto& row : inputs)
      for (const auto& id : row) ids.push_back(id.get<int32_t>());
    const int64_t batch = static_cast<int64_t>(inputs.size());
    auto out = (*model)->predict(ids, batch, static_cast<int64_t>(ids.size()) / batch);
    ASSERT_OK(out);
    ASSERT_EQ(out->size(), 1u);
    const Tensor& probs = (*out)[0];
    ASSERT_EQ(probs.shape, (std::vector<int64_t>{batch, 3}));
    for (int64_t r = 0; r < batch; ++r) {
      for (int64_t k = 0; k < 3; ++k) {
        EXPECT_NEAR(probs.data[r * 3 + k], expected[r][k].get<double>(), 1e-6)
            << file << " row " << r << " class " << k;
      }
    }
    const ModelInfo& info = (*model)->info();
    ASSERT_EQ(info.layers.size(), 4u);
    EXPECT_EQ(info.layers[2].class_name, "AttentionLayer");
    EXPECT_EQ(info.layers[2].params, 8 * 8 + 8 + 8);
  }

  testutil::TempDir dir_;
};

TEST_F(CustomLayerTest, RegisteredLayerRunsInsideAnH5Model) {
  expect_numpy_outputs("attention.h5");
}

TEST_F(CustomLayerTest, RegisteredLayerRunsInsideAKerasZipModel) {
  expect_numpy_outputs("attention.keras");
}

TEST_F(CustomLayerTest, UnregisteredClassIsRefusedNamingClassFileAndHowToRegister) {
  auto model = Model::load(dir_.file("mystery.h5"));
  EXPECT_STATUS(model, kUnimplemented,
                dir_.file("mystery.h5") + ": layer 'attention' (MysteryLayer): layer class "
                "'MysteryLayer' is not supported");
  EXPECT_STATUS(model, kUnimplemented, "quiver::register_layer");
}

TEST_F(CustomLayerTest, FactoryErrorIsTheLoadError) {
  EXPECT_STATUS(Model::load(dir_.file("refusing.h5")), kUnimplemented,
                dir_.file("refusing.h5") + ": layer 'attention' (RefusingLayer): option 'heads' "
                "is not supported by this build");
}

TEST_F(CustomLayerTest, RegistrationAfterTheFirstLoadIsRefused) {
  ASSERT_OK(Model::load(dir_.file("attention.h5")));
  EXPECT_STATUS(register_layer("LateLayer", make_attention), kFailedPrecondition,
                "register_layer 'LateLayer': layers must be registered before the first model "
                "is loaded");
  EXPECT_EQ(registered_custom_layers(),
            (std::vector<std::string>{"AttentionLayer", "RefusingLayer"}));
}

TEST_F(CustomLayerTest, BuiltinDuplicateEmptyAndNullRegistrationsAreRefused) {
  EXPECT_STATUS(register_layer("LSTM", make_attention), kInvalidArgument,
                "register_layer 'LSTM': quiver implements this layer class itself");
  EXPECT_STATUS(register_layer("AttentionLayer", make_attention), kInvalidArgument,
                "register_layer 'AttentionLayer': already registered");
  EXPECT_STATUS(register_layer("", make_attention), kInvalidArgument, "the class name is empty");
  EXPECT_STATUS(register_layer("X", nullptr), kInvalidArgument, "the factory is null");
}

// TextVectorization callables (register_text_standardize / register_text_split): the
// registered function runs where Keras calls the Python one (before split / before ngrams),
// from a tf.keras .h5 (the function's name) and a Keras 3 .keras ({"class_name":
// "function", ...}); ids from text_vectorization_ref.py with the Python callables.
class CustomTextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_test_layers();
    write_models("make_custom_text_model.py", dir_.path());
  }

  void expect_keras_ids(const std::string& file) {
    auto model = Model::load(dir_.file(file));
    ASSERT_OK(model);
    auto all = nlohmann::json::parse(testutil::read_text_file(dir_.file("ids.json")));
    ASSERT_TRUE(all.contains(file));
    for (const auto& [text, ids] : all[file].items()) {
      auto got = (*model)->text_ids(text);
      ASSERT_OK(got);
      EXPECT_EQ(*got, ids.get<std::vector<int32_t>>()) << file << ": '" << text << "'";
    }
    std::vector<std::string> texts = {"The MOVIE was great!", "bad,,plot"};
    ASSERT_OK((*model)->predict_texts(texts));
  }

  testutil::TempDir dir_;
};

TEST_F(CustomTextTest, RegisteredStandardizeRunsForAnH5Model) { expect_keras_ids("custom_std.h5"); }

TEST_F(CustomTextTest, RegisteredStandardizeRunsForAKerasZipModel) {
  expect_keras_ids("custom_std.keras");
}

TEST_F(CustomTextTest, RegisteredSplitRunsAfterTheBuiltinStandardize) {
  expect_keras_ids("custom_split.h5");
}

TEST_F(CustomTextTest, UnregisteredCallableIsRefusedNamingItAndTheFile) {
  auto model = Model::load(dir_.file("unknown_std.h5"));
  EXPECT_STATUS(model, kUnimplemented,
                dir_.file("unknown_std.h5") + ": layer 'text_vectorization' (TextVectorization): "
                "standardize is the Python callable 'unknown_fn', which cannot run here; register "
                "a C++ implementation under that name with quiver::register_text_standardize");
}

TEST_F(CustomTextTest, BuiltinDuplicateEmptyNullAndLateRegistrationsAreRefused) {
  EXPECT_STATUS(register_text_standardize("lower", custom_standardization), kInvalidArgument,
                "register_text_standardize 'lower': a Keras built-in standardize mode");
  EXPECT_STATUS(register_text_split("whitespace", comma_split), kInvalidArgument,
                "a Keras built-in split mode");
  EXPECT_STATUS(register_text_standardize("Custom>custom_standardization", custom_standardization),
                kInvalidArgument, "already registered");
  EXPECT_STATUS(register_text_split("", comma_split), kInvalidArgument, "the name is empty");
  EXPECT_STATUS(register_text_split("x", nullptr), kInvalidArgument, "the function is null");
  ASSERT_OK(Model::load(dir_.file("custom_std.h5")));
  EXPECT_STATUS(register_text_split("late_split", comma_split), kFailedPrecondition,
                "must be registered before the first model is loaded");
}

}  // namespace
}  // namespace quiver
