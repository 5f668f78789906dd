// LayerNormalization over the last axis: y = (x - mean) / sqrt(var + epsilon) * gamma + beta,
// mean and (biased) variance per row. Keras 3 rms_scaling is not supported. Passes the mask.
#include <cmath>

#include "nn/normalization.h"

namespace quiver::nn {
namespace {

class LayerNormalizationLayer : public Layer {
 public:
  LayerNormalizationLayer(const LayerContext& ctx, float eps, std::vector<float> gamma,
                          std::vector<float> beta)
      : Layer(ctx), eps_(eps), gamma_(std::move(gamma)), beta_(std::move(beta)) {
    output_shapes_ = ctx.input_shapes;
    output_masked_ = ctx.input_masked;
    memory_bytes_ = static_cast<int64_t>((gamma_.size() + beta_.size()) * 4);
  }
  void forward(std::span<const Value* const> in, const RunContext&,
               std::vector<Value>* out) const override {
    Tensor y = in[0]->tensor();
    const int64_t c = static_cast<int64_t>(gamma_.size()), rows = leading_rows(y);
    for (int64_t r = 0; r < rows; ++r) {
      float* x = y.data.data() + r * c;
      float mean = 0.0f, var = 0.0f;
      for (int64_t j = 0; j < c; ++j) mean += x[j];
      mean /= static_cast<float>(c);
      for (int64_t j = 0; j < c; ++j) var += (x[j] - mean) * (x[j] - mean);
      var /= static_cast<float>(c);
      const float inv = 1.0f / std::sqrt(var + eps_);
      for (int64_t j = 0; j < c; ++j) x[j] = (x[j] - mean) * inv * gamma_[j] + beta_[j];
    }
    out->push_back(make_value(std::move(y), in[0]->mask));
  }

 private:
  float eps_;
  std::vector<float> gamma_, beta_;
};

}  // namespace

Result<std::unique_ptr<Layer>> make_layer_normalization(const LayerContext& ctx) {
  QUIVER_RETURN_IF_ERROR(expect_inputs(ctx, 1));
  QUIVER_RETURN_IF_ERROR(expect_last_axis(ctx, -1));
  ConfigReader cfg(ctx);
  const double eps = cfg.number("epsilon", 1e-3);
  const bool scale = cfg.boolean("scale", true), center = cfg.boolean("center", true);
  cfg.require_value("rms_scaling", false);
  QUIVER_RETURN_IF_ERROR(cfg.status());
  const int64_t c = ctx.input_shapes[0].empty() ? -1 : ctx.input_shapes[0].back();
  if (c <= 0) return ctx.unimplemented("the normalised axis must have a known size");
  std::vector<std::vector<float>> w;  // gamma, beta
  QUIVER_RETURN_IF_ERROR(read_affine_weights(ctx, scale, center, 0, c, &w));
  return make_layer<LayerNormalizationLayer>(ctx, static_cast<float>(eps), std::move(w[0]),
                                             std::move(w[1]));
}

}  // namespace quiver::nn
