// BatchNormalization at inference over the last axis:
// y = x * inv + (beta - mean * inv), inv = gamma / sqrt(moving_variance + epsilon)
// (tf.nn.batch_normalization). Weights: [gamma], [beta], moving_mean, moving_variance.
// Passes the mask on.
#include <cmath>

#include "nn/normalization.h"

namespace quiver::nn {
namespace {

class BatchNormalizationLayer : public Layer {
 public:
  BatchNormalizationLayer(const LayerContext& ctx, std::vector<float> inv, std::vector<float> shift)
      : Layer(ctx), inv_(std::move(inv)), shift_(std::move(shift)) {
    output_shapes_ = ctx.input_shapes;
    output_masked_ = ctx.input_masked;
    memory_bytes_ = static_cast<int64_t>((inv_.size() + shift_.size()) * 4);
  }
  void forward(std::span<const Value* const> in, const RunContext&,
               std::vector<Value>* out) const override {
    Tensor y = in[0]->tensor();
    const size_t c = inv_.size();
    for (size_t i = 0; i < y.data.size(); ++i) y.data[i] = y.data[i] * inv_[i % c] + shift_[i % c];
    out->push_back(make_value(std::move(y), in[0]->mask));
  }

 private:
  std::vector<float> inv_, shift_;
};

}  // namespace

Status expect_last_axis(const LayerContext& ctx, int64_t fallback) {
  ConfigReader cfg(ctx);
  std::vector<int64_t> axes =
      cfg.has("axis") ? cfg.int_list("axis") : std::vector<int64_t>{fallback};
  QUIVER_RETURN_IF_ERROR(cfg.status());
  const int64_t rank = static_cast<int64_t>(ctx.input_shapes[0].size()) + 1;
  if (axes.size() != 1 || (axes[0] != -1 && axes[0] != rank - 1)) {
    return ctx.unimplemented("normalising over axis " + shape_to_string(axes) +
                             " is not supported (only the last axis)");
  }
  return Status();
}

Status read_affine_weights(const LayerContext& ctx, bool scale, bool center, size_t extra,
                           int64_t channels, std::vector<std::vector<float>>* out) {
  QUIVER_RETURN_IF_ERROR(expect_weight_count(ctx, extra + scale + center));
  size_t next = 0;
  const char* names[] = {"gamma", "beta", "moving_mean", "moving_variance"};
  for (size_t i = 0; i < 2 + extra; ++i) {
    const bool present = i == 0 ? scale : i == 1 ? center : true;
    if (!present) {
      out->emplace_back(static_cast<size_t>(channels), i == 0 ? 1.0f : 0.0f);
      continue;
    }
    const auto& w = ctx.spec.weights[next++];
    QUIVER_RETURN_IF_ERROR(expect_shape(ctx, w, {channels}, names[i]));
    out->push_back(w.values);
  }
  return Status();
}

Result<std::unique_ptr<Layer>> make_batch_normalization(const LayerContext& ctx) {
  QUIVER_RETURN_IF_ERROR(expect_inputs(ctx, 1));
  QUIVER_RETURN_IF_ERROR(expect_last_axis(ctx, -1));
  ConfigReader cfg(ctx);
  const double eps = cfg.number("epsilon", 1e-3);
  const bool scale = cfg.boolean("scale", true), center = cfg.boolean("center", true);
  QUIVER_RETURN_IF_ERROR(cfg.status());
  const int64_t c = ctx.input_shapes[0].empty() ? -1 : ctx.input_shapes[0].back();
  if (c <= 0) return ctx.unimplemented("the normalised axis must have a known size");
  std::vector<std::vector<float>> w;  // gamma, beta, mean, variance
  QUIVER_RETURN_IF_ERROR(read_affine_weights(ctx, scale, center, 2, c, &w));
  std::vector<float> inv(static_cast<size_t>(c)), shift(static_cast<size_t>(c));
  for (size_t j = 0; j < inv.size(); ++j) {
    inv[j] = static_cast<float>(w[0][j] / std::sqrt(static_cast<double>(w[3][j]) + eps));
    shift[j] = w[1][j] - w[2][j] * inv[j];
  }
  return make_layer<BatchNormalizationLayer>(ctx, std::move(inv), std::move(shift));
}

}  // namespace quiver::nn
