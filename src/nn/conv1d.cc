// Conv1D (keras/layers/convolutional.py, channels_last): padding valid / same / causal,
// strides, dilation_rate, as im2col per batch row + the panel GEMM (fixed reduction order).
// Keras 1 4-D kernels are reshaped and theano-saved kernels flipped as Keras' own loader
// does (keras@2.2.4 saving.py::preprocess_weights_for_loading, conv_utils.convert_kernel).
// The mask is dropped (tf.keras drops it; standalone Keras refuses masked input).
#include <algorithm>
#include <cstring>

#include "nn/activation.h"
#include "nn/kernels.h"

namespace quiver::nn {
namespace {

struct ConvGeometry {
  int64_t kernel_size = 1, strides = 1, dilation = 1;
  std::string padding = "valid";

  int64_t span() const { return (kernel_size - 1) * dilation + 1; }
  int64_t out_len(int64_t t) const {
    if (t < 0) return -1;
    if (padding == "valid") return t >= span() ? (t - span()) / strides + 1 : 0;
    return (t + strides - 1) / strides;  // same, causal
  }
  int64_t pad_left(int64_t t) const {
    if (padding == "causal") return span() - 1;
    if (padding != "same") return 0;
    int64_t total = std::max<int64_t>((out_len(t) - 1) * strides + span() - t, 0);
    return total / 2;
  }
};

class Conv1DLayer : public Layer {
 public:
  Conv1DLayer(const LayerContext& ctx, ConvGeometry g, int64_t filters,
              const std::vector<float>& kernel, std::vector<float> bias, Activation act)
      : Layer(ctx),
        g_(std::move(g)),
        in_dim_(ctx.input_shapes[0][1]),
        filters_(filters),
        kernel_(kernel.data(), g_.kernel_size * in_dim_, filters),
        bias_(std::move(bias)),
        act_(act) {
    output_shapes_ = {{g_.out_len(ctx.input_shapes[0][0]), filters}};
    output_masked_ = {false};
    memory_bytes_ = kernel_.memory_bytes() + static_cast<int64_t>(bias_.size() * 4);
  }

  void forward(std::span<const Value* const> in, const RunContext&,
               std::vector<Value>* out) const override {
    const Tensor& x = in[0]->tensor();
    const int64_t batch = x.shape[0], t_in = x.shape[1], t_out = g_.out_len(t_in);
    const int64_t pad = g_.pad_left(t_in), patch = g_.kernel_size * in_dim_;
    Tensor y = zeros({batch, t_out, filters_});
    std::vector<float> cols(static_cast<size_t>(std::max<int64_t>(t_out, 1) * patch));
    for (int64_t b = 0; b < batch; ++b) {
      const float* xb = x.data.data() + b * t_in * in_dim_;
      for (int64_t t = 0; t < t_out; ++t) {
        for (int64_t k = 0; k < g_.kernel_size; ++k) {
          const int64_t src = t * g_.strides - pad + k * g_.dilation;
          float* dst = cols.data() + t * patch + k * in_dim_;
          if (src >= 0 && src < t_in) {
            std::memcpy(dst, xb + src * in_dim_, static_cast<size_t>(in_dim_) * 4);
          } else {
            std::memset(dst, 0, static_cast<size_t>(in_dim_) * 4);
          }
        }
      }
      float* yb = y.data.data() + b * t_out * filters_;
      fill_rows(bias_, filters_, t_out, yb, filters_);
      gemm_accumulate(cols.data(), patch, t_out, kernel_, yb, filters_);
    }
    apply_activation(act_, y.data.data(), batch * t_out, filters_);
    out->push_back(make_value(std::move(y)));
  }

 private:
  ConvGeometry g_;
  int64_t in_dim_;
  int64_t filters_;
  PackedMatrix kernel_;
  std::vector<float> bias_;
  Activation act_;
};

// Keras 1 kernels are 4-D: (ks, 1, d, f), or the legacy (f, d, ks, 1).
Result<std::vector<float>> kernel_values(const LayerContext& ctx, const keras_io::WeightArray& w,
                                         int64_t ks, int64_t d, int64_t f) {
  if (w.shape.size() == 4 && w.shape == Shape{f, d, ks, 1}) {
    std::vector<float> v(static_cast<size_t>(ks * d * f));
    for (int64_t a = 0; a < f; ++a)
      for (int64_t b = 0; b < d; ++b)
        for (int64_t c = 0; c < ks; ++c) v[(c * d + b) * f + a] = w.values[(a * d + b) * ks + c];
    return v;
  }
  if (w.shape.size() == 4 && w.shape == Shape{ks, 1, d, f}) return w.values;
  QUIVER_RETURN_IF_ERROR(expect_shape(ctx, w, {ks, d, f}, "kernel"));
  return w.values;
}

}  // namespace

Result<std::unique_ptr<Layer>> make_conv1d(const LayerContext& ctx) {
  QUIVER_RETURN_IF_ERROR(expect_inputs(ctx, 1));
  ConfigReader cfg(ctx);
  ConvGeometry g;
  const bool k1 = !cfg.has("filters");  // Keras 1 Convolution1D names
  int64_t filters = k1 ? cfg.required_integer("nb_filter") : cfg.integer("filters", 0);
  g.kernel_size = k1 ? cfg.required_integer("filter_length") : cfg.int_or_first("kernel_size", 0);
  g.strides = k1 ? cfg.integer("subsample_length", 1) : cfg.int_or_first("strides", 1);
  g.dilation = cfg.int_or_first("dilation_rate", 1);
  g.padding = cfg.string(k1 ? "border_mode" : "padding", "valid");
  bool use_bias = cfg.boolean(k1 ? "bias" : "use_bias", true);
  cfg.require_value("data_format", "channels_last");
  cfg.require_value("groups", 1);
  QUIVER_RETURN_IF_ERROR(cfg.status());
  QUIVER_ASSIGN_OR_RETURN(Activation act,
                          activation_field(ctx, ctx.spec.config, "activation", "linear"));
  if (g.padding != "valid" && g.padding != "same" && g.padding != "causal") {
    return ctx.unimplemented("padding '" + g.padding + "' is not supported (valid, same, causal)");
  }
  if (filters <= 0 || g.kernel_size <= 0 || g.strides <= 0 || g.dilation <= 0) {
    return ctx.corrupt("filters, kernel_size, strides and dilation_rate must be positive");
  }
  const Shape& in = ctx.input_shapes[0];
  if (in.size() != 2 || in[1] <= 0) {
    return ctx.unimplemented("input shape " + shape_to_string(in) + " is not [time, channels]");
  }
  QUIVER_RETURN_IF_ERROR(expect_weight_count(ctx, use_bias ? 2 : 1));
  QUIVER_ASSIGN_OR_RETURN(std::vector<float> kernel,
                          kernel_values(ctx, ctx.spec.weights[0], g.kernel_size, in[1], filters));
  if (ctx.meta.backend == "theano") {  // convolution vs correlation: flip the time axis
    const int64_t row = in[1] * filters;
    for (int64_t a = 0, b = g.kernel_size - 1; a < b; ++a, --b) {
      std::swap_ranges(kernel.begin() + a * row, kernel.begin() + (a + 1) * row,
                       kernel.begin() + b * row);
    }
  }
  std::vector<float> bias;
  if (use_bias) {
    QUIVER_RETURN_IF_ERROR(expect_shape(ctx, ctx.spec.weights[1], {filters}, "bias"));
    bias = ctx.spec.weights[1].values;
  }
  return make_layer<Conv1DLayer>(ctx, g, filters, kernel, std::move(bias), act);
}

}  // namespace quiver::nn
