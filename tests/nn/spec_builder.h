// Builds keras_io::ModelSpec values by hand for nn tests (no file reading involved).
#ifndef QUIVER_TESTS_NN_SPEC_BUILDER_H_
#define QUIVER_TESTS_NN_SPEC_BUILDER_H_

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "keras_io/model_spec.h"
#include "nn/model_impl.h"
#include "testutil.h"

namespace quiver::nn::testing {

inline keras_io::WeightArray weight(std::vector<int64_t> shape, std::vector<float> values) {
  return keras_io::WeightArray{"w", std::move(shape), std::move(values)};
}

// n Uniform(-scale, scale) floats from generator seed `seed`.
inline std::vector<float> random_floats(size_t n, float scale, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Uniform(-scale, scale) values for a weight of `shape`, from a seeded generator.
inline keras_io::WeightArray random_weight(std::mt19937& rng, std::vector<int64_t> shape,
                                           float scale = 0.5f) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = dist(rng);
  return weight(std::move(shape), std::move(v));
}

// A chain (Sequential-like) or graph of layers starting at InputLayer "input_1".
class SpecBuilder {
 public:
  explicit SpecBuilder(nlohmann::json input_len = 3, int keras_major = 2,
                       std::string version = "2.2.4") {
    spec_.path = "test.h5";
    spec_.format = keras_major >= 3 ? "keras3-h5" : "keras2-h5";
    spec_.keras_version = std::move(version);
    spec_.backend = "tensorflow";
    spec_.keras_major = keras_major;
    keras_io::LayerSpec in;
    in.name = "input_1";
    in.class_name = "InputLayer";
    in.config = {{"batch_input_shape", {nullptr, input_len}}, {"name", "input_1"}};
    spec_.layers.push_back(in);
    spec_.inputs = {{"input_1", 0, 0}};
    last_ = "input_1";
  }

  // Adds a layer fed by `inputs` (default: the previous layer's first output).
  SpecBuilder& add(const std::string& name, const std::string& class_name, nlohmann::json config,
                   std::vector<keras_io::WeightArray> weights = {},
                   std::vector<keras_io::InboundRef> inputs = {}) {
    keras_io::LayerSpec l;
    l.name = name;
    l.class_name = class_name;
    config["name"] = name;
    l.config = std::move(config);
    if (inputs.empty()) inputs = {{last_, 0, 0}};
    l.inbound_nodes = {std::move(inputs)};
    l.weights = std::move(weights);
    spec_.layers.push_back(std::move(l));
    last_ = name;
    return *this;
  }

  // Outputs: the given refs, or the last layer's first output.
  keras_io::ModelSpec spec(std::vector<keras_io::InboundRef> outputs = {}) const {
    keras_io::ModelSpec s = spec_;
    s.outputs = outputs.empty() ? std::vector<keras_io::InboundRef>{{last_, 0, 0}} : outputs;
    return s;
  }

  std::unique_ptr<ModelImpl> build(std::vector<keras_io::InboundRef> outputs = {},
                                   LoadOptions options = {}) const {
    auto r = build_model(spec(std::move(outputs)), options);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? std::move(r).value() : nullptr;
  }

 private:
  keras_io::ModelSpec spec_;
  std::string last_;
};

// Runs the model; expects success.
inline std::vector<Tensor> run(const ModelImpl& m, const std::vector<int32_t>& ids, int64_t batch,
                               int threads = 1) {
  PredictOptions o;
  o.threads = threads;
  auto r = m.predict(ids, batch, static_cast<int64_t>(ids.size()) / batch, o);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? std::move(r).value() : std::vector<Tensor>{};
}

// An Embedding(input_dim=rows, output_dim=1) whose row v holds the value v, so token id v
// feeds x = v into the next layer.
inline SpecBuilder& add_identity_embedding(SpecBuilder& b, int64_t rows, bool mask_zero) {
  std::vector<float> v;
  for (int64_t i = 0; i < rows; ++i) v.push_back(static_cast<float>(i));
  return b.add("embedding_1", "Embedding",
               {{"input_dim", rows}, {"output_dim", 1}, {"mask_zero", mask_zero}},
               {weight({rows, 1}, v)});
}

}  // namespace quiver::nn::testing

#endif  // QUIVER_TESTS_NN_SPEC_BUILDER_H_
