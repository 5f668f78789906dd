// MaxPooling1D / AveragePooling1D (channels_last): pool_size, strides (default pool_size),
// padding valid / same. With 'same', the average counts only real positions (TF avg_pool).
// Keras 1 names pool_length / stride / border_mode are accepted. The mask is dropped.
#include <algorithm>
#include <limits>

#include "nn/layer.h"

namespace quiver::nn {
namespace {

class Pooling1DLayer : public Layer {
 public:
  Pooling1DLayer(const LayerContext& ctx, bool is_max, int64_t pool, int64_t strides, bool same)
      : Layer(ctx), is_max_(is_max), pool_(pool), strides_(strides), same_(same) {
    const Shape& in = ctx.input_shapes[0];
    output_shapes_ = {{out_len(in[0]), in[1]}};
    output_masked_ = {false};
  }

  void forward(std::span<const Value* const> in, const RunContext&,
               std::vector<Value>* out) const override {
    const Tensor& x = in[0]->tensor();
    const int64_t batch = x.shape[0], t_in = x.shape[1], c = x.shape[2], t_out = out_len(t_in);
    const int64_t pad = same_ ? std::max<int64_t>((t_out - 1) * strides_ + pool_ - t_in, 0) / 2 : 0;
    Tensor y = zeros({batch, t_out, c});
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t t = 0; t < t_out; ++t) {
        const int64_t lo = std::max<int64_t>(t * strides_ - pad, 0);
        const int64_t hi = std::min(t * strides_ - pad + pool_, t_in);
        float* dst = y.data.data() + (b * t_out + t) * c;
        for (int64_t j = 0; j < c; ++j) {
          float acc = is_max_ ? -std::numeric_limits<float>::infinity() : 0.0f;
          for (int64_t s = lo; s < hi; ++s) {
            const float v = x.data[(b * t_in + s) * c + j];
            acc = is_max_ ? std::max(acc, v) : acc + v;
          }
          dst[j] = is_max_ ? acc : acc / static_cast<float>(hi - lo);
        }
      }
    }
    out->push_back(make_value(std::move(y)));
  }

 private:
  int64_t out_len(int64_t t) const {
    if (t < 0) return -1;
    if (same_) return (t + strides_ - 1) / strides_;
    return t >= pool_ ? (t - pool_) / strides_ + 1 : 0;
  }

  bool is_max_;
  int64_t pool_, strides_;
  bool same_;
};

}  // namespace

Result<std::unique_ptr<Layer>> make_pooling1d(const LayerContext& ctx) {
  QUIVER_RETURN_IF_ERROR(expect_inputs(ctx, 1));
  ConfigReader cfg(ctx);
  const bool k1 = cfg.has("pool_length");
  int64_t pool = k1 ? cfg.integer("pool_length", 2) : cfg.int_or_first("pool_size", 2);
  int64_t strides = k1 ? cfg.integer("stride", pool) : cfg.int_or_first("strides", pool);
  std::string padding = cfg.string(k1 ? "border_mode" : "padding", "valid");
  cfg.require_value("data_format", "channels_last");
  QUIVER_RETURN_IF_ERROR(cfg.status());
  if (padding != "valid" && padding != "same") {
    return ctx.unimplemented("padding '" + padding + "' is not supported (valid, same)");
  }
  if (pool <= 0 || strides <= 0) return ctx.corrupt("pool_size and strides must be positive");
  if (ctx.input_shapes[0].size() != 2) {
    return ctx.unimplemented("input shape " + shape_to_string(ctx.input_shapes[0]) +
                             " is not [time, channels]");
  }
  QUIVER_RETURN_IF_ERROR(expect_weight_count(ctx, 0));
  const bool is_max = ctx.spec.class_name.find("Max") != std::string::npos;
  return make_layer<Pooling1DLayer>(ctx, is_max, pool, strides, padding == "same");
}

}  // namespace quiver::nn
